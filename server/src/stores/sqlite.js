// Idempotency store in an SQLite file (the default). Several processes on one
// machine may share the file: a claim is one IMMEDIATE transaction, so two
// processes racing one key cannot both win it.
import { openDatabase } from '../sqlite.js';

/** How often expired keys are deleted, at most. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * @param {{ path?: string, database?: import('better-sqlite3').Database, synchronous?: 'FULL' | 'NORMAL', nowMs?: () => number }} [options]
 *   `path` of the database file (default `./idempotency.db`), or an open `database` to share;
 *   `synchronous` (default 'FULL': a stored answer survives a power cut)
 * @returns {import('./contract.js').IdempotencyStore}
 * @example idempotency({ store: sqliteStore({ path: '/var/lib/chat/idempotency.db' }) })
 */
export function sqliteStore({ path = './idempotency.db', database, synchronous = 'FULL', nowMs = Date.now } = {}) {
  const db = database ?? openDatabase(path, { synchronous });
  db.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    owner TEXT,
    response TEXT,
    expires_at_ms INTEGER NOT NULL
  ) WITHOUT ROWID`);
  const select = db.prepare('SELECT fingerprint, owner, response, expires_at_ms FROM idempotency_keys WHERE key = ?');
  const upsertClaim = db.prepare(`INSERT INTO idempotency_keys (key, fingerprint, owner, response, expires_at_ms)
    VALUES (?, ?, ?, NULL, ?) ON CONFLICT (key) DO UPDATE SET
    fingerprint = excluded.fingerprint, owner = excluded.owner, response = NULL, expires_at_ms = excluded.expires_at_ms`);
  // Owner-checked, not expiry-checked: a lapsed claim nobody took is still ours (contract.js).
  const renew = db.prepare('UPDATE idempotency_keys SET expires_at_ms = ? WHERE key = ? AND owner = ? AND response IS NULL');
  const complete = db.prepare('UPDATE idempotency_keys SET owner = NULL, response = ?, expires_at_ms = ? WHERE key = ? AND owner = ? AND response IS NULL');
  // The record was swept while the handler ran: nobody claimed it since, so the answer is stored.
  const insertClaim = db.prepare('INSERT INTO idempotency_keys (key, fingerprint, owner, response, expires_at_ms) VALUES (?, ?, ?, NULL, ?) ON CONFLICT (key) DO NOTHING');
  const insertDone = db.prepare('INSERT INTO idempotency_keys (key, fingerprint, owner, response, expires_at_ms) VALUES (?, ?, NULL, ?, ?) ON CONFLICT (key) DO NOTHING');
  const release = db.prepare('DELETE FROM idempotency_keys WHERE key = ? AND owner = ? AND response IS NULL');
  // The status only (json_extract), so a lookup never reads the stored body out of the row.
  const peek = db.prepare("SELECT response IS NOT NULL AS done, json_extract(response, '$.status') AS status FROM idempotency_keys WHERE key = ? AND expires_at_ms > ?");
  const sweep = db.prepare('DELETE FROM idempotency_keys WHERE expires_at_ms <= ?');
  let lastSweepMs = 0;

  /** @typedef {{ fingerprint: string, owner: string | null, response: string | null, expires_at_ms: number }} KeyRow */
  const claim = db.transaction((/** @type {string} */ key, /** @type {string} */ fingerprint, /** @type {number} */ leaseMs, /** @type {string} */ owner) => {
    const now = nowMs();
    if (now - lastSweepMs > SWEEP_INTERVAL_MS) {
      lastSweepMs = now;
      sweep.run(now);
    }
    const row = /** @type {KeyRow | undefined} */ (select.get(key));
    if (!row || row.expires_at_ms <= now) {
      upsertClaim.run(key, fingerprint, owner, now + leaseMs);
      return /** @type {const} */ ({ outcome: 'claimed' });
    }
    if (row.response !== null) return /** @type {const} */ ({ outcome: 'done', fingerprint: row.fingerprint, response: JSON.parse(row.response) });
    return /** @type {const} */ ({ outcome: 'running', fingerprint: row.fingerprint });
  });

  return {
    async claim(key, fingerprint, { leaseMs, owner }) {
      return claim.immediate(key, fingerprint, leaseMs, owner);
    },
    async renew(key, owner, leaseMs, fingerprint) {
      const expiresAtMs = nowMs() + leaseMs;
      return renew.run(expiresAtMs, key, owner).changes === 1 || insertClaim.run(key, fingerprint, owner, expiresAtMs).changes === 1;
    },
    async complete(key, owner, response, ttlMs, fingerprint) {
      const json = JSON.stringify(response);
      const expiresAtMs = nowMs() + ttlMs;
      return complete.run(json, expiresAtMs, key, owner).changes === 1 || insertDone.run(key, fingerprint, json, expiresAtMs).changes === 1;
    },
    async release(key, owner) {
      release.run(key, owner);
    },
    async peek(key) {
      const row = /** @type {{ done: 0 | 1, status: number | null } | undefined} */ (peek.get(key, nowMs()));
      if (!row) return { outcome: 'none' };
      return row.done ? { outcome: 'done', status: Number(row.status) } : { outcome: 'running' };
    },
    async clear() {
      db.exec('DELETE FROM idempotency_keys');
    },
    async close() {
      if (!database) db.close();
    },
  };
}
