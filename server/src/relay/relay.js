// The relay: a small HTTP service between the page and an upstream chat API.
// Store first, then answer, then forward in order; exactly once at a
// deduplicating upstream; nothing accepted is lost. See docs/server.md.
import http from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import { readIdempotencyKey } from '../idempotency/key.js';
import { BodyTooLargeError, RequestAbortedError } from '../body.js';
import { normalizeRelayOptions } from './options.js';
import { originForm } from './target.js';
import { credentialScope, scopeHash } from '../scope.js';
import { answerLookup } from './lookup.js';
import { loadSecretKey, sealHeaders } from './sealed.js';
import { sqliteQueue } from './store-sqlite.js';
import { redisQueue } from './store-redis.js';
import { createForwarder } from './forwarder.js';
import { createLogger, redactHeaders } from './log.js';
import { clientKeyOf, createAdmin } from './admin.js';
import { createMetrics } from './metrics.js';
import { endToEndHeaders, headerObject, proxy, readBody, sendJson, sendProblem } from './http.js';

/**
 * Starts a relay and resolves once it listens.
 * @param {import('./options.js').RelayOptions & { log?: Omit<ReturnType<typeof createLogger>, 'lifecycle'> & { lifecycle?: import('./log.js').LogFn } }} options
 * @example const relay = await startRelay({ upstream: 'http://127.0.0.1:9000', store: 'sqlite:relay.db' }); // relay.url
 */
