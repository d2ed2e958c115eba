// The retry policy of outbox, one copy for both halves: which answers are
// delivered, which say "try again later" and which are refusals; how a
// `Retry-After` is read; how long to wait between tries. The browser's worker
// (sw/classify.ts, sw/timing.ts), the relay (relay/forwarder.js) and the
// idempotency middleware (which statuses it never stores) all import it; its
// cases are one table, server/test/retry-policy-cases.js, run by
// server/test/retry-policy.test.js and by sw/classify.test.ts.
//
// Why it lives here, in plain JavaScript: outbox-server is published on its
// own and runs its src/ as is (no build step), so it cannot import from the
// browser package's shared/ (outside its `files`) or run TypeScript (Node 20).
// The browser package can import a file of the server package: esbuild
// inlines it into dist/sw.js, build.mjs copies it to dist/server/src/ so the
// unbundled library (dist/sw/) finds it at the same relative path, and tsc
// emits its declarations from the JSDoc below (dist/types/server/src/). So
// this file is the one source, and `npm pack` of either package has it. It
// must stay free of Node and DOM APIs: it runs in service workers too.

/** What one answer means for a message: delivered, try again later, or refused. */
/** @typedef {'delivered' | 'transient' | 'rejected'} Verdict */

/**
 * Statuses that say "try again later" whatever was sent: 408, 425, 429 and
 * 5xx (RFC 9110 §15.5.9, RFC 8470, RFC 6585). Where we differ from Workbox's
 * `replayRequests()`, which counts any HTTP answer as delivered: a 5xx keeps
 * the message queued. The middleware never stores these answers, so a retry
 * runs the handler again.
 * @example isTransientStatus(503) // true
 * @param {number} status
 * @returns {boolean}
 */
export const isTransientStatus = (status) => status >= 500 || status === 408 || status === 425 || status === 429;

/**
 * The header a stored answer carries when it is replayed (Stripe's name;
 * outbox-server's middleware sets it): what the handler answered once, and
 * will answer to every retry.
 */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

/**
 * What an answer's status means. Only 2xx is delivered; transient statuses
 * (above) keep the message queued; any other answer is the server refusing it.
 *
 * 409 is the one status whose meaning depends on more than itself. The IETF
 * Idempotency-Key draft (draft-ietf-httpapi-idempotency-key-header §2.7) has
 * a server answer 409 to a retry "while the original request is still being
 * processed": transient, and the retry later gets the stored answer. Two
 * pieces of evidence say a 409 is that one, and either is enough:
 * - `sentBefore`: this key was sent before by us (@node-idempotency/core
 *   answers in-progress 409 without `Retry-After`);
 * - `retryAfter` present: the server itself says "later" (outbox-server's
 *   middleware and relay answer `key-in-use` 409 with `Retry-After: 1`); this
 *   covers a sender stopped mid-request (a worker or relay killed after the
 *   POST left), whose count of attempts never recorded that send.
 * Without either, a 409 is the server's own conflict: a refusal. So is one
 * marked `replayed` (`Idempotent-Replayed: true`) whatever else it says: an
 * in-progress 409 is never a stored answer, and a stored one is the answer
 * every retry gets, so retrying it would only wait for ever.
 * @example classifyStatus(409, { sentBefore: true }) // 'transient'
 * @example classifyStatus(409, { sentBefore: true, replayed: true }) // 'rejected'
 * @param {number} status
 * @param {{ sentBefore?: boolean, retryAfter?: string | null, replayed?: boolean }} [evidence] whether this key was sent before; the answer's `Retry-After` header (null or absent: none); whether the answer is a replayed stored one (`Idempotent-Replayed: true`)
 * @returns {Verdict}
 */
export function classifyStatus(status, { sentBefore = false, retryAfter = null, replayed = false } = {}) {
  if (status >= 200 && status < 300) return 'delivered';
  if (isTransientStatus(status) || (status === 409 && !replayed && (sentBefore || typeof retryAfter === 'string'))) return 'transient';
  return 'rejected';
}

/** Longest `Retry-After` obeyed: a server asking for more is still retried within the hour. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * `Retry-After` as a delay in ms: delta-seconds or an HTTP date (RFC 9110
 * §10.2.3), capped at `MAX_RETRY_AFTER_MS`, a date in the past is 0;
 * `undefined` when absent or unreadable. A date is compared with the wall
 * clock `nowMs` (it is one); the caller runs the delay on its own clock.
 * @example parseRetryAfterMs('3', Date.now()) // 3000
 * @param {unknown} header the header's value (null or undefined: absent)
 * @param {number} [nowMs] epoch ms the date is compared with
 * @returns {number | undefined}
 */
export function parseRetryAfterMs(header, nowMs = Date.now()) {
  if (typeof header !== 'string') return undefined;
  const text = header.trim();
  let delayMs;
  if (/^\d+$/.test(text)) delayMs = Number(text) * 1000;
  else {
    // An HTTP date names its day and month; `Date.parse('-5')` would read year -5.
    if (!/[a-z]{3}/i.test(text)) return undefined;
    const atMs = Date.parse(text);
    if (Number.isNaN(atMs)) return undefined;
    delayMs = atMs - nowMs;
  }
  return Math.min(Math.max(delayMs, 0), MAX_RETRY_AFTER_MS);
}

/**
 * Wait before the next try after `failures` failures in a row: exponential
 * from `baseMs`, capped at `maxMs`, with "equal jitter" (half of the step
 * fixed, half random), so that many senders coming back after one outage do
 * not all hit the server in the same second, while none waits less than half
 * the step. Bounds: [step / 2, step], step = min(maxMs, baseMs · 2^(failures−1)).
 * @example backoffDelayMs(3, 1000, 30_000) // between 2000 and 4000
 * @param {number} failures failures in a row, this one included (1 after the first)
 * @param {number} baseMs
 * @param {number} maxMs
 * @param {() => number} [random] in [0, 1)
 * @returns {number}
 */
export function backoffDelayMs(failures, baseMs, maxMs, random = Math.random) {
  const stepMs = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(stepMs / 2 + random() * (stepMs / 2));
}

/**
 * The wait before the next try: the backoff, or the server's `Retry-After`
 * when that is later (a `Retry-After` is never cut short; the backoff is the
 * floor when the server asks for less).
 * @example retryDelayMs(1, 10_000, 500, 30_000) // 10000
 * @param {number} failures
 * @param {number | undefined} retryAfterMs from `parseRetryAfterMs`
 * @param {number} baseMs
 * @param {number} maxMs
 * @param {() => number} [random]
 * @returns {number}
 */
export function retryDelayMs(failures, retryAfterMs, baseMs, maxMs, random) {
  return Math.max(backoffDelayMs(failures, baseMs, maxMs, random), retryAfterMs ?? 0);
}
