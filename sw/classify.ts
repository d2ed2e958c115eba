/**
 * What an answer means for a queued message, in the worker's terms:
 * `outcomeOf` only reads the answer it is given. The retry policy under it
 * (which statuses are transient, the 409 rule, `Retry-After`) is the relay's
 * too, one copy in outbox-server (server/src/retry-policy.js, plain JS that
 * both run; its header says why it lives there). What is the worker's own:
 * 401 and a redirect to the site's own origin wait for credentials (`auth`),
 * and the words of a 422.
 */
import { readDetail } from '../shared/detail.js';
import type { Reason } from './protocol/statuses.js';
import { classifyStatus, parseRetryAfterMs, REPLAYED_HEADER } from '../server/src/retry-policy.js';

export type { Verdict } from '../server/src/retry-policy.js';

export function httpReason(status: number): Reason {
  return `http-${status}`;
}

/** What one attempt's answer means for the message. */
export type Outcome =
  /** `answerCopy`: a clone taken before the page could read `response`, for a child's placeholders (dependents.ts). */
  | { verdict: 'delivered'; response: Response; answerCopy?: Response }
  | { verdict: 'rejected'; response: Response; reason: Reason; detail?: string | undefined }
  /** 401, or a redirect to the site's own (sign-in) page: the namespace waits for credentials. */
  | { verdict: 'auth'; response: Response }
  | { verdict: 'transient'; reason: Reason; detail?: string | undefined; retryAfterMs?: number | undefined };

/**
 * A 3xx is never delivery. Requests are sent with `redirect: 'follow'`
 * (`'manual'` would give an opaque answer with neither status nor
 * `Location`), so a redirect shows as `response.redirected`: a 302/303 to a
 * sign-in page turns the POST into a GET of that page, whose 200 said nothing
 * about the message. Same origin: a session that expired, treated as 401.
 * Elsewhere: refused, with the address in `detail`.
 */
export async function outcomeOf(response: Response, sentBefore: boolean, origin: string): Promise<Outcome> {
  if (response.redirected) {
    const to = new URL(response.url);
    if (to.origin === origin) return { verdict: 'auth', response };
    return { verdict: 'rejected', response, reason: 'http-3xx', detail: `redirected to ${to.origin}${to.pathname}` };
  }
  if (response.status === 401) return { verdict: 'auth', response };
  const retryAfter = response.headers.get('Retry-After');
  const verdict = classifyStatus(response.status, { sentBefore, retryAfter, replayed: response.headers.get(REPLAYED_HEADER) === 'true' });
  if (verdict === 'delivered') return { verdict, response };
  const detail = await readDetail(response);
  const reason = httpReason(response.status);
  if (verdict === 'rejected') {
    // The draft's 422: this key came with another body before. Only a key we sent before can mean that.
    const words = response.status === 422 && sentBefore ? `Idempotency-Key reused with another body${detail ? `: ${detail}` : ''}` : detail;
    return { verdict, response, reason, detail: words };
  }
  return { verdict, reason, detail, retryAfterMs: parseRetryAfterMs(retryAfter, Date.now()) };
}
