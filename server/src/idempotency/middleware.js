// The Idempotency-Key middleware (draft-ietf-httpapi-idempotency-key-header-06)
// for Node's http and Connect/Express: `(req, res, next)`.
//
// The life of one keyed request:
//
//   claim(scope + key) ──claimed──► next() runs the handler, the lease is renewed (client there or not)
//      │                        │ res.end(status …)
//      │                        ├─ 2xx, 3xx, 4xx but 408/425/429 ─► complete: stored for ttlSeconds
//      │                        └─ 408, 425, 429, 5xx ──────────► release: the next try runs the handler
//      ├─running──► 409 key-in-use (Retry-After: 1), or 422 when the body differs
//      └─done─────► the stored status, headers and body, `Idempotent-Replayed: true`,
//                   or 422 when the body differs
//
// The response is stored when the handler calls `res.end()`, before the
// answer is sent: whether the client ever receives it (a dropped connection)
// does not matter, so a client retrying after a lost answer gets the replay.
// A process that dies mid-handler stops renewing: its claim lapses after
// `leaseMs` and the next try runs the handler. One that lives renews for as
// long as its handler runs (at most `handlerTimeoutMs`), whether or not the
// client is still there: a slow handler is never run a second time beside
// itself, and its answer is stored for the retry.
//
// Keys are scoped to the client (the IETF draft's security considerations;
// Stripe scopes keys to the API key): by default by a hash of the credential
// headers (`scopeHeaders`), or by `scope(req)`. The scope is hashed to a
// fixed length before the key, so no key of one scope can spell another's.
//
// The parts, by role: options.js (defaults, checking them), key.js (reading
// the header), fingerprint.js (the body and its fingerprint), the store's
// claim here, capture.js (recording and storing the handler's answer),
// replay.js (answering a done key), lookup.js (what became of a key).
import { randomUUID } from 'node:crypto';
import { credentialScope, scopeHash } from '../scope.js';
import { readIdempotencyKey } from './key.js';
import { sendProblem } from './problem.js';
import { answerLookup } from './lookup.js';
import { sqliteStore } from '../stores/sqlite.js';
import { BodyTooLargeError, RequestAbortedError } from '../body.js';
import { normalizeOptions } from './options.js';
import { requestBody, requestFingerprint } from './fingerprint.js';
import { guardResponse } from './capture.js';
import { replay } from './replay.js';

export { IDEMPOTENCY_DEFAULTS } from './options.js';

/** @typedef {import('../stores/contract.js').IdempotencyStore} IdempotencyStore */
/** @typedef {import('../stores/contract.js').IdempotencyTransaction} IdempotencyTransaction */
/** @typedef {import('./options.js').IdempotencyOptions} IdempotencyOptions */

/**
 * What the guard hands the handler of a keyed request.
 * @typedef {object} IdempotencyContext
 * @property {string} key the request's Idempotency-Key
 * @property {() => Promise<any>} transaction the store's transaction to write the handler's data in
 *   (a `pg` client inside BEGIN for postgresStore), committed together with the key's answer when the
 *   handler ends its response, rolled back with it otherwise. Rejects with
 *   `TransactionsUnsupportedError` on a store without transactions. Called again, the same one.
 */
/**
 * The request as the handler after the guard sees it: `idempotencyKey` and `idempotency` set, and `rawBody` when the guard read the body.
 * @typedef {import('node:http').IncomingMessage & { idempotencyKey?: string, idempotency?: IdempotencyContext, rawBody?: Buffer, body?: unknown }} GuardedRequest
 */

/** `req.idempotency.transaction()` on a store that keeps its keys apart from the application's data. */
export class TransactionsUnsupportedError extends Error {
  /** @override */
  name = /** @type {const} */ ('TransactionsUnsupportedError');
}
/** @typedef {'ran' | 'replayed' | 'conflict' | 'mismatch' | 'refused' | 'skipped' | 'looked-up'} GuardOutcome */
/**
 * The middleware: never rejects (a failure is answered 500), resolves to what it did. `lookup`
 * answers a key lookup (lookup.js) with the same store and scope, for mounting on a route of its own.
 * @typedef {((req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next: (error?: unknown) => void) => Promise<GuardOutcome>) & { lookup: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => Promise<void> }} IdempotencyMiddleware
 */

/**
 * @param {IdempotencyOptions} [options]
 * @returns {IdempotencyMiddleware}
 * @example
 * const guard = idempotency({ store: sqliteStore({ path: 'keys.db' }), required: true });
 * app.post('/api/chat', express.json(), guard, (req, res) => res.status(201).json(save(req.body)));
 * // Node's http: http.createServer((req, res) => guard(req, res, () => handle(req, res)))
 */
