// The chat endpoints: POST /api/chat through the outage modes, the auth
// check, the simulated network (lost and slow answers) and the idempotency
// middleware to the store; GET /api/lookup ("did this key arrive?"); and
// POST /api/upload (a photo sent before its caption).
import { randomUUID } from 'node:crypto';
import { RECORDED_HEADERS, retryAfter } from './api.mjs';
import { HttpError, dropConnection, readBody, sendJson, sleep } from './http.mjs';

/** @typedef {import('./api.mjs').DemoApi} DemoApi */
/** @typedef {import('./api.mjs').Attempt} Attempt */
/** @typedef {import('./api.mjs').Lookup} Lookup */
/** @typedef {import('./api.mjs').StoredMessage} StoredMessage */
/** @typedef {import('./http.mjs').Request} Request */
/** @typedef {import('./http.mjs').Response} Response */
/** @typedef {import('../../server/src/index.js').GuardedRequest} GuardedRequest */

const MAX_TEXT_CHARS = 2000;

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

/** @param {DemoApi} api @param {Request} req @param {Response} res */
export async function handleChatPost(api, req, res) {
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
export function answerLookup(api, req, res) {
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
export async function handleUpload(api, req, res) {
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
 * A change to a message already sent, `{ message: <its seq>, text }`: the
 * follow-up a site sends `after` a message that was on the wire when the
 * person edited it (docs/edit-and-cancel.md). Stored once per key.
 * @param {DemoApi} api @param {Request} req @param {Response} res
 */
export async function handleEdit(api, req, res) {
  if (api.mode === 'unreachable') return dropConnection(req);
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'use POST' }, { Allow: 'POST' });
  const key = req.headers['idempotency-key'];
  if (typeof key !== 'string' || key === '') return sendJson(res, 400, { error: 'an Idempotency-Key header is required' });
  /** @type {{ message?: unknown, text?: unknown }} */
  let body;
  try {
    body = JSON.parse((await readBody(req)).toString('utf8'));
  } catch {
    return sendJson(res, 422, { error: 'body is not valid JSON' });
  }
  const messageSeq = body?.message;
  if (!api.stored.some((m) => m.seq === messageSeq)) return sendJson(res, 422, { error: `no message ${JSON.stringify(messageSeq)} to edit` });
  if (!api.edits.some((e) => e.key === key)) api.edits.push({ key, messageSeq, text: body.text });
  return sendJson(res, 201, { edited: messageSeq });
}
