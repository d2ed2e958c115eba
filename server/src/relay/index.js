// The relay's public surface.
export { startRelay } from './relay.js';
export { RELAY_DEFAULTS, RelayOptionError, normalizeRelayOptions } from './options.js';
export { memoryQueue } from './store-memory.js';
export { sqliteQueue } from './store-sqlite.js';
export { redisQueue } from './store-redis.js';
export { classifyStatus, parseRetryAfterMs, backoffDelayMs, retryDelayMs } from '../retry-policy.js';

/** @typedef {import('./admin.js').ListedMessage} ListedMessage */
/** @typedef {import('./store-contract.js').RelayQueue} RelayQueue */
/** @typedef {import('./store-contract.js').StoredMessage} StoredMessage */
