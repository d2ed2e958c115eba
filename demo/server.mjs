// The demo chat API plus the demo page, in plain Node so tests and the demo
// need nothing but `node`. Outages are simulated here (modes, lost answers,
// slow answers) so the worker can be watched surviving them.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { idempotency, sqliteStore } from '../server/src/index.js';

const DEMO_DIR = path.dirname(fileURLToPath(import.meta.url));
// Resolved from this file, not the cwd, so `npm start` and tests run from anywhere.
const REPO_DIR = path.dirname(DEMO_DIR);
const DIST_DIR = path.join(REPO_DIR, 'dist');

const MAX_BODY_BYTES = 5 * 1024 * 1024;
const MAX_TEXT_CHARS = 2000;
// '429' (rate limited) is not on the demo page; the e2e retry-policy tests use it.
// `chat-down`: the chat endpoint drops every connection while /api/health
// still answers (health and chat served by different processes).
const MODES = /** @type {const} */ (['up', 'unreachable', 'chat-down', '503', '429']);
const RECORDED_HEADERS = /** @type {const} */ (['authorization', 'cookie', 'content-type']);

/** @typedef {typeof MODES[number]} Mode */
/** @typedef {import('node:http').IncomingMessage} Request */
/** @typedef {import('node:http').ServerResponse} Response */
/** @typedef {import('../server/src/index.js').GuardedRequest} GuardedRequest */

/**
 * A chat message as the API stored it (GET /api/messages lists them without `bodyBase64`).
 * @typedef {object} StoredMessage
 * @property {string} key the Idempotency-Key it came with (or one made up)
 * @property {number} seq its place in arrival order, from 1
 * @property {string} contentType
 * @property {string} bodyText
 * @property {string} bodyBase64
 * @property {Partial<Record<typeof RECORDED_HEADERS[number], string>>} headers those of RECORDED_HEADERS it came with
 * @property {number} receivedAtMs
 */

/**
 * Every POST /api/chat, stored or not, and what became of it.
 * @typedef {object} Attempt
 * @property {string} key
 * @property {number} receivedAtMs
 * @property {'stored' | 'duplicate' | 'rejected' | 'dropped' | '503' | '429' | 'answer-dropped' | 'unauthorized'} outcome
 */

/** @typedef {{ key: string, state: 'completed' | 'unknown', receivedAtMs: number }} Lookup */
/** @typedef {{ key: string, bytes: number, contentType: string, url: string }} Upload */

/** @param {unknown} value @returns {value is number} */
const isWholeSeconds = (value) => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** @param {unknown} value @returns {value is Mode} */
const isMode = (value) => MODES.some((mode) => mode === value);

/** @type {Record<string, string>} */

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

