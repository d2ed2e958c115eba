// One way to connect to Redis for every part of the server half, with errors
// that say which Redis failed instead of ioredis's silent retry loop.
import Redis from 'ioredis';

/**
 * @param {string | import('ioredis').Redis} urlOrClient `redis://host:port/db` or a client to share
 * @returns {{ redis: import('ioredis').Redis, owned: boolean }}
 */
export function connectRedis(urlOrClient) {
  if (typeof urlOrClient !== 'string') return { redis: urlOrClient, owned: false };
  const redis = new Redis(urlOrClient, {
    // A command waits for a reconnect instead of failing at once, but not forever.
    maxRetriesPerRequest: 3,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  // Without a listener ioredis prints every reconnect failure; the callers see
  // the failure on their own commands.
  redis.on('error', () => {});
  return { redis, owned: true };
}
