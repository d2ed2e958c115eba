/**
 * What an answer (or its absence) means for a queued message. Pure functions,
 * so the policy is unit-testable and stated in one place.
 */
import type { Reason } from './protocol/messages.js';

/**
 * Where we differ from Workbox's `replayRequests()`: it counts any HTTP answer,
 * 5xx included, as delivered. Here only 2xx is delivered; 408, 425, 429 and 5xx
 * say "try again later" (RFC 9110 §15.5.9, RFC 8470, RFC 6585) and keep the
 * message queued; any other answer is the server refusing this message.
 */
export type Verdict = 'delivered' | 'transient' | 'rejected';

const TRANSIENT_4XX: ReadonlySet<number> = new Set([408, 425, 429]);

export function classifyStatus(status: number): Verdict {
  if (status >= 200 && status < 300) return 'delivered';
  if (status >= 500 || TRANSIENT_4XX.has(status)) return 'transient';
  return 'rejected';
}

export function httpReason(status: number): Reason {
  return `http-${status}`;
}

/** Longest Retry-After we obey; a server asking for more still gets retried within an hour. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * `Retry-After` as a delay in ms (delta-seconds or an HTTP date, RFC 9110 §10.2.3),
 * or `undefined` when absent or unreadable.
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

/**
 * Wait before the next automatic attempt after `failures` failures in a row:
 * exponential from `baseMs`, capped at `maxMs`, with "equal jitter" (half
 * fixed, half random) so that many browsers coming back after one outage do
 * not all hit the server in the same second, while one browser never waits
 * less than half the step.
 */
export function backoffDelayMs(failures: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