/** A refusal with its HTTP status, answered as `{ error: message }`. */
class HttpError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** @param {{ validTokens?: readonly string[], idempotencyDb: string }} options */
function createApi({ validTokens = [], idempotencyDb }) {
  const initialTokens = [...validTokens];
  // A real SQLite file, like a production chat API keeps its keys in. NORMAL,
  // not FULL: the demo's messages live in memory, so a key that survives a
  // power cut would outlive what it guards; WAL + NORMAL survives a crash of
  // this process and saves an fsync per request.
  const idempotencyStore = sqliteStore({ path: idempotencyDb, synchronous: 'NORMAL' });
  const api = {
    idempotencyStore,
    guard: idempotency({ store: idempotencyStore, maxBodyBytes: MAX_BODY_BYTES }),
    /** @type {StoredMessage[]} */
    stored: [],
    /** @type {Attempt[]} */
    attempts: [],
    // Tokens the chat API accepts. Empty (the default): no auth check at all.
    // Non-empty: a POST /api/chat without `Authorization: Bearer <one of these>`
    // (or, failing that header, a cookie `sid=<one of these>`) gets 401
    // `{"error":…}` (outcome 'unauthorized'). Tests and the demo's
    // "expire token" button remove a token to watch the outbox pause and resume.
    validTokens: new Set(initialTokens),
    /** @type {Mode} */
    mode: 'up',
    /** @type {number | undefined} */
    retryAfterSeconds: undefined,
    answersToDrop: 0,
    delayMs: 0,
    // false: the chat POST runs without the idempotency middleware, as a
    // server that never deduplicates (a repeat is stored again); only the
    // lookup (GET /api/lookup) can then keep a lost answer from doubling.
    deduplicate: true,
    // Every GET /api/lookup: the key asked about and the state answered.
    /** @type {Lookup[]} */
    lookups: [],
    // POST /api/upload (a photo before its caption): what was stored, and
    // whether uploads are refused for now (422, as a too-large photo would be).
    /** @type {Upload[]} */
    uploads: [],
    refuseUploads: false,
    /** @param {unknown} mode @param {{ retryAfterSeconds?: unknown }} [options] */
    setMode(mode, { retryAfterSeconds } = {}) {
      if (!isMode(mode)) {
        throw new HttpError(422, `mode must be one of ${MODES.join(', ')}; got ${JSON.stringify(mode)}`);
      }
      if (retryAfterSeconds != null && !isWholeSeconds(retryAfterSeconds)) {
        throw new HttpError(422, `retryAfterSeconds must be a whole number >= 0; got ${JSON.stringify(retryAfterSeconds)}`);
      }
      api.mode = mode;
      api.retryAfterSeconds = retryAfterSeconds ?? undefined;
    },
    /** @param {unknown} n */
    dropAnswers(n) {
      api.answersToDrop = Math.max(0, Math.floor(Number(n) || 0));
    },
    reset() {
      // Mutate in place: tests may hold references to these arrays.
      api.stored.length = 0;
      api.attempts.length = 0;
      // Synchronous on SQLite: the keys are gone when reset() returns.
      void api.idempotencyStore.clear();
      api.mode = 'up';
      api.retryAfterSeconds = undefined;
      api.answersToDrop = 0;
      api.delayMs = 0;
      api.deduplicate = true;
      api.lookups.length = 0;
      api.uploads.length = 0;
      api.refuseUploads = false;
      // Back to the tokens the server started with (a test may have expired some).
      api.validTokens.clear();
      for (const token of initialTokens) api.validTokens.add(token);
    },
    state() {
      return {
        mode: api.mode,
        retryAfterSeconds: api.retryAfterSeconds ?? null,
        dropAnswers: api.answersToDrop,
        delayMs: api.delayMs,
        auth: api.validTokens.size > 0,
        // A demo: the page picks its users' tokens from here (a real server never lists them).
        tokens: [...api.validTokens],
        stored: api.stored.length,
        attempts: api.attempts.length,
      };
    },
  };
  return api;
}

/** @typedef {ReturnType<typeof createApi>} DemoApi */

/**
 * Why a JSON chat body is unacceptable, or null if it is fine.
 * @param {string} bodyText
 */
function validateChatJson(bodyText) {
  let body;
  try {
    body = JSON.parse(bodyText);
  } catch {
    return 'body is not valid JSON';
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return 'body must be a JSON object like {"text":"hello"}';
  }
  if (typeof body.text !== 'string') return 'field "text" must be a string';
  if (body.text.length === 0) return 'field "text" must not be empty';
  // Count code points, as a person would count characters (an emoji is one).
  const chars = [...body.text].length;
  if (chars > MAX_TEXT_CHARS) {
    return `field "text" is ${chars} characters; at most ${MAX_TEXT_CHARS} are allowed`;
  }
  return null;
}

/** @param {string} contentType */
const isJson = (contentType) => /^application\/([\w.+-]*\+)?json\b/i.test(contentType);

/**
 * @param {Request} req
 * @returns {Promise<Buffer>}
 */
