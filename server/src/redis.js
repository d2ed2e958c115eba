// One way to connect to Redis for every part of the server half, with errors
// that say which Redis failed instead of ioredis's silent retry loop.
import { Cluster, Redis } from 'ioredis';

/** How long one Redis command may take before it fails. */
export const REDIS_COMMAND_TIMEOUT_MS = 5_000;

/** `redis-cluster://host:port,host:port`: the seed nodes of a Redis Cluster (or a Valkey cluster). */
export const CLUSTER_URL = /^redis-cluster:\/\/([^/?#]+)\/?$/;

/**
 * @param {string | import('ioredis').Redis | import('ioredis').Cluster} urlOrClient
 *   `redis://host:port/db`, `redis-cluster://host:port,host:port`, or a client to share
 * @returns {{ redis: import('ioredis').Redis | import('ioredis').Cluster, owned: boolean }}
 */
export function connectRedis(urlOrClient) {
  if (typeof urlOrClient !== 'string') return { redis: urlOrClient, owned: false };
  const cluster = CLUSTER_URL.exec(urlOrClient);
  if (cluster) {
    const nodes = /** @type {string} */ (cluster[1]).split(',').map((node) => {
      const at = node.lastIndexOf(':');
      return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
    });
    const redis = new Cluster(nodes, {
      redisOptions: { maxRetriesPerRequest: 3, commandTimeout: REDIS_COMMAND_TIMEOUT_MS },
      // A moved slot is followed; a cluster that lost a master answers with errors, not hangs.
      enableOfflineQueue: true,
    });
    redis.on('error', () => {});
    return { redis, owned: true };
  }
  const redis = new Redis(urlOrClient, {
    // A command waits for a reconnect instead of failing at once, but not forever.
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    lazyConnect: false,
    // A Redis that accepts connections but never answers (paused, swapping)
    // must not hang every request behind it: the command fails instead, and
    // the caller answers 503.
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  });
  // Without a listener ioredis prints every reconnect failure; the callers see
  // the failure on their own commands.
  redis.on('error', () => {});
  return { redis, owned: true };
}
