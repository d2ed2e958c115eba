// The relay's queue in an SQLite file: WAL + synchronous=FULL, so when
// accept() returns the message is on disk (the 202 promise), and an
// exclusive lock, so a second relay on the same file fails at start instead
// of forwarding the same messages.
import { openDatabase } from '../sqlite.js';

const PURGE_INTERVAL_MS = 60_000;

/**
 * @param {{ path: string, ttlMs?: number, deadLetterTtlMs?: number, nowMs?: () => number }} options
 *   `ttlMs`: how long a settled message is kept for repeated keys; `deadLetterTtlMs`: how long a dead letter is kept
 * @returns {import('./store-contract.js').RelayQueue & { kind: 'sqlite' }}
 */
export function sqliteQueue({ path, ttlMs = 24 * 60 * 60 * 1000, deadLetterTtlMs = 7 * 24 * 60 * 60 * 1000, nowMs = Date.now }) {
  let db;
  try {
    db = openDatabase(path, { exclusive: true, busyTimeoutMs: 0 });
    // Credentials dropped from a settled message are overwritten, not left in free pages
    // (https://www.sqlite.org/pragma.html#pragma_secure_delete); old WAL frames go at the next checkpoint.
    db.pragma('secure_delete = ON');
    db.exec(`CREATE TABLE IF NOT EXISTS relay_messages (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      lane TEXT NOT NULL,
      status TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      method TEXT NOT NULL,
      url TEXT NOT NULL,
      headers TEXT NOT NULL,
      body BLOB NOT NULL,
      accepted_at_ms INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at_ms INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      response TEXT,
      updated_at_ms INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS relay_lane_queue ON relay_messages (lane, seq) WHERE status = 'queued';
    CREATE INDEX IF NOT EXISTS relay_status ON relay_messages (status, updated_at_ms);`);
  } catch (error) {
    db?.close();
    if (/** @type {{ code?: string }} */ (error).code === 'SQLITE_BUSY') throw new Error(`the relay store ${path} is in use by another relay process (one relay per SQLite file; use Redis for several)`, { cause: error });
    throw error;
  }

  const insert = db.prepare(`INSERT INTO relay_messages (id, lane, status, fingerprint, method, url, headers, body, accepted_at_ms, updated_at_ms)
    VALUES (@id, @lane, 'queued', @fingerprint, @method, @url, @headers, @body, @acceptedAtMs, @acceptedAtMs) ON CONFLICT (id) DO NOTHING`);
  const byId = db.prepare('SELECT * FROM relay_messages WHERE id = ?');
  const headOf = db.prepare("SELECT * FROM relay_messages WHERE lane = ? AND status = 'queued' ORDER BY seq LIMIT 1");
  const due = db.prepare(`SELECT lane FROM relay_messages m WHERE status = 'queued'
    AND seq = (SELECT min(seq) FROM relay_messages WHERE lane = m.lane AND status = 'queued') AND next_attempt_at_ms <= ?`);
  const attempt = db.prepare("UPDATE relay_messages SET attempts = ?, next_attempt_at_ms = ?, last_error = ?, updated_at_ms = ? WHERE id = ? AND status = 'queued'");
  // Only the lane's head settles (store-contract.js): a message a relay took for the head must still be it.
  const finish = db.prepare(`UPDATE relay_messages SET status = ?, response = ?, last_error = coalesce(?, last_error), updated_at_ms = ?, headers = coalesce(?, headers)
    WHERE id = ? AND status = 'queued' AND seq = (SELECT min(seq) FROM relay_messages WHERE lane = ? AND status = 'queued')`);
  const byStatus = db.prepare('SELECT * FROM relay_messages WHERE status = ? ORDER BY seq LIMIT ?');
  const counts = db.prepare("SELECT count(*) FILTER (WHERE status = 'queued') AS queued, count(*) FILTER (WHERE status = 'failed') AS failed FROM relay_messages");
  const requeue = db.prepare(`UPDATE relay_messages SET status = 'queued', attempts = 0, next_attempt_at_ms = 0, updated_at_ms = ?,
    seq = (SELECT max(seq) + 1 FROM relay_messages) WHERE id = ? AND status = 'failed'`);
  const remove = db.prepare("DELETE FROM relay_messages WHERE id = ? AND status IN ('queued', 'failed')");
  // Ids are '<scope>.<key>' ('.' sorts just before '/'): a client's messages are one range of the unique index.
  const queuedOfClient = db.prepare("SELECT count(*) AS n FROM relay_messages WHERE status = 'queued' AND id >= ? AND id < ?");
  const queuedOfLane = db.prepare("SELECT count(*) AS n FROM relay_messages WHERE status = 'queued' AND lane = ?");
  const busyLanes = db.prepare("SELECT count(DISTINCT lane) AS n FROM relay_messages WHERE status = 'queued'");
  const purge = db.prepare("DELETE FROM relay_messages WHERE status IN ('delivered', 'refused') AND updated_at_ms <= ?");
  const purgeDead = db.prepare("DELETE FROM relay_messages WHERE status = 'failed' AND updated_at_ms <= ?");
  let lastPurgeMs = 0;
  /** At most once a minute: settled messages past `ttlMs`, dead letters past `deadLetterTtlMs`. */
  const maybePurge = () => {
    const now = nowMs();
    if (now - lastPurgeMs <= PURGE_INTERVAL_MS) return;
    lastPurgeMs = now;
    purge.run(now - ttlMs);
    purgeDead.run(now - deadLetterTtlMs);
  };

  /**
   * @param {any} row a relay_messages row (better-sqlite3 rows are untyped)
   * @returns {import('./store-contract.js').StoredMessage}
   */
  const toMessage = (row) => row && {
    id: row.id,
    lane: row.lane,
    status: row.status,
    fingerprint: row.fingerprint,
    method: row.method,
    url: row.url,
    headers: JSON.parse(row.headers),
    bodyBase64: row.body.toString('base64'),
    acceptedAtMs: row.accepted_at_ms,
    attempts: row.attempts,
    nextAttemptAtMs: row.next_attempt_at_ms,
    lastError: row.last_error ?? undefined,
    response: row.response ? JSON.parse(row.response) : undefined,
    updatedAtMs: row.updated_at_ms,
  };

  // Group commit: the accepts that arrive while one commit is pending share
  // its transaction, so one fsync answers many clients. Nobody is answered
  // before the transaction holding their message is on disk.
  const acceptAll = db.transaction((/** @type {import('./store-contract.js').NewMessage[]} */ messages) => {
    maybePurge();
    return messages.map((message) => {
      const { changes } = insert.run({ ...message, headers: JSON.stringify(message.headers), body: Buffer.from(message.bodyBase64, 'base64') });
      return changes === 1 ? { created: true } : { created: false, existing: toMessage(byId.get(message.id)) };
    });
  });
  /** @type {{ message: import('./store-contract.js').NewMessage, resolve: (r: any) => void, reject: (e: unknown) => void }[]} */
  let pending = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    try {
      const results = acceptAll.immediate(batch.map((p) => p.message));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  };
  // Delivered and attempt records need no fsync of their own: in WAL mode
  // they reach the disk with the next FULL commit (the next accept) or a
  // checkpoint. A power cut may turn a delivered message back into a queued
  // one, which is sent again with its key (the upstream keeps one copy); it
  // can never lose an accepted one, whose commit is FULL.
  const relaxed = (/** @type {import('better-sqlite3').Statement} */ statement) => (/** @type {unknown[]} */ ...args) => {
    db.pragma('synchronous = NORMAL');
    try {
      return statement.run(...args);
    } finally {
      db.pragma('synchronous = FULL');
    }
  };
  const finishRelaxed = relaxed(finish);
  const attemptRelaxed = relaxed(attempt);

  return {
    kind: 'sqlite',
    accept(message) {
      return new Promise((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ message, resolve, reject });
      });
    },
    async get(id) {
      return toMessage(byId.get(id)) ?? null;
    },
    async head(lane) {
      return toMessage(headOf.get(lane)) ?? null;
    },
    async dueLanes(now) {
      // A relay that accepts nothing for days still lets its dead letters go.
      maybePurge();
      return due.all(now).map((/** @type {any} */ r) => r.lane);
    },
    // The exclusive lock on the file is the lease of every lane.
    async acquireLane() {
      return true;
    },
    async renewLane() {
      return true;
    },
    async releaseLane() {},
    async recordAttempt({ id }, _owner, { attempts, nextAttemptAtMs, lastError }) {
      return attemptRelaxed(attempts, nextAttemptAtMs, lastError ?? null, nowMs(), id).changes === 1;
    },
    async finish({ id, lane }, _owner, { status, response, lastError, headers }) {
      return finishRelaxed(status, response ? JSON.stringify(response) : null, lastError ?? null, nowMs(), headers ? JSON.stringify(headers) : null, id, lane).changes === 1;
    },
    async list(status, limit = 100) {
      return byStatus.all(status, limit).map(toMessage);
    },
    async counts() {
      return /** @type {{ queued: number, failed: number }} */ (counts.get());
    },
    async usage({ scope, lane }) {
      /** @param {import('better-sqlite3').Statement} statement @param {unknown[]} args */
      const count = (statement, ...args) => /** @type {{ n: number }} */ (statement.get(...args)).n;
      return { client: count(queuedOfClient, `${scope}.`, `${scope}/`), lane: count(queuedOfLane, lane), lanes: count(busyLanes) };
    },
    async retry(id) {
      return requeue.run(nowMs(), id).changes === 1;
    },
    async remove(id) {
      return remove.run(id).changes === 1;
    },
    async close() {
      db.close();
    },
  };
}
