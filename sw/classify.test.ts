// The retry policy's table (server/test/retry-policy-cases.js, the relay runs
// it too: server/test/retry-policy.test.js), run through the worker's own
// path: `outcomeOf` on a real Response, as send.ts calls it, then the lane's
// streak after that failure (`afterFailure`, as drain.ts keeps it).
import { expect, test } from '@playwright/test';
import { outcomeOf } from './classify.js';
import { afterFailure, type Streak } from './timing.js';
import { backoffDelayMs, parseRetryAfterMs } from '../server/src/retry-policy.js';
import { ANSWER_CASES, BACKOFF_CASES, BASE_MS, MAX_MS, RETRY_AFTER_CASES, RETRY_AFTER_NOW_MS, type AnswerCase } from '../server/test/retry-policy-cases.js';

const ORIGIN = 'https://chat.example';

const label = (c: AnswerCase) => `${c.status} on attempt ${c.attempt}${c.retryAfter === undefined ? '' : ` with Retry-After ${JSON.stringify(c.retryAfter)}`}${c.replayed ? ' replayed' : ''}${c.why ? ` (${c.why})` : ''}`;

test('each answer of the table: its verdict, its Retry-After, the bounds of the wait', async () => {
  for (const c of ANSWER_CASES) {
    const headers = new Headers(c.retryAfter === undefined ? {} : { 'Retry-After': c.retryAfter });
    if (c.replayed) headers.set('Idempotent-Replayed', 'true');
    const response = new Response(null, { status: c.status, headers });
    // The worker's evidence: send.ts passes `attempts > 1`, this attempt counted.
    const outcome = await outcomeOf(response, c.attempt > 1, ORIGIN);
    expect(outcome.verdict, label(c)).toBe(c.verdict);
    if (outcome.verdict !== 'transient') continue;
    expect(outcome.reason, label(c)).toBe(`http-${c.status}`);
    expect(outcome.retryAfterMs, `${label(c)}: Retry-After`).toBe(c.retryAfterMs);
    // The lane's streak: attempt − 1 failures before this one.
    const before: Streak | undefined = c.attempt > 1 ? { failures: c.attempt - 1, lastFailureAtMs: 0, nextAttemptAtMs: 0, notBeforeMs: 0 } : undefined;
    const waits = [0, 1].map((r) => afterFailure(before, outcome.retryAfterMs, 5_000, BASE_MS, MAX_MS, () => r).nextAttemptAtMs - 5_000);
    expect(waits, `${label(c)}: shortest and longest wait`).toEqual(c.waitMs);
  }
});

test('Retry-After: delta-seconds and HTTP dates, capped at an hour, junk ignored', () => {
  for (const { header, retryAfterMs } of RETRY_AFTER_CASES) expect(parseRetryAfterMs(header, RETRY_AFTER_NOW_MS), JSON.stringify(header)).toBe(retryAfterMs);
});

test('backoff doubles from the base up to the cap, half of each step random', () => {
  for (const { failures, baseMs, maxMs, random, delayMs } of BACKOFF_CASES) {
    expect(backoffDelayMs(failures, baseMs, maxMs, () => random), `${failures} failures, random ${random}`).toBe(delayMs);
  }
  // Jitter spreads browsers of one outage over the upper half of the step.
  const spread = new Set(Array.from({ length: 50 }, () => backoffDelayMs(3, 1000, 30_000)));
  expect(spread.size).toBeGreaterThan(10);
  for (const delay of spread) expect(delay).toBeGreaterThanOrEqual(2000);
});
