// One way to connect to Redis for every part of the server half, with errors
// that say which Redis failed instead of ioredis's silent retry loop.
import { Redis } from 'ioredis';

/** How long one Redis command may take before it fails. */
export const REDIS_COMMAND_TIMEOUT_MS = 5_000;

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
