import { expect, test } from '@playwright/test';
import { classifyStatus, parseRetryAfterMs } from './classify.js';
import { backoffDelayMs } from './timing.js';

test('only 2xx is delivered; 408, 425, 429 and 5xx are transient; other answers are refusals', () => {
  for (const status of [200, 201, 202, 204, 299]) expect(classifyStatus(status), String(status)).toBe('delivered');
  for (const status of [408, 425, 429, 500, 502, 503, 504, 599]) expect(classifyStatus(status), String(status)).toBe('transient');
  for (const status of [300, 304, 400, 401, 403, 404, 409, 413, 422]) expect(classifyStatus(status), String(status)).toBe('rejected');
});

test('Retry-After reads delta-seconds and HTTP dates, caps at an hour, ignores junk', () => {
  const now = Date.parse('2026-11-21T12:00:00Z');
  expect(parseRetryAfterMs(null, now)).toBeUndefined();
  expect(parseRetryAfterMs('3', now)).toBe(3000);
  expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
  expect(parseRetryAfterMs('Sat, 21 Nov 2026 12:00:10 GMT', now)).toBe(10_000);
  expect(parseRetryAfterMs('Sat, 21 Nov 2026 11:00:00 GMT', now)).toBe(0); // in the past: now
  expect(parseRetryAfterMs('999999', now)).toBe(60 * 60 * 1000);
  expect(parseRetryAfterMs('soon', now)).toBeUndefined();
  expect(parseRetryAfterMs('-5', now)).toBeUndefined();
});

test('backoff doubles from the base up to the cap, with half of each step random', () => {
  const low = () => 0;
  const high = () => 1;
  expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(n, 1000, 30_000, high))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  expect([1, 2, 3, 6].map((n) => backoffDelayMs(n, 1000, 30_000, low))).toEqual([500, 1000, 2000, 15_000]);
  // Jitter spreads browsers of one outage over the upper half of the step.
  const spread = new Set(Array.from({ length: 50 }, () => backoffDelayMs(3, 1000, 30_000)));
  expect(spread.size).toBeGreaterThan(10);
  for (const delay of spread) expect(delay).toBeGreaterThanOrEqual(2000);
});
