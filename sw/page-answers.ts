/**
 * Answers the worker makes itself, in place of the server's. The
 * `Outbox-Status` header tells the client (and any page reading the response)
 * that this is the outbox speaking, not the API.
 */
import { OUTBOX_STATUS_HEADER } from './protocol/http.js';
import { type Reason } from './protocol/statuses.js';
import { type OutboxAnswer } from './protocol/messages.js';

function answer(body: OutboxAnswer, status: number): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', [OUTBOX_STATUS_HEADER]: body.status },
  });
}

/**
 * 202 Accepted: the message is stored and will be sent. The plain Workbox recipe
 * lets the page's `fetch` reject after queueing, so the page shows an error for
 * a message that was in fact kept; this answer is the fix.
 */
export function queuedAnswer(id: string, reason?: Reason): Response {
  // `reason` says why it waits: why its first attempt failed, or `auth` (it needs new credentials).
  return answer(reason === undefined ? { status: 'queued', id } : { status: 'queued', id, reason }, 202);
}

/**
 * The outbox could not keep the message (`storage`, `too-large`: nothing was
 * stored, the page still has the body), or the server's answer is not one the
 * page could read as a refusal (a redirect elsewhere: the message is kept, failed).
 */
export function failedAnswer(id: string, reason: Reason, detail: string | undefined): Response {
  // 507 Insufficient Storage, 413 Content Too Large, 400 for a request the outbox will not take as it is, 502 for an answer that was not the API's.
  const status = reason === 'storage' ? 507 : reason === 'too-large' ? 413 : reason === 'invalid' ? 400 : 502;
  return answer({ status: 'failed', id, reason, detail }, status);
}

/** IndexedDB refused the write (quota, or failing): say so, rather than a 202 that lies. */
export function storageFailure(id: string, error: unknown): Response {
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return failedAnswer(id, 'storage', `could not store it (${detail})`);
}
