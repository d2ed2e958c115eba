// What an upstream answer means for a relayed message, and how long to wait
// before the next try. The same policy as the browser's worker
// (sw/classify.ts): only 2xx is delivered; 408, 425, 429 and 5xx say "try
// again later" (RFC 9110 §15.5.9, RFC 8470, RFC 6585); any other answer is
// the upstream refusing this message.
import { isTransientStatus } from '../idempotency/middleware.js';

/**
 * One difference from the worker: a 409 with `Retry-After` is transient. The
 * relay always sends an Idempotency-Key, and that is the draft's answer while
 * an earlier request with the same key is still running upstream (a relay
 * killed mid-forward, then restarted, sends again before the upstream
 * finished the first): retried, it gets the stored answer.
 * @param {number} status
 * @param {string | undefined} retryAfter the answer's Retry-After header
 * @returns {'delivered' | 'transient' | 'rejected'}
 */
export function classifyStatus(status, retryAfter) {
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 409 && retryAfter !== undefined) return 'transient';
  return isTransientStatus(status) ? 'transient' : 'rejected';
}

/** Longest Retry-After obeyed; an upstream asking for more is still retried within the hour. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * `Retry-After` (delta-seconds or an HTTP date, RFC 9110 §10.2.3) in ms, or undefined.
 * @param {unknown} header
 * @param {number} [nowMs]
 * @returns {number | undefined}
 */
export function parseRetryAfterMs(header, nowMs = Date.now()) {
  if (typeof header !== 'string') return undefined;
  const text = header.trim();
  let delayMs;
  if (/^\d+$/.test(text)) delayMs = Number(text) * 1000;
  else {
    if (!/[a-z]{3}/i.test(text)) return undefined;
    const atMs = Date.parse(text);
    if (Number.isNaN(atMs)) return undefined;
    delayMs = atMs - nowMs;
  }
  return Math.min(Math.max(delayMs, 0), MAX_RETRY_AFTER_MS);
}

/**
 * Capped exponential backoff with "equal jitter" (half fixed, half random):
 * relays restarting after one outage do not hit the upstream in step.
 * @param {number} failures @param {number} baseMs @param {number} maxMs @param {() => number} [random]
 */
export function backoffDelayMs(failures, baseMs, maxMs, random = Math.random) {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
