// The middleware's options: their types, defaults in one constant, and the
// normalized form every other part reads.

/** @typedef {import('../stores/contract.js').IdempotencyStore} IdempotencyStore */

/** @type {Readonly<Required<Omit<IdempotencyOptions, 'store' | 'onError' | 'scope' | 'lookupPath'>>>} */
export const IDEMPOTENCY_DEFAULTS = {
  ttlSeconds: 24 * 60 * 60,
  required: false,
  leaseMs: 10_000,
  maxBodyBytes: 1024 * 1024,
  methods: ['POST', 'PATCH'],
  scopeHeaders: ['authorization', 'cookie'],
  handlerTimeoutMs: 10 * 60 * 1000,
};

/**
 * @typedef {object} IdempotencyOptions
 * @property {IdempotencyStore} [store] where keys live; default `sqliteStore()` (./idempotency.db)
 * @property {number} [ttlSeconds] how long a stored response is replayed; at least the clients' retention. Default: 86400.
 * @property {boolean} [required] a request without a key gets 400 instead of running unguarded. Default: false.
 * @property {number} [leaseMs] how long a claim outlives a process that stopped renewing it. Default: 10000.
 * @property {number} [maxBodyBytes] largest request body read for the fingerprint; larger gets 413. Default: 1048576.
 * @property {string[]} [methods] methods guarded; others pass straight to `next()`. Default: ['POST', 'PATCH'].
 * @property {(req: import('node:http').IncomingMessage) => string} [scope] whose key it is, e.g. the signed-in user's id: two scopes' keys never meet. Replaces `scopeHeaders`. A scope that throws is answered 500.
 * @property {string[]} [scopeHeaders] without `scope`, keys are scoped by a hash of these request headers (the credentials). A cookie session whose cookie changes between a request and its retry runs the handler again: prefer `scope` with the user id there. Default: ['authorization', 'cookie'].
 * @property {number} [handlerTimeoutMs] the claim is renewed while the handler runs, at most this long (a handler that never answers must not hold its key for ever). Default: 600000.
 * @property {(error: Error, req: import('node:http').IncomingMessage) => void} [onError] told when the store failed after the handler ran (the answer is still sent)
 * @property {string} [lookupPath] a path answered with what became of a key (`GET` with the Idempotency-Key and the
 *   POST's credentials: unknown, in-progress, or completed with the stored status; lookup.js), for the browser outbox's
 *   `lookup=`. The guard must see the request: mount it app-wide, or mount `guard.lookup` on that path. None by default.
 */

/**
 * @param {IdempotencyOptions} options
 * @returns {Required<Omit<IdempotencyOptions, 'store' | 'scope' | 'lookupPath'>>}
 */
export function normalizeOptions(options) {
  /** @type {Required<Omit<IdempotencyOptions, 'store' | 'scope' | 'lookupPath'>>} */
  const opts = { ...IDEMPOTENCY_DEFAULTS, onError: (error) => console.error('idempotency:', error), ...definedOnly(options) };
  for (const name of /** @type {const} */ (['ttlSeconds', 'leaseMs', 'maxBodyBytes', 'handlerTimeoutMs'])) {
    if (!(Number.isFinite(opts[name]) && opts[name] > 0)) throw new RangeError(`idempotency: ${name} must be a number > 0; got ${JSON.stringify(opts[name])}`);
  }
  if (!Array.isArray(opts.methods)) throw new TypeError('idempotency: methods must be an array like ["POST"]');
  if (options.scope !== undefined && typeof options.scope !== 'function') throw new TypeError('idempotency: scope must be a function (req) => string');
  if (!Array.isArray(opts.scopeHeaders)) throw new TypeError('idempotency: scopeHeaders must be an array like ["authorization"]');
  if (options.lookupPath !== undefined && (typeof options.lookupPath !== 'string' || !options.lookupPath.startsWith('/'))) {
    throw new TypeError(`idempotency: lookupPath must be a path like "/api/lookup"; got ${JSON.stringify(options.lookupPath)}`);
  }
  opts.scopeHeaders = opts.scopeHeaders.map((name) => String(name).toLowerCase());
  return opts;
}

/**
 * @template {object} T
 * @param {T} object
 * @returns {Partial<T>}
 */
const definedOnly = (object) => /** @type {Partial<T>} */ (Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)));
