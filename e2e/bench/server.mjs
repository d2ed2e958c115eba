// Bench server: one instance per worker kind, each on its own port (= its own origin,
// so workers never share IndexedDB or registrations). Plain Node, no dependencies.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

/** @type {Record<string, string>} */
const TYPES = { '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.html': 'text/html; charset=utf-8', '.json': 'application/json' };

/** @typedef {'up' | 'unreachable' | '503'} ApiMode */
/** A message the API stored: its key, its order of arrival, when (performance.now() in this process). */
/** @typedef {{ key: string, seq: number, t: number }} StoredMessage */
/** @typedef {(entry: StoredMessage, count: number) => boolean} StoredPredicate */
/** @typedef {{ pred: StoredPredicate, resolve: (entry: StoredMessage | null) => void, timer: ReturnType<typeof setTimeout> | undefined }} Waiter */
/** @typedef {Awaited<ReturnType<typeof startBenchServer>>} BenchServer */

/**
 * @param {{ swFile?: string | null, clientFile?: string, label?: string }} opts
 *   swFile: absolute path served at /sw.js (null = no worker served).
 *   clientFile: served at /client.js (default dist/client.js).
 */
export async function startBenchServer({ swFile = null, clientFile = path.join(root, 'dist/client.js'), label = '' } = {}) {
  const api = {
    /** @type {ApiMode} */
    mode: 'up',
    /** @type {StoredMessage[]} */
    stored: [],
    /** @type {Map<string, StoredMessage>} */
    byKey: new Map(),
    attempts: 0,        // POST /api/chat that reached the server, whatever the answer
    healthChecks: 0,
    duplicates: 0,
    rejected: 0,
    /** @type {Set<Waiter>} */
    waiters: new Set(),
    /** @param {string} mode */
    setMode(mode) {
      if (mode !== 'up' && mode !== 'unreachable' && mode !== '503') throw new Error('bad mode ' + mode);
      api.mode = mode;
    },
    reset() {
      api.mode = 'up';
      api.stored = [];
      api.byKey = new Map();
      api.attempts = 0;
      api.healthChecks = 0;
      api.duplicates = 0;
      api.rejected = 0;
    },
    /** Resolves with the stored entry once `pred(entry, count)` is true for a newly stored entry (or already). */
    /** @param {StoredPredicate} pred @param {number} timeoutMs @returns {Promise<StoredMessage | null>} */
    waitFor(pred, timeoutMs) {
      const found = api.stored.find((entry, i) => pred(entry, i + 1));
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => {
        /** @type {Waiter} */
        const w = { pred, resolve, timer: undefined };
        w.timer = setTimeout(() => { api.waiters.delete(w); resolve(null); }, timeoutMs);
        api.waiters.add(w);
      });
    },
  };

  /** @param {string} key */
  function store(key) {
    const e = { key, seq: api.stored.length + 1, t: performance.now() };
    api.stored.push(e);
    api.byKey.set(key, e);
    for (const w of api.waiters) {
      if (w.pred(e, api.stored.length)) { clearTimeout(w.timer); api.waiters.delete(w); w.resolve(e); }
    }
    return e;
  }

  /** @param {http.ServerResponse} res @param {number} status @param {unknown} body @param {Record<string, string>} [headers] */
  function send(res, status, body, headers = {}) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(text);
  }

  /** @param {http.ServerResponse} res @param {string} file @param {Record<string, string>} [extraHeaders] */
  function serveFile(res, file, extraHeaders = {}) {
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404); res.end('not found'); return; }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'cache-control': 'no-cache', ...extraHeaders });
      res.end(data);
    });
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const p = url.pathname;
    if (p.startsWith('/api/')) {
      if (p === '/api/health') api.healthChecks++;
      if (p === '/api/chat' && req.method === 'POST' && api.mode !== 'up') api.attempts++;
      if (api.mode === 'unreachable') { req.socket.destroy(); return; }
      if (p === '/api/health') {
        if (api.mode === '503') return send(res, 503, { ok: false }, { 'retry-after': '1' });
        return send(res, 200, { ok: true });
      }
      if (p === '/api/chat' && req.method === 'POST') {
        /** @type {Buffer[]} */
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
          if (api.mode === 'up') api.attempts++;
          if (api.mode === 'unreachable') { req.socket.destroy(); return; }
          if (api.mode === '503') return send(res, 503, { error: 'unavailable' }, { 'retry-after': '1' });
          const key = req.headers['idempotency-key'];
          if (typeof key !== 'string' || !key) { api.rejected++; return send(res, 400, { error: 'missing Idempotency-Key' }); }
          let body;
          try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { body = null; }
          if (!body || typeof body.text !== 'string' || !body.text || body.text.length > 2000) {
            api.rejected++;
            return send(res, 422, { error: 'text must be a non-empty string of at most 2000 chars' });
          }
          const prev = api.byKey.get(key);
          if (prev) { api.duplicates++; return send(res, 200, { id: key, duplicate: true }); }
          const e = store(key);
          return send(res, 201, { id: key, seq: e.seq });
        });
        return;
      }
      if (p === '/api/messages') return send(res, 200, api.stored);
      return send(res, 404, { error: 'not found' });
    }
    if (p === '/sw.js') {
      if (!swFile) { res.writeHead(404); res.end('no worker'); return; }
      return serveFile(res, swFile, { 'service-worker-allowed': '/' });
    }
    if (p === '/client.js') return serveFile(res, clientFile);
    if (p === '/' || p === '/bench.html') return serveFile(res, path.join(here, 'page.html'));
    if (p === '/bench-page.js') return serveFile(res, path.join(here, 'page.js'));
    if (p === '/favicon.ico') { res.writeHead(204); res.end(); return; }
    res.writeHead(404); res.end('not found');
  });
  server.keepAliveTimeout = 60_000;
  await /** @type {Promise<void>} */ (new Promise((resolve) => server.listen(0, '127.0.0.1', resolve)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address()); // a TCP listener's address
  return {
    url: `http://127.0.0.1:${port}`,
    label,
    api,
    close: () => /** @type {Promise<void>} */ (new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); })),
  };
}
