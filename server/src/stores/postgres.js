// Idempotency store in PostgreSQL, brandur-style: the key's row lives in the
// same database as the chat's messages, so a handler can write its message
// and the key's stored answer in one transaction (`req.idempotency.transaction()`):
// a crash between the two leaves neither, and the retry runs the handler again
// (once), instead of storing the message a second time or replaying an answer
// for a message that is not there. See https://brandur.org/idempotency-keys.
//
// The pool is the application's (`pg.Pool`): this module imports nothing of
// `pg`, so sites on SQLite or Redis need not install it. Times come from the
// database's clock (`clock_timestamp()`), so several app servers agree on
// when a lease or a key expires.
//
// Every statement is a single row operation on the key's primary key; a claim
// is an INSERT … ON CONFLICT DO UPDATE that only takes a row whose time is
// up, so two processes racing one key cannot both win it.

/** How often expired keys are deleted, at most (per store). */
const SWEEP_INTERVAL_MS = 60_000;
/** Identifiers we put into SQL ourselves: a plain, optionally schema-qualified, name. */
const TABLE_NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/**
 * The part of `pg`'s pool and client this store uses.
 * @typedef {{ query(text: string, values?: unknown[]): Promise<{ rowCount: number | null, rows: any[] }> }} Queryable
 * @typedef {Queryable & { release(error?: Error | boolean): void }} PoolClient
 * @typedef {Queryable & { connect(): Promise<PoolClient> }} Pool
 */

/**
 * @param {{ pool: Pool, table?: string }} options
 *   `pool`: the application's `pg.Pool`; `table` (default `outbox_idempotency_keys`), created if missing.
 * @returns {import('./contract.js').IdempotencyStore & { transaction: NonNullable<import('./contract.js').IdempotencyStore['transaction']> }}
 * @example
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const guard = idempotency({ store: postgresStore({ pool }) });
 * app.post('/api/chat', guard, async (req, res) => {
 *   const db = await req.idempotency.transaction(); // BEGIN; committed with the key's answer
 *   const { rows } = await db.query('INSERT INTO messages (text) VALUES ($1) RETURNING id', [req.body.text]);
 *   res.status(201).json({ id: rows[0].id });
 * });
 */