export function idempotency(options = {}) {
  const opts = normalizeOptions(options);
  let store = options.store;
  const methods = new Set(opts.methods.map((m) => m.toUpperCase()));
  const ttlMs = opts.ttlSeconds * 1000;

  /** @type {(req: import('node:http').IncomingMessage) => string} */
  const scopeOf = options.scope ?? ((req) => credentialScope(req, opts.scopeHeaders));

  /** The store key of a request's Idempotency-Key: fixed-length scope first, so `alice:K9` with no scope never meets alice's `K9`. */
  const scopeKey = (/** @type {import('node:http').IncomingMessage} */ req, /** @type {string} */ key) => `${scopeHash(String(scopeOf(req)))}.${key}`;

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  const lookup = async (req, res) => {
    store ??= sqliteStore();
    try {
      await answerLookup(req, res, { store, scopeKey, onError: opts.onError });
    } catch (error) {
      opts.onError(error instanceof Error ? error : new Error(String(error)), req);
      if (!res.headersSent) sendProblem(res, 500, 'idempotency/internal', 'Idempotency lookup failed', 'The server could not look this key up.');
    }
  };

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res @param {(error?: unknown) => void} next @returns {Promise<GuardOutcome>} */
  async function idempotencyMiddleware(req, res, next) {
    // Express strips a mount prefix from req.url (app.use('/api', guard)); originalUrl keeps the whole path.
    const fullUrl = /** @type {{ originalUrl?: string }} */ (req).originalUrl ?? req.url ?? '/';
    if (options.lookupPath !== undefined && new URL(fullUrl, 'http://x').pathname === options.lookupPath) {
      await lookup(req, res);
      return 'looked-up';
    }
    try {
      return await guarded(req, res, next);
    } catch (error) {
      // The documented `guard(req, res, next)` has no .catch: a rejection here would crash the process.
      opts.onError(error instanceof Error ? error : new Error(String(error)), req);
      if (!res.headersSent) sendProblem(res, 500, 'idempotency/internal', 'Idempotency check failed', 'The server could not check this Idempotency-Key; nothing was run.');
      return 'refused';
    }
  }
  return Object.assign(idempotencyMiddleware, { lookup });

  /**
   * @param {GuardedRequest} req
   * @param {import('node:http').ServerResponse} res
   * @param {(error?: unknown) => void} next
   * @returns {Promise<GuardOutcome>}
   */
  async function guarded(req, res, next) {
    if (!methods.has(req.method ?? '')) {
      next();
      return 'skipped';
    }
    const { key, invalid } = readIdempotencyKey(req.headers);
    if (invalid !== undefined) {
      sendProblem(res, 400, 'idempotency/key-invalid', 'Idempotency-Key is invalid', invalid);
      return 'refused';
    }
    if (key === undefined) {
      if (!opts.required) {
        next();
        return 'skipped';
      }
      sendProblem(res, 400, 'idempotency/key-missing', 'Idempotency-Key is missing', `${req.method} ${req.url} needs an Idempotency-Key header: send the same key on every retry of one request.`);
      return 'refused';
    }

    let body;
    try {
      body = await requestBody(req, opts.maxBodyBytes);
    } catch (error) {
      // Nobody is left to answer; nothing was claimed.
      if (error instanceof RequestAbortedError) return 'refused';
      if (!(error instanceof BodyTooLargeError)) throw error;
      res.setHeader('Connection', 'close');
      sendProblem(res, 413, 'idempotency/body-too-large', 'Request body too large', error.message);
      return 'refused';
    }
    const fingerprint = requestFingerprint(req, body);
    const storeKey = scopeKey(req, key);
    const owner = randomUUID();

    store ??= sqliteStore();
    let claim;
    try {
      claim = await store.claim(storeKey, fingerprint, { leaseMs: opts.leaseMs, owner });
    } catch (error) {
      opts.onError(asError(error), req);
      sendProblem(res, 503, 'idempotency/store-unavailable', 'Idempotency store unavailable', 'The server cannot check this Idempotency-Key now; retry with the same key.', { 'Retry-After': '1' });
      return 'refused';
    }
    if (claim.outcome !== 'claimed' && claim.fingerprint !== fingerprint) {
      sendProblem(res, 422, 'idempotency/key-reused', 'Idempotency-Key reused with a different request', `The key "${key}" was first used for another request (a different method, URL or body); use a new key for a new request.`);
      return 'mismatch';
    }
    if (claim.outcome === 'running') {
      sendProblem(res, 409, 'idempotency/key-in-use', 'A request with this Idempotency-Key is being processed', `The first request with key "${key}" has not finished; retry later with the same key to get its answer.`, { 'Retry-After': '1' });
      return 'conflict';
    }
    if (claim.outcome === 'done') {
      replay(res, claim.response);
      return 'replayed';
    }

    req.idempotencyKey = key;
    const keyStore = store;
    /** @type {{ current?: Promise<IdempotencyTransaction> }} */
    const transaction = {};
    req.idempotency = {
      key,
      transaction() {
        if (typeof keyStore.transaction !== 'function') {
          return Promise.reject(new TransactionsUnsupportedError('idempotency: this store keeps keys apart from your data and has no transactions; postgresStore has'));
        }
        transaction.current ??= keyStore.transaction(storeKey, owner, fingerprint);
        return transaction.current.then((t) => t.handle);
      },
    };
    guardResponse(res, { store, storeKey, fingerprint, owner, ttlMs, leaseMs: opts.leaseMs, handlerTimeoutMs: opts.handlerTimeoutMs, transaction, onError: (error) => opts.onError(asError(error), req) });
    next();
    return 'ran';
  }
}

/** @param {unknown} error */
const asError = (error) => (error instanceof Error ? error : new Error(String(error)));
