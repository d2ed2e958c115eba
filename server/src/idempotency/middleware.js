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
import { createHash, randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { credentialScope, scopeHash } from '../scope.js';
import { performance } from 'node:perf_hooks';
import { readIdempotencyKey } from './key.js';
import { sendProblem } from './problem.js';
import { answerLookup } from './lookup.js';
// 408, 425, 429 and 5xx: never stored, as neither outbox's worker nor its relay counts them delivered.
import { isTransientStatus } from '../retry-policy.js';
import { sqliteStore } from '../stores/sqlite.js';
import { BodyTooLargeError, RequestAbortedError, readBody } from '../body.js';

/** @typedef {import('../stores/contract.js').IdempotencyStore} IdempotencyStore */
/** @typedef {import('../stores/contract.js').StoredResponse} StoredResponse */
/** @typedef {import('../stores/contract.js').IdempotencyTransaction} IdempotencyTransaction */

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


// Headers that describe one connection or one moment, not the answer.
const NOT_REPLAYED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'set-cookie', 'idempotent-replayed']);

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
    const fingerprint = createHash('sha256').update(`${req.method} ${req.url}\n`).update(body).digest('base64url');
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

/**
 * @param {IdempotencyOptions} options
 * @returns {Required<Omit<IdempotencyOptions, 'store' | 'scope' | 'lookupPath'>>}
 */