export async function startRelay(options) {
  const opts = normalizeRelayOptions(options);
  const log = options.log ? { ...options.log, lifecycle: options.log.lifecycle ?? options.log.info } : createLogger({ level: opts.logLevel });
  const ttlMs = opts.ttlSeconds * 1000;
  const store = opts.store.startsWith('sqlite:')
    ? sqliteQueue({ path: opts.store.slice('sqlite:'.length), ttlMs, deadLetterTtlMs: opts.deadLetterTtlSeconds * 1000 })
    : redisQueue({ url: opts.store, prefix: opts.redisPrefix, ttlMs, deadLetterTtlMs: opts.deadLetterTtlSeconds * 1000 });
  if (store.kind === 'redis') {
    await store.redis.ping().catch((error) => {
      store.redis.disconnect();
      throw new Error(`relay: cannot reach Redis at ${opts.store}: ${error.message}`, { cause: error });
    });
    await store.prepare().catch(async (error) => {
      await store.close();
      throw error;
    });
    if ((await store.appendOnly()) === 'no') log.warn('redis-aof-off', { detail: 'appendonly is no: a Redis restart loses queued messages; set appendonly yes (and appendfsync always for a 202 that survives a power cut)' });
  }
  const secretKey = loadSecretKey(opts);
  if (!secretKey) log.warn('credentials-in-clear', { detail: 'no --secret-key-file (or OUTBOX_RELAY_SECRET_KEY): Authorization, Cookie and the other credential headers of queued messages are stored in clear' });
  const owner = `${process.pid}-${randomUUID()}`;
  const metrics = createMetrics(store);
  let upstreamState = 'up';
  const onUpstream = (/** @type {'up' | 'down'} */ state) => {
    if (state !== upstreamState) log.info(state === 'up' ? 'upstream-up' : 'upstream-down', {});
    upstreamState = state;
    if (state === 'up') forwarderOrNone?.upstreamAnswered();
  };
  // Declared before it is made: onUpstream, which the forwarder calls, reads it.
  /** @type {ReturnType<typeof createForwarder> | undefined} */
  let forwarderOrNone;
  const forwarder = (forwarderOrNone = createForwarder({ store, owner, options: opts, log, metrics, onUpstream, secretKey }));

  const admin = createAdmin({ store, metrics, forwarder, log, opts, upstreamState: () => upstreamState });
  const scopeOf = (/** @type {import('node:http').IncomingMessage} */ req) => scopeHash(credentialScope(req, opts.scopeHeaders));

  // Slow clients (slowloris) are cut off: Node checks these every connectionsCheckingInterval.
  const server = http.createServer({ headersTimeout: opts.headersTimeoutMs, requestTimeout: opts.requestTimeoutMs, connectionsCheckingInterval: Math.min(1_000, opts.headersTimeoutMs) }, (req, res) => {
    handle(req, res).catch((/** @type {Error} */ error) => {
      log.error('request-failed', { method: req.method, path: req.url, error: error.message });
      if (!res.headersSent) sendProblem(res, 500, 'internal', 'Relay error', error.message);
      else res.destroy();
    });
  });

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  async function handle(req, res) {
    let target;
    try {
      target = originForm(req.url ?? '/');
    } catch {
      return sendProblem(res, 400, 'bad-target', 'Bad request target', 'The request target is not a path.');
    }
    const { pathname } = new URL(target, 'http://relay.invalid');
    if (pathname === opts.healthPath && (req.method === 'GET' || req.method === 'HEAD')) {
      // Up while the relay can store: the browser's outbox should hand its
      // messages over even while the upstream is down, but not to a relay
      // whose store does not answer (a hung Redis), which could keep nothing.
      const storeUp = await Promise.race([store.counts().then(() => true, () => false), new Promise((resolve) => setTimeout(() => resolve(false), STORE_HEALTH_TIMEOUT_MS).unref())]);
      return sendJson(res, storeUp ? 200 : 503, { ok: storeUp, relay: true, store: storeUp ? 'up' : 'unavailable', upstream: upstreamState });
    }
    if (pathname.startsWith('/outbox/')) return admin.handle(req, res, pathname, target);
    if (opts.lookupPath !== undefined && pathname === opts.lookupPath) return answerLookup(req, res, store, scopeOf(req));
    if (req.method === 'POST' && opts.paths.some((p) => pathname === p || pathname.startsWith(p.endsWith('/') ? p : `${p}/`))) return accept(req, res, target);
    return proxy(opts.upstream, req, res, { timeoutMs: opts.timeoutMs, onUpstream });
  }

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res @param {string} target the origin-form path and query */
  async function accept(req, res, target) {
    let body;
    try {
      body = await readBody(req, opts.maxBodyBytes);
    } catch (error) {
      if (error instanceof RequestAbortedError) return;
      if (!(error instanceof BodyTooLargeError)) throw error;
      res.setHeader('Connection', 'close');
      return sendProblem(res, 413, 'body-too-large', 'Request body too large', error.message);
    }
    const read = readIdempotencyKey(req.headers);
    if (read.invalid !== undefined) return sendProblem(res, 400, 'key-invalid', 'Idempotency-Key is invalid', read.invalid);
    let { key } = read;
    const headers = endToEndHeaders(req.rawHeaders);
    if (key === undefined) {
      // The relay makes the key, so its own retries are deduplicated upstream too.
      key = randomUUID();
      headers.push(['Idempotency-Key', key]);
    }
    // Ids and chosen lanes are the client's own: B reusing A's key is another
    // message, and a lane value B picks is never A's lane. The upstream still
    // gets the client's own Idempotency-Key (in `headers`).
    const scope = scopeOf(req);
    const id = `${scope}.${key}`;
    const lane = opts.laneHeader ? `${scope}.${String(req.headers[opts.laneHeader] ?? '')}` : '';
    const fingerprint = createHash('sha256').update(`${req.method} ${target}\n`).update(body).digest('base64url');
    // Credentials are stored sealed with the operator's key, when there is one (sealed.js).
    const stored = secretKey ? sealHeaders(headers, secretKey, opts.secretHeaders) : headers;
    const message = { id, lane, fingerprint, method: req.method ?? 'POST', url: target, headers: stored, bodyBase64: body.toString('base64'), acceptedAtMs: Date.now() };
    key = id;

    // Limits on what a client can grow, checked before it is stored (a soft
    // limit: two racing accepts may both pass). Only a request over a limit
    // pays one more read: a repeat of a stored message is answered as one, whatever the limits.
    let over;
    try {
      const usage = await store.usage({ scope, lane });
      over = usage.client >= opts.maxQueuedPerClient ? `this client has ${usage.client} messages queued (at most ${opts.maxQueuedPerClient})`
        : usage.lane >= opts.maxQueuedPerLane ? `this lane has ${usage.lane} messages queued (at most ${opts.maxQueuedPerLane})`
        : usage.lane === 0 && usage.lanes >= opts.maxLanes ? `${usage.lanes} lanes are waiting (at most ${opts.maxLanes})`
        : undefined;
      if (over !== undefined && (await store.get(id))) over = undefined;
    } catch (error) {
      log.error('store-failed', { id, lane, error: /** @type {Error} */ (error).message });
      return sendProblem(res, 503, 'store-unavailable', 'The relay cannot store messages now', 'Nothing was stored; send it again with the same Idempotency-Key.', { 'Retry-After': '1' });
    }
    if (over !== undefined) {
      metrics.accepted.inc({ answer: 'limited' });
      log.warn('limited', { id, lane, detail: over });
      return sendProblem(res, 429, 'queue-full', 'Too many queued messages', `${over}; nothing was stored, send it again later with the same Idempotency-Key.`, { 'Retry-After': String(LIMITED_RETRY_AFTER_S) });
    }
    // Waiting starts before the message is stored: the lane may take it the instant it is.
    const passThrough = forwarder.waitFor(key, opts.passThroughWaitMs);
    let accepted;
    try {
      accepted = await store.accept(message);
    } catch (error) {
      forwarder.cancelWait(key);
      log.error('store-failed', { id: key, lane, error: /** @type {Error} */ (error).message });
      return sendProblem(res, 503, 'store-unavailable', 'The relay cannot store messages now', 'Nothing was stored; send it again with the same Idempotency-Key.', { 'Retry-After': '1' });
    }
    if (!accepted.created) {
      forwarder.cancelWait(key);
      // Gone between the two reads (deleted by an operator): the client sends it again.
      if (!accepted.existing) return sendProblem(res, 409, 'key-in-use', 'This key is being changed', 'Send it again with the same Idempotency-Key.', { 'Retry-After': '1' });
      return answerRepeat(res, accepted.existing, fingerprint);
    }
    log.info('accepted', { id: key, lane, bytes: body.length, headers: redactHeaders(headers, opts.secretHeaders) });
    const head = await store.head(lane);
    if (head?.id !== key) {
      // Older messages wait in this lane: this one takes its turn behind them.
      forwarder.cancelWait(key);
      metrics.accepted.inc({ answer: 'queued' });
      return sendQueued(res, key);
    }
    forwarder.kick(lane);
    const answer = await passThrough;
    if (!answer) {
      metrics.accepted.inc({ answer: 'queued' });
      return sendQueued(res, key);
    }
    metrics.accepted.inc({ answer: 'passed_through' });
    return sendUpstreamAnswer(res, answer.status, answer.headers, answer.body);
  }

  /** @param {import('node:http').ServerResponse} res @param {import('./store-contract.js').StoredMessage} existing @param {string} fingerprint */
  function answerRepeat(res, existing, fingerprint) {
    if (existing.fingerprint !== fingerprint) {
      return sendProblem(res, 422, 'key-reused', 'Idempotency-Key reused with a different request', `The key "${clientKeyOf(existing.id)}" was first used for another request (a different method, URL or body); use a new key for a new request.`);
    }
    metrics.accepted.inc({ answer: 'repeated' });
    log.info('repeated', { id: existing.id, lane: existing.lane, status: existing.status });
    // Same key, same outcome: the upstream's answer if the first client got it, else the same 202.
    if (existing.response?.passedThrough) {
      return sendUpstreamAnswer(res, existing.response.status, existing.response.headers, Buffer.from(existing.response.bodyBase64, 'base64'), { 'Idempotent-Replayed': 'true' });
    }
    return sendQueued(res, existing.id, { 'Idempotent-Replayed': 'true' });
  }

  // Not `Outbox-Status`: that header marks the browser worker's own answers.
  // `Outbox-Relay` tells the browser's outbox the message is `relayed` (off the
  // device, not yet at the API), not `delivered` (sw/protocol/http.ts RELAY_HEADER).
  const sendQueued = (/** @type {import('node:http').ServerResponse} */ res, /** @type {string} */ id, /** @type {Record<string, string>} */ headers = {}) => sendJson(res, 202, { status: 'queued', id: clientKeyOf(id) }, { 'Outbox-Relay': 'queued', ...headers });

  /** @param {import('node:http').ServerResponse} res @param {number} status @param {[string, string][]} headers @param {Buffer} body @param {Record<string, string>} [extra] */
  function sendUpstreamAnswer(res, status, headers, body, extra = {}) {
    res.writeHead(status, { ...headerObject(headers), 'content-length': String(body.length), ...extra });
    res.end(body);
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(undefined));
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  log.lifecycle('listening', { url, upstream: opts.upstream, store: opts.store.startsWith('sqlite:') ? opts.store : redactUrl(opts.store), paths: opts.paths, laneHeader: opts.laneHeader ?? null, pid: process.pid });
  // Messages accepted before a restart (or by a relay that died) start moving at once.
  for (const lane of await store.dueLanes(Date.now())) forwarder.kick(lane);

  return {
    url,
    store,
    async close() {
      await new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
      await forwarder.close();
      await store.close();
      log.lifecycle('stopped', {});
    },
  };
}

/** Retry-After of a 429 for a full queue: the upstream is probably down, and it drains one at a time. */
const LIMITED_RETRY_AFTER_S = 30;

/** How long the health check waits for the store. */
const STORE_HEALTH_TIMEOUT_MS = 1_000;

const redactUrl = (/** @type {string} */ url) => url.replace(/\/\/[^@/]*@/, '//[redacted]@');
