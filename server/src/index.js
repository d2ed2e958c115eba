// outbox-server: the server half of outbox.
export { idempotency, IDEMPOTENCY_DEFAULTS, TransactionsUnsupportedError } from './idempotency/middleware.js';
export { isTransientStatus } from './retry-policy.js';
export { parseIdempotencyKey, InvalidKeyError, MAX_KEY_CHARS } from './idempotency/key.js';
export { memoryStore } from './stores/memory.js';
export { sqliteStore } from './stores/sqlite.js';
export { redisStore } from './stores/redis.js';
export { postgresStore } from './stores/postgres.js';

// The public types, for `import type { IdempotencyOptions } from 'outbox-server'`.
/** @typedef {import('./idempotency/middleware.js').IdempotencyOptions} IdempotencyOptions */
/** @typedef {import('./idempotency/middleware.js').IdempotencyMiddleware} IdempotencyMiddleware */
/** @typedef {import('./idempotency/middleware.js').GuardOutcome} GuardOutcome */
/** @typedef {import('./idempotency/middleware.js').GuardedRequest} GuardedRequest */
/** @typedef {import('./stores/contract.js').IdempotencyStore} IdempotencyStore */
/** @typedef {import('./stores/contract.js').StoredResponse} StoredResponse */
/** @typedef {import('./stores/contract.js').ClaimResult} ClaimResult */
/** @typedef {import('./stores/contract.js').IdempotencyTransaction} IdempotencyTransaction */
/** @typedef {import('./idempotency/middleware.js').IdempotencyContext} IdempotencyContext */
