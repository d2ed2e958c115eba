/**
 * What an answer (or its absence) means for a queued message. Pure policy,
 * stated in one place; `outcomeOf` only reads the answer it is given.
 */
import { readDetail } from '../shared/detail.js';
import type { Reason } from './protocol/statuses.js';

/**
 * Where we differ from Workbox's `replayRequests()`: it counts any HTTP answer,
 * 5xx included, as delivered. Here only 2xx is delivered; 408, 425, 429 and 5xx
 * say "try again later" (RFC 9110 §15.5.9, RFC 8470, RFC 6585) and keep the
 * message queued; any other answer is the server refusing this message.
 *
 * 409 depends on whether this key was sent before. The IETF Idempotency-Key
 * draft (draft-ietf-httpapi-idempotency-key-header §2.7, -06 and later) has a
 * server answer 409 to a retry "while the original request is still being
 * processed", and @node-idempotency/core does exactly that
 * (`REQUEST_IN_PROGRESS`): for a key already sent it means "in progress", a
 * transient state. On a first attempt nothing of ours can be in progress, so it
 * is the server's own conflict: a refusal.
 */
export type Verdict = 'delivered' | 'transient' | 'rejected';

const TRANSIENT_4XX: ReadonlySet<number> = new Set([408, 425, 429]);

export function classifyStatus(status: number, sentBefore = false): Verdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status >= 500 || TRANSIENT_4XX.has(status) || (status === 409 && sentBefore)) return 'transient';
  return 'rejected';
}

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
  const verdict = classifyStatus(response.status, sentBefore);
  if (verdict === 'delivered') return { verdict, response };
  const detail = await readDetail(response);
  const reason = httpReason(response.status);
  if (verdict === 'rejected') {
    // The draft's 422: this key came with another body before. Only a key we sent before can mean that.
    const words = response.status === 422 && sentBefore ? `Idempotency-Key reused with another body${detail ? `: ${detail}` : ''}` : detail;
    return { verdict, response, reason, detail: words };
  }
  return { verdict, reason, detail, retryAfterMs: parseRetryAfterMs(response.headers.get('Retry-After'), Date.now()) };
}

/** Longest Retry-After we obey; a server asking for more still gets retried within an hour. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * `Retry-After` as a delay in ms (delta-seconds or an HTTP date, RFC 9110 §10.2.3),
 * or `undefined` when absent or unreadable. A date is compared with the wall
 * clock (it is one); the delay then runs on the monotonic clock (timing.ts).
 */
export function parseRetryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  let delayMs: number;
  if (/^\d+$/.test(trimmed)) {
    delayMs = Number(trimmed) * 1000;
  } else {
    // An HTTP date names its day and month; `Date.parse('-5')` would read year -5.
    if (!/[a-z]{3}/i.test(trimmed)) return undefined;
    const atMs = Date.parse(trimmed);
    if (Number.isNaN(atMs)) return undefined;
    delayMs = atMs - nowMs;
  }
  return Math.min(Math.max(delayMs, 0), MAX_RETRY_AFTER_MS);
}
