// outbox-server: the server half of outbox.
export { idempotency, IDEMPOTENCY_DEFAULTS, isTransientStatus } from './idempotency/middleware.js';
export { parseIdempotencyKey, InvalidKeyError, MAX_KEY_CHARS } from './idempotency/key.js';
export { memoryStore } from './stores/memory.js';
export { sqliteStore } from './stores/sqlite.js';
export { redisStore } from './stores/redis.js';
