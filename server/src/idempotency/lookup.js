// "Did this key arrive?": the middleware's answer to a key lookup (option
// `lookupPath`), an extension to the IETF Idempotency-Key draft, which has no
// way to ask. The browser outbox's worker asks it (its `lookup=` option)
// before re-sending a message whose answer was lost, so even a lost answer
// after the server stored the message is settled without a second POST.
//
// `GET <lookupPath>` with the `Idempotency-Key` header and the same
// credentials as the POST: the key is scoped exactly as the POST's was (a
// client asking about another client's key learns `unknown`), and only a
// status is ever told, never the stored body or headers. One store read
// (`peek`), no claim taken.
//
//   never seen, released, or expired   200 {"state":"unknown"}
//   a handler holds the key now        200 {"state":"in-progress"}
//   an answer is stored                200 {"state":"completed","status":201}
import { readIdempotencyKey } from './key.js';
import { sendProblem } from './problem.js';

/** @typedef {import('../stores/contract.js').IdempotencyStore} IdempotencyStore */

/**
 * Answers one lookup request.
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {{ store: IdempotencyStore, scopeKey: (req: import('node:http').IncomingMessage, key: string) => string, onError: (error: Error, req: import('node:http').IncomingMessage) => void }} how
 */
export async function answerLookup(req, res, { store, scopeKey, onError }) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendProblem(res, 405, 'idempotency/lookup-method', 'Method not allowed', 'The lookup path answers GET only.', { Allow: 'GET' });
    return;
  }
  const { key, invalid } = readIdempotencyKey(req.headers);
  if (invalid !== undefined) {
    sendProblem(res, 400, 'idempotency/key-invalid', 'Idempotency-Key is invalid', invalid);
    return;
  }
  if (key === undefined) {
    sendProblem(res, 400, 'idempotency/key-missing', 'Idempotency-Key is missing', 'Ask about one key: send it in the Idempotency-Key header.');
    return;
  }
  if (typeof store.peek !== 'function') {
    sendProblem(res, 501, 'idempotency/lookup-unsupported', 'Lookup not supported', 'This server\'s idempotency store cannot be asked about a key (it has no peek).');
    return;
  }
  let found;
  try {
    found = await store.peek(scopeKey(req, key));
  } catch (error) {
    onError(error instanceof Error ? error : new Error(String(error)), req);
    sendProblem(res, 503, 'idempotency/store-unavailable', 'Idempotency store unavailable', 'The server cannot look this key up now; ask again later.', { 'Retry-After': '1' });
    return;
  }
  const answer = found.outcome === 'done' ? { state: 'completed', status: found.status } : found.outcome === 'running' ? { state: 'in-progress' } : { state: 'unknown' };
  const body = JSON.stringify(answer);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}
