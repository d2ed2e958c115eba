// A deduplicating chat API for the relay tests: the idempotency middleware
// (memory store) in front of a handler that records every stored message in
// order. Its `mode` simulates an outage: 'drop' destroys every connection,
// '503' answers 503 (with `retryAfter` seconds when set), 'hang' never
// answers, 'reject' answers 422, 'forbid' answers 403 in front of the middleware (as an auth
// layer would: nothing stored under the key). `attempts` counts every POST that arrived.
import http from 'node:http';
import { idempotency, memoryStore } from '../../src/index.js';

/** @param {{ delayMs?: number }} [options] */
export async function startUpstream({ delayMs = 0 } = {}) {
  const guard = idempotency({ store: memoryStore(), required: true });
  const state = {
    mode: 'up',
    /** @type {number | undefined} */
    retryAfter: undefined,
    delayMs,
    /** @type {{ key: string, text: string, headers: import('node:http').IncomingHttpHeaders }[]} */
    stored: [],
    /** @type {{ key: string | string[] | undefined, mode: string, atMs: number }[]} */
    attempts: [],
    /** @type {string[]} */
    other: [],
    /** key → ms: that message is stored, then its answer is held this long (a forward caught mid-flight). */
    /** @type {Map<string, number>} */
    slowKeys: new Map(),
  };
  const server = http.createServer((/** @type {import('../../src/index.js').GuardedRequest} */ req, res) => {
    if (req.url === '/api/chat' && req.method === 'POST') {
      state.attempts.push({ key: req.headers['idempotency-key'], mode: state.mode, atMs: Date.now() });
      if (state.mode === 'drop') return req.socket.destroy();
      if (state.mode === 'hang') return undefined;
      if (state.mode === 'forbid') {
        req.resume();
        res.writeHead(403, { 'content-type': 'application/json' });
        return res.end('{"error":"forbidden"}');
      }
      if (state.mode === '503') {
        req.resume();
        res.writeHead(503, { 'content-type': 'application/json', ...(state.retryAfter !== undefined ? { 'retry-after': String(state.retryAfter) } : {}) });
        return res.end('{"error":"down"}');
      }
      return guard(req, res, async () => {
        const body = JSON.parse(req.rawBody?.toString('utf8') ?? '{}');
        if (req.headers['x-fail']) {
          res.writeHead(500, { 'content-type': 'application/json' });
          return res.end('{"error":"asked to fail"}');
        }
        if (state.mode === 'reject' || body.text === 'reject me') {
          res.writeHead(422, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ error: 'refused' }));
        }
        const key = req.idempotencyKey ?? '';
        state.stored.push({ key, text: body.text, headers: req.headers });
        const holdMs = state.slowKeys.get(key) ?? state.delayMs;
        if (holdMs) await new Promise((r) => setTimeout(r, holdMs));
        res.writeHead(201, { 'content-type': 'application/json', 'x-upstream': 'yes' });
        res.end(JSON.stringify({ id: key, seq: state.stored.length }));
      });
    }
    state.other.push(`${req.method} ${req.url}`);
    if (state.mode === 'drop') return req.socket.destroy();
    res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': 'yes' });
    res.end(`upstream saw ${req.method} ${req.url}`);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  return {
    url,
    state,
    texts: () => state.stored.map((m) => m.text),
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
