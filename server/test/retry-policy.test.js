// The retry policy's table (retry-policy-cases.js), run as the relay composes
// the policy (relay/forwarder.js: the verdict from the status, whether an
// earlier attempt failed and Retry-After; the wait from the attempts and
// Retry-After). The worker runs the same table in sw/classify.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, classifyStatus, isTransientStatus, parseRetryAfterMs, retryDelayMs } from '../src/retry-policy.js';
import { ANSWER_CASES, BACKOFF_CASES, BASE_MS, MAX_MS, RETRY_AFTER_CASES, RETRY_AFTER_NOW_MS } from './retry-policy-cases.js';

/** @param {import('./retry-policy-cases.js').AnswerCase} c */
const label = (c) => `${c.status} on attempt ${c.attempt}${c.retryAfter === undefined ? '' : ` with Retry-After ${JSON.stringify(c.retryAfter)}`}${c.replayed ? ' replayed' : ''}${c.why ? ` (${c.why})` : ''}`;

test('each answer of the table: its verdict, its Retry-After, the bounds of the wait', () => {
  for (const c of ANSWER_CASES) {
    // The relay's evidence: `message.attempts` counts the earlier transient failures.
    const verdict = classifyStatus(c.status, { sentBefore: c.attempt - 1 > 0, retryAfter: c.retryAfter, replayed: c.replayed === true });
    assert.equal(verdict, c.verdict, label(c));
    if (verdict !== 'transient') continue;
    const retryAfterMs = parseRetryAfterMs(c.retryAfter);
    assert.equal(retryAfterMs, c.retryAfterMs, `${label(c)}: Retry-After`);
    const [lowMs, highMs] = c.waitMs ?? [NaN, NaN];
    assert.equal(retryDelayMs(c.attempt, retryAfterMs, BASE_MS, MAX_MS, () => 0), lowMs, `${label(c)}: shortest wait`);
    assert.equal(retryDelayMs(c.attempt, retryAfterMs, BASE_MS, MAX_MS, () => 1), highMs, `${label(c)}: longest wait`);
  }
});

test('the middleware stores no answer the policy calls transient for every sender', () => {
  for (const c of ANSWER_CASES) {
    if (c.status === 409) continue; // transient only with evidence the middleware's handler answer never has
    assert.equal(isTransientStatus(c.status), c.verdict === 'transient', label(c));
  }
});

test('Retry-After: delta-seconds and HTTP dates, capped at an hour, junk ignored', () => {
  for (const { header, retryAfterMs } of RETRY_AFTER_CASES) assert.equal(parseRetryAfterMs(header, RETRY_AFTER_NOW_MS), retryAfterMs, JSON.stringify(header));
});

test('backoff doubles from the base up to the cap, half of each step random', () => {
  for (const { failures, baseMs, maxMs, random, delayMs } of BACKOFF_CASES) {
    assert.equal(backoffDelayMs(failures, baseMs, maxMs, () => random), delayMs, `${failures} failures, random ${random}`);
  }
  // Jitter spreads the senders of one outage over the upper half of the step.
  const spread = new Set(Array.from({ length: 50 }, () => backoffDelayMs(3, 1000, 30_000)));
  assert.ok(spread.size > 10, `spread: ${spread.size} values`);
  for (const delayMs of spread) assert.ok(delayMs >= 2000 && delayMs <= 4000, String(delayMs));
});
