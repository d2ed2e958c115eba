// "Did this key arrive?" (--lookup-path): the relay's answer to the browser
// outbox's lookup (its `lookup=` option), an extension to the IETF
// Idempotency-Key draft. A GET with the key and the same credentials as the
// POST: the key is scoped exactly as the POST's was, so a client asking about
// another client's key learns `unknown`, and only a status is ever told, never
// a stored body or header.
//
//   queued (held here)                     {"state":"held"}
//   delivered (the upstream stored it)     {"state":"completed","status":201}
//   refused (passed through, a 4xx)        {"state":"completed","status":422}
//   failed (a dead letter)                 {"state":"failed","status":422,"reason":"…"}  (status when the upstream
//                                          refused it with a 4xx; reason: the relay's last error, when it has one)
//   none, or expired                       {"state":"unknown"}
import { readIdempotencyKey } from '../idempotency/key.js';
import { sendJson, sendProblem } from './http.js';

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {{ get(id: string): Promise<import('./store-contract.js').StoredMessage | null> }} store
 * @param {string} scope the request's scope, as accept() computes it
 */
export async function answerLookup(req, res, store, scope) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendProblem(res, 405, 'method', 'Method not allowed', 'The lookup path answers GET only.', { Allow: 'GET' });
  const { key, invalid } = readIdempotencyKey(req.headers);
  if (invalid !== undefined) return sendProblem(res, 400, 'key-invalid', 'Idempotency-Key is invalid', invalid);
  if (key === undefined) return sendProblem(res, 400, 'key-missing', 'Idempotency-Key is required', 'Ask about one key: send it in the Idempotency-Key header.');
  const message = await store.get(`${scope}.${key}`);
  return sendJson(res, 200, stateOf(message));
}

/** @param {import('./store-contract.js').StoredMessage | null} message */
function stateOf(message) {
  const status = message?.response?.status;
  switch (message?.status) {
    case 'queued':
      return { state: 'held' };
    case 'delivered':
    case 'refused':
      return status === undefined ? { state: 'unknown' } : { state: 'completed', status };
    case 'failed': {
      // A status only for a refusal: a head set aside after 5xx or 429 answers was not refused.
      const refused = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 425 && status !== 429;
      const reason = typeof message.lastError === 'string' ? message.lastError.slice(0, 200) : undefined;
      return { state: 'failed', ...(refused ? { status } : {}), ...(reason !== undefined ? { reason } : {}) };
    }
    default:
      return { state: 'unknown' };
  }
}
