// The demo server's routes: the chat API (chat.mjs), its health, the stored
// list, and the demo's controls (/__demo/*: state, reset, mode, tokens).
import { retryAfter } from './api.mjs';
import { answerLookup, handleChatPost, handleEdit, handleUpload } from './chat.mjs';
import { HttpError, dropConnection, readBody, sendJson } from './http.mjs';

/** @typedef {import('./api.mjs').DemoApi} DemoApi */
/** @typedef {import('./http.mjs').Request} Request */
/** @typedef {import('./http.mjs').Response} Response */

/**
 * Answers API and demo-control routes; returns false for any other path.
 * @param {DemoApi} api @param {Request} req @param {Response} res @param {string} pathname
 */
export async function handleApi(api, req, res, pathname) {
  const method = req.method;
  if (pathname === '/api/chat') {
    if (api.mode === 'chat-down' && method !== 'POST') return dropConnection(req);
    if (method !== 'POST') return sendJson(res, 405, { error: 'use POST' }, { Allow: 'POST' });
    return handleChatPost(api, req, res);
  }
  if (pathname === '/api/lookup') return answerLookup(api, req, res);
  if (pathname === '/api/chat/edits') return handleEdit(api, req, res);
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
