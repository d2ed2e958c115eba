// The retry policy's cases (server/src/retry-policy.js), one table for both
// halves: server/test/retry-policy.test.js runs it through the policy as the
// relay composes it, sw/classify.test.ts through the worker's own path
// (`outcomeOf` on a real Response, then `afterFailure`). A case that holds on
// one side and not the other is a fork of the policy: add rows here, never a
// table of one side's own.
//
// Not here, because they are the worker's and not the policy's: 401 and a
// redirect to the site's own origin (the worker waits for credentials), a
// redirect elsewhere (refused as http-3xx), the words of a 422 (sw/classify.ts;
// e2e/ordering/redirects.spec.ts, e2e/ordering/idempotency-409.spec.ts).

/** @typedef {import('../src/retry-policy.js').Verdict} Verdict */

/** The backoff both sides are given in the answer cases. */
export const BASE_MS = 1000;
export const MAX_MS = 30_000;

/**
 * One answer to one attempt, and what it means.
 * @typedef {object} AnswerCase
 * @property {number} status
 * @property {string} [retryAfter] the answer's Retry-After header; absent when not given
 * @property {true} [replayed] the answer carries `Idempotent-Replayed: true` (a stored answer, replayed)
 * @property {number} attempt which attempt of this key got the answer (1: its first send), after attempt − 1 transient failures in a row
 * @property {Verdict} verdict
 * @property {number} [retryAfterMs] transient only: the Retry-After read (absent: none, or unreadable)
 * @property {[number, number]} [waitMs] transient only: bounds of the wait before the next try (backoff with jitter from BASE_MS to MAX_MS, Retry-After its floor)
 * @property {string} [why]
 */

/** @type {AnswerCase[]} */
export const ANSWER_CASES = [
  { status: 200, attempt: 1, verdict: 'delivered' },
  { status: 201, attempt: 3, verdict: 'delivered' },
  { status: 204, attempt: 1, verdict: 'delivered' },
  { status: 299, attempt: 1, verdict: 'delivered' },
  { status: 202, attempt: 1, retryAfter: '5', verdict: 'delivered', why: 'a 2xx is delivery whatever else it says' },

  { status: 500, attempt: 1, verdict: 'transient', waitMs: [500, 1000] },
  { status: 502, attempt: 2, verdict: 'transient', waitMs: [1000, 2000] },
  { status: 503, attempt: 3, verdict: 'transient', waitMs: [2000, 4000] },
  { status: 504, attempt: 6, verdict: 'transient', waitMs: [15_000, 30_000] },
  { status: 599, attempt: 9, verdict: 'transient', waitMs: [15_000, 30_000], why: 'the step stops at MAX_MS' },
  { status: 408, attempt: 1, verdict: 'transient', waitMs: [500, 1000] },
  { status: 425, attempt: 1, verdict: 'transient', waitMs: [500, 1000] },
  { status: 429, attempt: 1, verdict: 'transient', waitMs: [500, 1000] },

  { status: 503, attempt: 1, retryAfter: '10', verdict: 'transient', retryAfterMs: 10_000, waitMs: [10_000, 10_000], why: 'Retry-After longer than the backoff wins' },
  { status: 429, attempt: 1, retryAfter: '1', verdict: 'transient', retryAfterMs: 1000, waitMs: [1000, 1000] },
  { status: 429, attempt: 3, retryAfter: '0', verdict: 'transient', retryAfterMs: 0, waitMs: [2000, 4000], why: 'a shorter Retry-After does not cut the backoff' },
  { status: 503, attempt: 1, retryAfter: '999999', verdict: 'transient', retryAfterMs: 3_600_000, waitMs: [3_600_000, 3_600_000], why: 'capped at an hour' },
  { status: 503, attempt: 1, retryAfter: 'Fri, 01 Jan 2100 00:00:00 GMT', verdict: 'transient', retryAfterMs: 3_600_000, waitMs: [3_600_000, 3_600_000], why: 'an HTTP date, capped' },
  { status: 503, attempt: 1, retryAfter: 'Sat, 21 Nov 2026 11:00:00 GMT', verdict: 'transient', retryAfterMs: 0, waitMs: [500, 1000], why: 'a date in the past is now' },
  { status: 503, attempt: 2, retryAfter: 'soon', verdict: 'transient', waitMs: [1000, 2000], why: 'unreadable: as if absent' },

  { status: 300, attempt: 1, verdict: 'rejected' },
  { status: 304, attempt: 1, verdict: 'rejected' },
  { status: 400, attempt: 1, verdict: 'rejected' },
  { status: 403, attempt: 2, verdict: 'rejected' },
  { status: 404, attempt: 1, verdict: 'rejected' },
  { status: 413, attempt: 1, verdict: 'rejected' },
  { status: 422, attempt: 1, verdict: 'rejected' },
  { status: 422, attempt: 2, verdict: 'rejected', why: 'the key came with another body: a refusal on any attempt' },
  { status: 400, attempt: 1, retryAfter: '1', verdict: 'rejected', why: 'Retry-After makes only a 409 transient' },

  { status: 409, attempt: 1, verdict: 'rejected', why: "the server's own conflict: nothing of ours can be in progress" },
  { status: 409, attempt: 2, verdict: 'transient', waitMs: [1000, 2000], why: "the draft's in-progress answer to a retry (no Retry-After: @node-idempotency/core)" },
  { status: 409, attempt: 1, retryAfter: '1', verdict: 'transient', retryAfterMs: 1000, waitMs: [1000, 1000], why: 'the server says later (outbox-server: key-in-use), e.g. to a sender stopped mid-request that never counted that send' },
  { status: 409, attempt: 3, retryAfter: '1', verdict: 'transient', retryAfterMs: 1000, waitMs: [2000, 4000] },
  { status: 409, attempt: 2, replayed: true, verdict: 'rejected', why: "a stored answer replayed (Idempotent-Replayed): the handler's own conflict, the same for every retry" },
  { status: 409, attempt: 2, retryAfter: '1', replayed: true, verdict: 'rejected', why: 'a stored answer is never the draft\'s in-progress one, whatever it asks' },
  { status: 503, attempt: 2, replayed: true, verdict: 'transient', waitMs: [1000, 2000], why: 'replayed or not, a 5xx is transient (the middleware never stores one)' },
];

