// The relay's admin endpoints (/outbox/*): status, metrics, and the queued
// and dead messages, listed, retried or deleted. Shut unless the relay
// listens on loopback or has an --admin-token.
import { isLoopbackHost } from './options.js';
import { redactHeaders } from './log.js';
import { sendJson, sendProblem } from './http.js';

/**
 * @param {object} deps
 * @param {import('./store-contract.js').RelayQueue & { kind: string }} deps.store
 * @param {ReturnType<import('./metrics.js').createMetrics>} deps.metrics
 * @param {{ kick: (lane: string) => void }} deps.forwarder
 * @param {Pick<ReturnType<import('./log.js').createLogger>, 'info' | 'warn'>} deps.log
 * @param {import('./options.js').ResolvedRelayOptions} deps.opts
 * @param {() => string} deps.upstreamState 'up' or 'down', as the relay last saw the upstream
 */
export function createAdmin({ store, metrics, forwarder, log, opts, upstreamState }) {
  // No token and reachable from elsewhere: the admin endpoints stay shut.
  const open = opts.adminToken !== undefined || isLoopbackHost(opts.host);
  if (!open) log.warn('admin-closed', { detail: `/outbox/* refuses every request: the relay listens on ${opts.host}, not loopback, and no --admin-token is set` });
  return { handle };

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res @param {string} pathname @param {string} target */
  async function handle(req, res, pathname, target) {
    if (!open) {
      return sendProblem(res, 403, 'admin-closed', 'Admin endpoints are closed', '/outbox/* answers only with --admin-token set, or on a relay that listens on loopback');
    }
    if (opts.adminToken && req.headers.authorization !== `Bearer ${opts.adminToken}`) {
      return sendProblem(res, 401, 'admin-token', 'Admin token needed', '/outbox/* needs Authorization: Bearer <the relay\'s --admin-token>', { 'WWW-Authenticate': 'Bearer' });
    }
    if (pathname === '/outbox/status' && req.method === 'GET') {
      const counts = await store.counts();
      return sendJson(res, 200, { queued: counts.queued, failed: counts.failed, upstream: upstreamState(), store: store.kind });
    }
    if (pathname === '/outbox/metrics' && req.method === 'GET') {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'Content-Type': metrics.registry.contentType });
      return res.end(text);
    }
    if (pathname === '/outbox/messages' && req.method === 'GET') {
      const status = new URL(target, 'http://relay.invalid').searchParams.get('status') ?? 'failed';
      if (status !== 'failed' && status !== 'queued') return sendProblem(res, 400, 'bad-status', 'Unknown status', `status must be failed or queued; got ${JSON.stringify(status)}`);
      const messages = await store.list(status, 1000);
      return sendJson(res, 200, { messages: messages.map((m) => describe(m, opts.secretHeaders)) });
    }
    const one = /^\/outbox\/messages\/([^/]+)(\/retry)?$/.exec(pathname);
    if (one) {
      let id;
      try {
        id = decodeURIComponent(one[1]);
      } catch {
        return sendProblem(res, 400, 'bad-id', 'Malformed message id', 'The id in the path is not valid percent-encoding.');
      }
      if (one[2] && req.method === 'POST') {
        if (!(await store.retry(id))) return sendProblem(res, 404, 'not-failed', 'No such failed message', `no dead letter with id ${JSON.stringify(id)}`);
        log.info('retried', { id });
        const message = await store.get(id);
        if (message) forwarder.kick(message.lane);
        return sendJson(res, 200, { status: 'queued', id });
      }
      if (!one[2] && req.method === 'DELETE') {
        if (!(await store.remove(id))) return sendProblem(res, 404, 'not-found', 'No such message', `no queued or failed message with id ${JSON.stringify(id)}`);
        log.info('deleted', { id });
        res.writeHead(204);
        return res.end();
      }
      if (!one[2] && req.method === 'GET') {
        const message = await store.get(id);
        if (!message) return sendProblem(res, 404, 'not-found', 'No such message', `no message with id ${JSON.stringify(id)}`);
        return sendJson(res, 200, describe(message, opts.secretHeaders));
      }
    }
    return sendProblem(res, 404, 'not-found', 'Not found', `${req.method} ${pathname} is not a relay endpoint`);
  }
}

/** A message as the admin endpoints show it: no body, secret headers redacted. */
/**
 * @typedef {ReturnType<typeof describe>} ListedMessage what /outbox/messages lists
 */
/** @param {import('./store-contract.js').StoredMessage} m @param {string[]} secretHeaders */
function describe(m, secretHeaders) {
  return {
    id: m.id, key: clientKeyOf(m.id), lane: m.lane, status: m.status, method: m.method, url: m.url,
    headers: redactHeaders(m.headers, secretHeaders), bodyBytes: Buffer.from(m.bodyBase64 ?? '', 'base64').length,
    acceptedAt: new Date(m.acceptedAtMs).toISOString(), attempts: m.attempts, lastError: m.lastError ?? null,
    upstreamStatus: m.response?.status ?? null,
  };
}

/** The client's own key in a scoped id (`<scope>.<key>`; the scope is base64url, without dots). */
export const clientKeyOf = (/** @type {string} */ id) => (id.includes('.') ? id.slice(id.indexOf('.') + 1) : id);
