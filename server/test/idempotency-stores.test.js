// Every idempotency store the middleware ships keeps the one store contract
// (src/stores/conformance.js, exported as outbox-server/conformance): memory,
// a real SQLite file, a real redis-server and a real PostgreSQL.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { memoryStore, sqliteStore, redisStore } from '../src/index.js';
import { describeStoreConformance } from '../src/stores/conformance.js';
import { fileResources } from './support/redis-server.js';
import { postgresResource } from './support/postgres-server.js';
import { makePostgresStore } from './support/stores.js';

const { tmp, redis } = fileResources('outbox-idem-stores-');
const postgres = postgresResource();

describeStoreConformance('memory', () => memoryStore());
describeStoreConformance('sqlite', () => sqliteStore({ path: path.join(tmp, 'keys.db') }));
describeStoreConformance('redis', () => redisStore({ url: redis.url, prefix: 'conformance:' }));
describeStoreConformance('postgres', () => makePostgresStore(postgres.connectionString));

// peek is optional for a store of your own, but every shipped store has it (the middleware's lookupPath needs it):
// without this, a shipped store that lost it would only skip the peek tests above.
test('every shipped store implements peek', async () => {
  const shipped = { memory: memoryStore(), sqlite: sqliteStore({ path: path.join(tmp, 'peek.db') }), redis: redisStore({ url: redis.url, prefix: 'peek:' }), postgres: makePostgresStore(postgres.connectionString) };
  for (const [name, store] of Object.entries(shipped)) {
    assert.equal(typeof store.peek, 'function', name);
    await store.close();
  }
});