function readBody(req) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY_BYTES) {
      reject(new HttpError(413, `body is ${declared} bytes; at most ${MAX_BODY_BYTES} are accepted`));
      return;
    }
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    req.on('data', (/** @type {Buffer} */ chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        reject(new HttpError(413, `body is over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * @param {Response} res
 * @param {number} status
 * @param {unknown} value
 * @param {Record<string, string>} [headers]
 */
function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/** @param {Response} res @param {number} status @param {string} text */
function sendText(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

// Destroying the socket (rather than answering) is what a real outage looks
// like to fetch(): a network error, never a status code.
/** @param {Request} req */
const dropConnection = (req) => req.socket.destroy();

/** @param {DemoApi} api @returns {Record<string, string>} */
const retryAfter = (api) => (api.retryAfterSeconds != null ? { 'Retry-After': String(api.retryAfterSeconds) } : {});

/** @param {number} ms @returns {Promise<void>} */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {DemoApi} api @param {Request} req @param {Response} res */
async function handleChatPost(api, req, res) {
  const header = req.headers['idempotency-key'];
  // A missing or empty key: stored under a key of its own (no middleware guards it).
  const key = typeof header === 'string' && header !== '' ? header : randomUUID();
  /** @type {Attempt} */
  const attempt = { key, receivedAtMs: Date.now(), outcome: 'stored' };
  api.attempts.push(attempt);

  // The outage modes and the auth check stand in front of the chat app, as a
  // proxy and an auth layer would: their answers are never stored under the key.
  if (api.mode === 'unreachable' || api.mode === 'chat-down') {
    attempt.outcome = 'dropped';
    return dropConnection(req);
  }
  if (api.mode === '503') {
    attempt.outcome = '503';
    req.resume();
    if (api.delayMs > 0) await sleep(api.delayMs);
    return sendJson(res, 503, { error: 'the chat server is temporarily unavailable (demo mode 503)' }, retryAfter(api));
  }
  if (api.mode === '429') {
    // Rate limited: the API refuses POSTs for now, while /api/health stays up.
    attempt.outcome = '429';
    req.resume();
    return sendJson(res, 429, { error: 'too many requests (demo mode 429)' }, retryAfter(api));
  }

  if (api.validTokens.size > 0) {
    // A bearer token, or (as a cookie-session site would) a cookie `sid=<token>`.
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const cookie = /(?:^|;\s*)sid=([^;\s]+)/.exec(req.headers.cookie ?? '')?.[1];
    const token = bearer ?? cookie;
    if (token === undefined || !api.validTokens.has(token)) {
      attempt.outcome = 'unauthorized';
      req.resume();
      const error = token !== undefined ? 'the token is not valid (expired or revoked): sign in again' : 'this API needs Authorization: Bearer <token> (or a cookie sid=<token>)';
      return sendJson(res, 401, { error }, { 'WWW-Authenticate': 'Bearer' });
    }
  }

  // Taken on arrival, so a drop that was asked for applies to this POST even
  // if the answer is delayed.
  const dropAnswer = api.answersToDrop > 0;
  if (dropAnswer) api.answersToDrop -= 1;
  simulateTransport(api, req, res, { dropAnswer });

  if (!api.deduplicate) {
    await storeChatMessage(api, req, res, key, attempt);
    if (dropAnswer) attempt.outcome = 'answer-dropped';
    return;
  }
  // Same key, same outcome: the idempotency middleware (on SQLite) replays the
  // first answer, so a replay after a lost answer never stores twice.
  const outcome = await api.guard(req, res, () => storeChatMessage(api, req, res, key, attempt));
  if (outcome === 'replayed') attempt.outcome = res.statusCode < 300 ? 'duplicate' : 'rejected';
  else if (outcome !== 'ran' && outcome !== 'skipped') attempt.outcome = 'rejected';
  if (dropAnswer) attempt.outcome = 'answer-dropped';
}

/**
 * The network below the app: `delayMs` holds every answer back, and a
 * dropped answer never leaves. Both act after the middleware stored the
 * answer, as a slow or broken network would.
 */
/** @param {DemoApi} api @param {Request} req @param {Response} res @param {{ dropAnswer: boolean }} options */
function simulateTransport(api, req, res, { dropAnswer }) {
  const end = res.end;
  // Whatever end() was called with, passed on as it came (end has three overloads).
  /** @type {typeof res.end} */
  const delayedEnd = (/** @type {unknown[]} */ ...args) => {
    const deliver = () => (dropAnswer ? dropConnection(req) : Reflect.apply(end, res, args));
    if (api.delayMs > 0) setTimeout(deliver, api.delayMs);
    else deliver();
    return res;
  };
  res.end = delayedEnd;
}

/** @param {DemoApi} api @param {GuardedRequest} req @param {Response} res @param {string} key @param {Attempt} attempt */
async function storeChatMessage(api, req, res, key, attempt) {
  let status;
  let answer;
  try {
    // The middleware has read the body for its fingerprint (a keyless POST is not guarded).
    const raw = req.rawBody ?? (await readBody(req));
    const contentType = req.headers['content-type'] ?? '';
    const bodyText = raw.toString('utf8');
    const problem = isJson(contentType) ? validateChatJson(bodyText) : null;
    if (problem) throw new HttpError(422, problem);
    /** @type {StoredMessage['headers']} */
    const headers = {};
    for (const name of RECORDED_HEADERS) {
      if (req.headers[name] !== undefined) headers[name] = req.headers[name];
    }
    const seq = api.stored.length + 1;
    api.stored.push({
      key, seq, contentType, bodyText,
      bodyBase64: raw.toString('base64'),
      headers,
      receivedAtMs: attempt.receivedAtMs,
    });
    [status, answer] = [201, { id: key, seq }];
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    attempt.outcome = 'rejected';
    [status, answer] = [err.status, { error: err.message }];
    // An oversized body may still be streaming in; don't keep the connection.
    if (err.status === 413) res.setHeader('Connection', 'close');
  }
  sendJson(res, status, answer);
}

/**
 * "Did this key arrive?" (the worker's `lookup=`, docs/server.md): from what
 * the chat stored, so it answers even when the POST path does not
 * deduplicate. A key is another user's business: only a message stored with
 * the same Authorization (or none) counts, as the middleware scopes keys.
 * The outage modes cut it as they cut the chat.
 */
/** @param {DemoApi} api @param {Request} req @param {Response} res */
function answerLookup(api, req, res) {
  if (api.mode === 'unreachable') return dropConnection(req);
  if (api.mode === '503') return sendJson(res, 503, { error: 'temporarily unavailable (demo mode 503)' });
  if (req.method !== 'GET') return sendJson(res, 405, { error: 'use GET' }, { Allow: 'GET' });
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || key === '') return sendJson(res, 400, { error: 'an Idempotency-Key header is required' });
  const stored = api.stored.find((m) => m.key === key && m.headers?.authorization === req.headers.authorization);
  /** @type {{ state: Lookup['state'], status?: number }} */
  const answer = stored ? { state: 'completed', status: 201 } : { state: 'unknown' };
  api.lookups.push({ key, state: answer.state, receivedAtMs: Date.now() });
  return sendJson(res, 200, answer);
}

/**
 * An upload (a photo sent before its caption, docs/attachments.md): stored
 * once per key, answered 201 with the URL a message can carry. The outage
 * modes cut it as they cut the chat.
 * @param {DemoApi} api @param {Request} req @param {Response} res
 */
async function handleUpload(api, req, res) {
  if (api.mode === 'unreachable') return dropConnection(req);
  if (api.mode === '503') return sendJson(res, 503, { error: 'temporarily unavailable (demo mode 503)' });
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST' }, { Allow: 'POST' });
  const body = await readBody(req);
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || key === '') return sendJson(res, 400, { error: 'an Idempotency-Key header is required' });
  if (api.refuseUploads) return sendJson(res, 422, { error: 'uploads are refused for now (demo)' });
  let upload = api.uploads.find((u) => u.key === key);
  if (!upload) {
    upload = { key, bytes: body.length, contentType: req.headers['content-type'] ?? '', url: `/uploads/${api.uploads.length + 1}` };
    api.uploads.push(upload);
  }
  return sendJson(res, 201, { url: upload.url, bytes: upload.bytes });
}

/**
 * Answers API and demo-control routes; returns false for any other path.
 * @param {DemoApi} api @param {Request} req @param {Response} res @param {string} pathname
 */
async function handleApi(api, req, res, pathname) {
  const method = req.method;
  if (pathname === '/api/chat') {
    if (api.mode === 'chat-down' && method !== 'POST') return dropConnection(req);
    if (method !== 'POST') return sendJson(res, 405, { error: 'use POST' }, { Allow: 'POST' });
    return handleChatPost(api, req, res);
  }
  if (pathname === '/api/lookup') return answerLookup(api, req, res);
  if (pathname === '/api/upload') return handleUpload(api, req, res);
  if (pathname === '/api/health') {
    if (api.mode === 'unreachable') return dropConnection(req);
    if (api.mode === '503') return sendJson(res, 503, { ok: false }, retryAfter(api));
    return sendJson(res, 200, { ok: true });
  }
  if (pathname === '/api/messages' && method === 'GET') {
    return sendJson(res, 200, api.stored.map(({ bodyBase64: _, ...rest }) => rest));
  }
  if (pathname === '/__demo/state' && method === 'GET') return sendJson(res, 200, api.state());
  if (pathname === '/__demo/reset' && method === 'POST') {
    api.reset();
    return sendJson(res, 200, api.state());
  }
  if (pathname === '/__demo/mode' && method === 'POST') return handleModePost(api, req, res);
  if (pathname === '/__demo/tokens' && method === 'POST') return handleTokensPost(api, req, res);
  return false;
}

/** @param {DemoApi} api @param {Request} req @param {Response} res */
async function handleModePost(api, req, res) {
  let body;
  try {
    body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
  } catch (err) {
    if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
    return sendJson(res, 400, { error: 'body must be JSON like {"mode":"up"}' });
  }
  try {
    api.setMode(body?.mode, { retryAfterSeconds: body?.retryAfterSeconds });
  } catch (err) {
    if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
    throw err;
  }
  return sendJson(res, 200, api.state());
}

/**
 * The demo's "expire token" and "sign in again": JSON `{ revoke?: token, grant?: token }`.
 * Answers the state (with the tokens now valid).
 * @param {DemoApi} api @param {Request} req @param {Response} res
 */
async function handleTokensPost(api, req, res) {
  let body;
  try {
    body = JSON.parse((await readBody(req)).toString('utf8') || '{}');
  } catch (err) {
    if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
    return sendJson(res, 400, { error: 'body must be JSON like {"revoke":"demo-alice-1","grant":"demo-alice-2"}' });
  }
  /** @param {unknown} t @returns {t is string} */
  const isToken = (t) => typeof t === 'string' && /^[\w.~+/-]{1,200}$/.test(t);
  for (const field of ['revoke', 'grant']) {
    if (body?.[field] !== undefined && !isToken(body[field])) {
      return sendJson(res, 422, { error: `${field} must be a token of 1 to 200 letters, digits or -._~+/` });
    }
  }
  if (body.revoke !== undefined) api.validTokens.delete(body.revoke);
  if (body.grant !== undefined) api.validTokens.add(body.grant);
  return sendJson(res, 200, api.state());
}

/**
 * Maps a URL path under `prefix` to a file inside `dir`, or null if it would escape `dir`.
 * @param {string} dir @param {string} prefix @param {string} pathname
 */
function resolveInside(dir, prefix, pathname) {
  let rel;
  try {
    rel = decodeURIComponent(pathname.slice(prefix.length));
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  if (rel === '' || rel.endsWith('/')) rel += 'index.html';
  const root = path.resolve(dir);
  const file = path.resolve(root, '.' + path.posix.sep + rel);
  return file.startsWith(root + path.sep) ? file : null;
}

/** @param {Request} req @param {Response} res @param {string} file @returns {Promise<boolean>} */
async function serveFile(req, res, file) {
  try {
    if (!(await stat(file)).isFile()) return false;
    const data = await readFile(file);
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': data.length,
      // The demo is edited live; never let a stale copy hide a change.
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : data);
    return true;
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? err.code : undefined;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return false;
    throw err;
  }
}

/**
 * A folder of the repo served under a URL prefix (e2e pages, built sites).
 * @typedef {{ prefix: string, dir: string }} StaticDir
 */

/** @param {Request} req @param {Response} res @param {string} pathname @param {readonly StaticDir[]} staticDirs */
async function serveStatic(req, res, pathname, staticDirs) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  /** @type {Record<string, string>} */
  const built = { '/sw.js': 'sw.js', '/sw-shell.js': 'sw-shell.js', '/client.js': 'client.js', '/history.js': 'history.js', '/storage.js': 'storage.js', '/devtools.js': 'devtools.js', '/sw.js.map': 'sw.js.map', '/client.js.map': 'client.js.map' };
  const builtName = Object.hasOwn(built, pathname) ? built[pathname] : undefined;
  if (builtName !== undefined) {
    const file = path.join(DIST_DIR, builtName);
    if (await serveFile(req, res, file)) return true;
    sendText(res, 500, `dist/${builtName} is missing: run \`npm run build\` in ${REPO_DIR} first.\n`);
    return true;
  }
  for (const { prefix, dir } of staticDirs) {
    if (!pathname.startsWith(prefix)) continue;
    const file = resolveInside(path.resolve(REPO_DIR, dir), prefix, pathname);
    if (file && (await serveFile(req, res, file))) return true;
  }
  const file = resolveInside(DEMO_DIR, '/', pathname);
  // The server's own source is not part of the page.
  if (!file || file === fileURLToPath(import.meta.url)) return false;
  return serveFile(req, res, file);
}

/**
 * Starts the demo server. `staticDirs` entries are `{ prefix: '/test/', dir }`,
 * `dir` relative to the repo root (or absolute).
 * @param {{ port?: number, host?: string, quiet?: boolean, staticDirs?: readonly StaticDir[], validTokens?: readonly string[] }} [options]
 */
export async function startServer({ port = 0, host = '127.0.0.1', quiet = false, staticDirs = [], validTokens = [] } = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'outbox-demo-'));
  const api = createApi({ validTokens, idempotencyDb: path.join(dataDir, 'idempotency.db') });
  const server = http.createServer(async (req, res) => {
    try {
      const { pathname } = new URL(req.url ?? '/', 'http://localhost');
      // Without deduplication, no connection is kept alive: Chromium silently
      // re-sends a POST once when a reused idle connection closes without an
      // answer, which such a server would store twice behind everyone's back.
      if (!api.deduplicate) res.setHeader('Connection', 'close');
      if ((await handleApi(api, req, res, pathname)) !== false) return;
      if (await serveStatic(req, res, pathname, staticDirs)) return;
      sendText(res, 404, `not found: ${pathname}\n`);
    } catch (err) {
      if (!quiet) console.error(err);
      if (!res.headersSent) sendText(res, 500, `server error: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    }
  });

  /** @type {import('node:net').AddressInfo} */
  const address = await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const bound = server.address();
      // Listening on a host and port always gives an AddressInfo (a string is a pipe's path).
      if (bound === null || typeof bound === 'string') reject(new Error(`the demo server is not listening on a port (${bound})`));
      else resolve(bound);
    });
  });
  const url = `http://${host}:${address.port}`;
  if (!quiet) console.log(`outbox demo: ${url}/`);

  return {
    url,
    api,
    server,
    async close() {
      /** @type {Promise<void>} */
      const closed = new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Browsers keep connections alive; without this close() waits on them.
        server.closeAllConnections();
      });
      await closed;
      await api.idempotencyStore.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The demo's two users and the tokens it starts with (the page shows a user switcher). */
export const DEMO_TOKENS = /** @type {const} */ (['demo-alice-1', 'demo-bob-1']);

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const demo = await startServer({ port: Number(process.env.PORT || 8080), validTokens: DEMO_TOKENS });
  // Ctrl-C: close the idempotency database and remove its temporary directory.
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => demo.close().finally(() => process.exit(0)));
}
