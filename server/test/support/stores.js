// The idempotency stores every middleware test runs on: memory, a real SQLite
// file in the test file's folder, the test file's real redis-server and its
// real PostgreSQL (a table of its own per store).
import path from 'node:path';
import pg from 'pg';
import { memoryStore, sqliteStore, redisStore, postgresStore } from '../../src/index.js';

const unique = () => Math.random().toString(36).slice(2);

/**
 * @param {string} tmp the test file's temporary folder
 * @param {{ url?: string }} redis filled in by fileResources() before the first test
 * @param {{ connectionString?: string }} postgres filled in by postgresResource() before the first test
 * @returns {Record<'memory' | 'sqlite' | 'redis' | 'postgres', () => import('../../src/index.js').IdempotencyStore>}
 */
export const storeMakers = (tmp, redis, postgres) => ({
  memory: () => memoryStore(),
  sqlite: () => sqliteStore({ path: path.join(tmp, `keys-${unique()}.db`) }),
  redis: () => redisStore({ url: /** @type {string} */ (redis.url), prefix: `t${unique()}:` }),
  postgres: () => makePostgresStore(/** @type {string} */ (postgres.connectionString)),
});

/**
 * A pg pool whose idle connections may be cut when the test's PostgreSQL
 * stops (whichever of the file's hooks runs first): pg reports that as an
 * 'error' event, fatal when nobody listens. An application logs it; a test
 * that is over has nothing to do with it.
 * @param {string} connectionString
 * @param {number} [max]
 */
export function quietPool(connectionString, max = 8) {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => {});
  return pool;
}

/**
 * A postgresStore on a pool of its own, which its close() ends (an application ends its own pool).
 * @param {string} connectionString
 * @param {string} [table]
 */
export function makePostgresStore(connectionString, table = `keys_${unique()}`) {
  const pool = quietPool(connectionString);
  const store = postgresStore({ pool, table });
  return { ...store, pool, close: () => pool.end() };
}

/**
 * Listens on a free port of 127.0.0.1; the chat URL and a close that ends kept-alive connections.
 * @param {import('node:http').Server} server
 */
export async function listenLocal(server) {
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/api/chat`;
  return { url, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}
