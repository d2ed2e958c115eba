// Every idempotency store the middleware ships keeps the one store contract
// (src/stores/conformance.js, exported as outbox-server/conformance): memory,
// a real SQLite file, a real redis-server and a real PostgreSQL.
import path from 'node:path';
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
