// Every relay queue store keeps the one store contract (src/relay/conformance.js,
// exported as outbox-server/relay/conformance): memory, a real SQLite file, a
// real redis-server and a real three-master Redis Cluster.
import path from 'node:path';
import { describeRelayQueueConformance } from '../src/relay/conformance.js';
import { memoryQueue } from '../src/relay/store-memory.js';
import { sqliteQueue } from '../src/relay/store-sqlite.js';
import { redisQueue } from '../src/relay/store-redis.js';
import { fileResources } from './support/redis-server.js';
import { redisClusterResource } from './support/redis-cluster.js';

const { tmp, redis } = fileResources('outbox-relay-stores-');
const cluster = redisClusterResource();
let seq = 0;

describeRelayQueueConformance('memory', (clock) => memoryQueue(clock));
describeRelayQueueConformance('sqlite', (clock) => sqliteQueue({ path: path.join(tmp, `queue-${++seq}.db`), ...clock }), { sharedLeases: false });
describeRelayQueueConformance('redis', (clock) => redisQueue({ url: redis.url, prefix: `c${++seq}:`, ...clock }));
describeRelayQueueConformance('redis cluster', (clock) => redisQueue({ url: cluster.url, prefix: `c${++seq}:`, ...clock }));
