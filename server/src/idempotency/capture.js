// Response capture: what the handler of a claimed key answers is recorded as
// it is written, the claim is renewed meanwhile, and at `res.end()` the answer
// is stored (or the claim released) before it leaves.
import { STATUS_CODES } from 'node:http';
import { performance } from 'node:perf_hooks';
import { sendProblem } from './problem.js';
// 408, 425, 429 and 5xx: never stored, as neither outbox's worker nor its relay counts them delivered.
import { isTransientStatus } from '../retry-policy.js';

/** @typedef {import('../stores/contract.js').IdempotencyStore} IdempotencyStore */
/** @typedef {import('../stores/contract.js').StoredResponse} StoredResponse */
/** @typedef {import('../stores/contract.js').IdempotencyTransaction} IdempotencyTransaction */

// Headers that describe one connection or one moment, not the answer.
const NOT_REPLAYED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date', 'set-cookie', 'idempotent-replayed']);

/**
 * Records what the handler answers, renews the claim meanwhile, and stores (or releases) it at `res.end()`.
 * @param {import('node:http').ServerResponse} res
 * @param {{ store: IdempotencyStore, storeKey: string, fingerprint: string, owner: string, ttlMs: number, leaseMs: number, handlerTimeoutMs: number, transaction: { current?: Promise<IdempotencyTransaction> }, onError: (error: unknown) => void }} claim
 */
export function guardResponse(res, { store, storeKey, fingerprint, owner, ttlMs, leaseMs, handlerTimeoutMs, transaction, onError }) {
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