export function postgresStore({ pool, table = 'outbox_idempotency_keys' }) {
  if (!pool || typeof pool.query !== 'function' || typeof pool.connect !== 'function') throw new TypeError('postgresStore: pass { pool }, a pg.Pool');
  if (!TABLE_NAME.test(table)) throw new TypeError(`postgresStore: table must be a plain lower-case name like outbox_idempotency_keys; got ${JSON.stringify(table)}`);
  /** @type {Promise<void> | undefined} */
  let ready;
  let lastSweepMs = 0;

  const ensureTable = () =>
    (ready ??= createTable(pool, table).catch((error) => {
      ready = undefined;
      throw error;
    }));
  const until = (/** @type {number} */ paramIndex) => `clock_timestamp() + $${paramIndex} * interval '1 millisecond'`;

  /**
   * Stores the answer of the claim `owner` holds: in place, or as a new row
   * when the record expired and was swept meanwhile (nobody claimed it since).
   * @param {Queryable} db
   * @param {string} key @param {string} owner @param {import('./contract.js').StoredResponse} response @param {number} ttlMs @param {string} fingerprint
   */
  async function completeOn(db, key, owner, response, ttlMs, fingerprint) {
    const json = JSON.stringify(response);
    const updated = await db.query(`UPDATE ${table} SET owner = NULL, response = $3, expires_at = ${until(4)} WHERE key = $1 AND owner = $2 AND response IS NULL`, [key, owner, json, ttlMs]);
    if (updated.rowCount === 1) return true;
    const inserted = await db.query(`INSERT INTO ${table} (key, fingerprint, owner, response, expires_at) VALUES ($1, $2, NULL, $3, ${until(4)}) ON CONFLICT (key) DO NOTHING`, [key, fingerprint, json, ttlMs]);
    return inserted.rowCount === 1;
  }

  return {
    async claim(key, fingerprint, { leaseMs, owner }) {
      await ensureTable();
      if (Date.now() - lastSweepMs > SWEEP_INTERVAL_MS) {
        lastSweepMs = Date.now();
        pool.query(`DELETE FROM ${table} WHERE expires_at <= clock_timestamp()`).catch(() => {});
      }
      // A row that appears or expires between the two statements: look again (a few times at most).
      for (let tries = 0; tries < 5; tries += 1) {
        const taken = await pool.query(
          `INSERT INTO ${table} AS k (key, fingerprint, owner, response, expires_at) VALUES ($1, $2, $3, NULL, ${until(4)})
           ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, owner = EXCLUDED.owner, response = NULL, expires_at = EXCLUDED.expires_at
           WHERE k.expires_at <= clock_timestamp()`,
          [key, fingerprint, owner, leaseMs],
        );
        if (taken.rowCount === 1) return { outcome: 'claimed' };
        const { rows } = await pool.query(`SELECT fingerprint, response FROM ${table} WHERE key = $1 AND expires_at > clock_timestamp()`, [key]);
        const row = rows[0];
        if (row === undefined) continue;
        if (row.response !== null) return { outcome: 'done', fingerprint: row.fingerprint, response: JSON.parse(row.response) };
        return { outcome: 'running', fingerprint: row.fingerprint };
      }
      throw new Error(`postgresStore: key ${key} kept changing under five claims in a row`);
    },
    async renew(key, owner, leaseMs, fingerprint) {
      await ensureTable();
      // Owner-checked, not expiry-checked: a lapsed claim nobody took is still ours (contract.js).
      const renewed = await pool.query(`UPDATE ${table} SET expires_at = ${until(3)} WHERE key = $1 AND owner = $2 AND response IS NULL`, [key, owner, leaseMs]);
      if (renewed.rowCount === 1) return true;
      const inserted = await pool.query(`INSERT INTO ${table} (key, fingerprint, owner, response, expires_at) VALUES ($1, $2, $3, NULL, ${until(4)}) ON CONFLICT (key) DO NOTHING`, [key, fingerprint, owner, leaseMs]);
      return inserted.rowCount === 1;
    },
    async complete(key, owner, response, ttlMs, fingerprint) {
      await ensureTable();
      return completeOn(pool, key, owner, response, ttlMs, fingerprint);
    },
    async release(key, owner) {
      await ensureTable();
      await pool.query(`DELETE FROM ${table} WHERE key = $1 AND owner = $2 AND response IS NULL`, [key, owner]);
    },
    async peek(key) {
      await ensureTable();
      // The status only (response is JSON text), so a lookup never reads the stored body out of the row.
      const { rows } = await pool.query(`SELECT response IS NOT NULL AS done, (response::json ->> 'status')::int AS status FROM ${table} WHERE key = $1 AND expires_at > clock_timestamp()`, [key]);
      const row = rows[0];
      if (row === undefined) return { outcome: 'none' };
      return row.done ? { outcome: 'done', status: Number(row.status) } : { outcome: 'running' };
    },
    async transaction(key, owner, fingerprint) {
      await ensureTable();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
      } catch (error) {
        client.release(true);
        throw error;
      }
      let open = true;
      const end = async (/** @type {'COMMIT' | 'ROLLBACK'} */ statement) => {
        if (!open) return;
        open = false;
        try {
          await client.query(statement);
          client.release();
        } catch (error) {
          // A connection that failed mid-transaction is not handed to anyone else.
          client.release(true);
          throw error;
        }
      };
      return {
        handle: client,
        async complete(response, ttlMs) {
          let stored = false;
          try {
            stored = await completeOn(client, key, owner, response, ttlMs, fingerprint);
          } finally {
            // Stored: the handler's writes and the key's answer become visible together.
            // Not stored (another request took the key): the handler's writes are undone with it.
            await end(stored ? 'COMMIT' : 'ROLLBACK');
          }
          return stored;
        },
        abort: () => end('ROLLBACK'),
      };
    },
    async clear() {
      await ensureTable();
      await pool.query(`DELETE FROM ${table}`);
    },
    async close() {
      // The pool is the application's: it ends it.
    },
  };
}

/**
 * @param {Queryable} pool
 * @param {string} table
 */
async function createTable(pool, table) {
  const sql = `CREATE TABLE IF NOT EXISTS ${table} (
    key text PRIMARY KEY,
    fingerprint text NOT NULL,
    owner text,
    response text,
    expires_at timestamptz NOT NULL
  )`;
  try {
    await pool.query(sql);
  } catch (error) {
    // Two processes creating it at once: one loses on the catalog's unique index, and the table is there.
    if (/** @type {{ code?: string }} */ (error).code !== '23505' && /** @type {{ code?: string }} */ (error).code !== '42P07') throw error;
  }
}