/** `Retry-After` read against a fixed wall clock. */
export const RETRY_AFTER_NOW_MS = Date.parse('2026-11-21T12:00:00Z');

/** @type {{ header: string | null, retryAfterMs: number | undefined }[]} */
export const RETRY_AFTER_CASES = [
  { header: null, retryAfterMs: undefined },
  { header: '3', retryAfterMs: 3000 },
  { header: ' 0 ', retryAfterMs: 0 },
  { header: 'Sat, 21 Nov 2026 12:00:10 GMT', retryAfterMs: 10_000 },
  { header: 'Sat, 21 Nov 2026 11:00:00 GMT', retryAfterMs: 0 },
  { header: '999999', retryAfterMs: 60 * 60 * 1000 },
  { header: 'soon', retryAfterMs: undefined },
  // `Date.parse('-5')` is a date (year -5): only a text naming day and month is read as one.
  { header: '-5', retryAfterMs: undefined },
  { header: '1.5', retryAfterMs: undefined },
  { header: '', retryAfterMs: undefined },
];

/**
 * Backoff with equal jitter: `random` 0 gives the floor (half the step), 1 the step.
 * @type {{ failures: number, baseMs: number, maxMs: number, random: number, delayMs: number }[]}
 */
export const BACKOFF_CASES = [
  ...[1000, 2000, 4000, 8000, 16_000, 30_000, 30_000].map((delayMs, i) => ({ failures: i + 1, baseMs: 1000, maxMs: 30_000, random: 1, delayMs })),
  ...[[1, 500], [2, 1000], [3, 2000], [6, 15_000], [40, 15_000]].map(([failures = 0, delayMs = 0]) => ({ failures, baseMs: 1000, maxMs: 30_000, random: 0, delayMs })),
  { failures: 0, baseMs: 1000, maxMs: 30_000, random: 1, delayMs: 1000 },
  { failures: 2, baseMs: 500, maxMs: 30_000, random: 0.5, delayMs: 750 },
];