function normalizeOptions(options) {
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

/**
 * The request's bytes: `req.rawBody` when something kept them, the body a
 * parser already made (as canonical JSON), else read here and kept on
 * `req.rawBody` for the handler (the stream is consumed).
 * @param {GuardedRequest} req
 * @param {number} maxBodyBytes
 * @returns {Promise<Buffer>}
 */
async function requestBody(req, maxBodyBytes) {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (req.body !== undefined) return Buffer.from(Buffer.isBuffer(req.body) ? req.body : canonicalJson(req.body));
  req.rawBody = await readBody(req, maxBodyBytes);
  return req.rawBody;
}

/**
 * JSON with object keys sorted, so a parsed body fingerprints the same whatever its key order.
 * @param {unknown} value
 * @returns {string}
 */
function canonicalJson(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = /** @type {Record<string, unknown>} */ (value);
  return `{${Object.keys(record).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}

/**
 * Records what the handler answers, renews the claim meanwhile, and stores (or releases) it at `res.end()`.
 * @param {import('node:http').ServerResponse} res
 * @param {{ store: IdempotencyStore, storeKey: string, fingerprint: string, owner: string, ttlMs: number, leaseMs: number, handlerTimeoutMs: number, transaction: { current?: Promise<IdempotencyTransaction> }, onError: (error: unknown) => void }} claim
 */
function guardResponse(res, { store, storeKey, fingerprint, owner, ttlMs, leaseMs, handlerTimeoutMs, transaction, onError }) {
  /** @type {Buffer[]} */
  const chunks = [];
  /** @type {[string, unknown][]} */
  let headHeaders = [];
  let done = false;
  const startedMs = performance.now();
  // Renewed while the handler runs, whether the client is still there or not:
  // a client that gave up retries with the same key, and must find this run
  // (409, then its stored answer), not start a second one beside it.
  const renewal = setInterval(() => {
    if (performance.now() - startedMs > handlerTimeoutMs) return clearInterval(renewal);
    store.renew(storeKey, owner, leaseMs, fingerprint).then((held) => {
      if (!held) clearInterval(renewal);
    }, onError);
  }, Math.max(10, Math.floor(leaseMs / 3)));
  renewal.unref();
  // A handler that never ended its response (it crashed, the socket closed) must not hold a connection in a transaction.
  res.once('close', () => {
    if (!done) transaction.current?.then((t) => t.abort()).catch(onError);
  });

  const originalWriteHead = res.writeHead;
  const originalWrite = res.write;
  const originalEnd = res.end;
  /** @param {unknown} chunk @param {unknown} encoding */
  const keep = (chunk, encoding) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk) : Buffer.from(String(chunk), typeof encoding === 'string' ? /** @type {BufferEncoding} */ (encoding) : 'utf8'));
  };
  // Node's overloads cannot be spelled on a replacement; the arguments pass through untouched.
  /** @type {any} */ (res).writeHead = function writeHead(/** @type {number} */ status, /** @type {any[]} */ ...rest) {
    const headers = rest.find((arg) => arg && typeof arg === 'object');
    if (headers) headHeaders = Array.isArray(headers) ? pairs(headers) : Object.entries(headers);
    return /** @type {Function} */ (originalWriteHead).call(this, status, ...rest);
  };
  /** @type {any} */ (res).write = function write(/** @type {any} */ chunk, /** @type {any} */ encoding, /** @type {any} */ callback) {
    keep(chunk, encoding);
    return originalWrite.call(this, chunk, encoding, callback);
  };
  /** @type {any} */ (res).end = function end(/** @type {any} */ chunk, /** @type {any} */ encoding, /** @type {any} */ callback) {
    if (done) return originalEnd.call(this, chunk, encoding, callback);
    done = true;
    clearInterval(renewal);
    keep(chunk, encoding);
    /** @type {Map<string, string | string[]>} */
    const headers = new Map();
    for (const [name, value] of [...Object.entries(res.getHeaders()), ...headHeaders]) {
      if (!NOT_REPLAYED.has(name.toLowerCase()) && value !== undefined) headers.set(name.toLowerCase(), Array.isArray(value) ? value.map(String) : String(value));
    }
    /** @type {StoredResponse} */
    const response = {
      status: res.statusCode,
      // A reason phrase of the handler's own is part of its answer.
      ...(res.statusMessage && res.statusMessage !== STATUS_CODES[res.statusCode] ? { statusMessage: res.statusMessage } : {}),
      headers: [...headers].flatMap(([name, value]) => (Array.isArray(value) ? value.map((v) => /** @type {[string, string]} */ ([name, v])) : [/** @type {[string, string]} */ ([name, value])])),
      bodyBase64: Buffer.concat(chunks).toString('base64'),
    };
    const send = () => originalEnd.call(res, chunk, encoding, callback);
    const pending = transaction.current;
    if (isTransientStatus(response.status)) {
      // "Try again later": nothing of this run is kept, the handler's writes included.
      Promise.all([pending?.then((t) => t.abort()), store.release(storeKey, owner)]).catch(onError).finally(send);
    } else if (pending) {
      // The handler's writes and the key's answer commit together, or neither does.
      pending.then((t) => t.complete(response, ttlMs)).then(
        (stored) => (stored ? send() : refuseRolledBack(res, storeKey)),
        (error) => {
          // Committed or not, we cannot tell: a dropped connection makes the client retry with the key.
          onError(error);
          res.destroy();
        },
      );
    } else {
      // The answer leaves only once its copy is stored: a retry arriving the
      // instant after must find it.
      Promise.resolve(store.complete(storeKey, owner, response, ttlMs, fingerprint)).catch(onError).finally(send);
    }
    return res;
  };
}

/**
 * Another request took the key while this handler ran (its lease lapsed): its
 * writes were rolled back, so its answer must not be sent. The client retries
 * with the same key and gets the other run's answer.
 * @param {import('node:http').ServerResponse} res
 * @param {string} storeKey
 */
function refuseRolledBack(res, storeKey) {
  if (res.headersSent) return void res.destroy();
  sendProblem(res, 409, 'idempotency/key-taken', 'This request was rolled back', `Another request with the same Idempotency-Key took over while this one ran (${storeKey.split('.').slice(1).join('.')}); retry with the same key to get its answer.`, { 'Retry-After': '1' });
}

/**
 * `writeHead`'s headers as pairs, from either `[[name, value]]` or the flat `[name, value, …]` form.
 * @param {unknown[]} flat
 * @returns {[string, unknown][]}
 */
const pairs = (flat) => {
  /** @type {[string, unknown][]} */
  const out = [];
  if (Array.isArray(flat[0])) return /** @type {[string, unknown][]} */ (flat);
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), flat[i + 1]]);
  return out;
};

/**
 * @param {import('node:http').ServerResponse} res
 * @param {StoredResponse} stored
 */
function replay(res, stored) {
  const body = Buffer.from(stored.bodyBase64, 'base64');
  /** @type {Record<string, string | string[]>} */
  const headers = {};
  for (const [name, value] of stored.headers) {
    const before = headers[name];
    headers[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  headers['content-length'] = String(body.length);
  headers['idempotent-replayed'] = 'true';
  if (stored.statusMessage) res.writeHead(stored.status, stored.statusMessage, headers);
  else res.writeHead(stored.status, headers);
  res.end(body);
}
