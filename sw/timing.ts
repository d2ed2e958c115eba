/**
 * Time, as the drain needs it. Pure, so the policy is unit-testable.
 *
 * - Deadlines within a worker's life (backoff, Retry-After, the next timer)
 *   are on the monotonic clock (`performance.now()`): a wall-clock step (NTP,
 *   a person changing the time) moves neither way. With `Date.now()`, a step
 *   back made every deadline hours away and stalled the queue until restart.
 * - Wall time only where it must cross a restart or a person reads it
 *   (`createdAtMs`, retention, `updatedAtMs`): taken from `wallNowMs()`, which
 *   is the wall clock read once at worker start and moved on by the monotonic
 *   clock, so a step during the worker's life does not expire a whole queue
 *   at once, nor stop it from expiring.
 */
import type { DrainTrigger } from './protocol/statuses.js';
// Backoff with jitter, and Retry-After as its floor: the relay's policy too (one copy, in outbox-server).
import { retryDelayMs } from '../server/src/retry-policy.js';

export const monotonicMs = (): number => performance.now();

const startWallMs = Date.now();
const startMonotonicMs = performance.now();

/** Epoch ms, immune to wall-clock steps within this worker's life. */
export function wallNowMs(): number {
  return Math.round(startWallMs + (performance.now() - startMonotonicMs));
}

/** The one retention rule: the message has waited longer than `retentionMinutes`. */
export function isExpired(createdAtMs: number, nowMs: number, retentionMinutes: number): boolean {
  return nowMs - createdAtMs > retentionMinutes * 60_000;
}

/** A run of transient failures, on the monotonic clock. */
export interface Streak {
  failures: number;
  lastFailureAtMs: number;
  /** When the timer tries again. */
  nextAttemptAtMs: number;
  /** The server's `Retry-After`: nothing tries before it. */
  notBeforeMs: number;
}

/** The streak after one more failure. */
export function afterFailure(streak: Streak | undefined, retryAfterMs: number | undefined, nowMs: number, baseMs: number, maxMs: number, random?: () => number): Streak {
  const failures = (streak?.failures ?? 0) + 1;
  const delayMs = retryDelayMs(failures, retryAfterMs, baseMs, maxMs, random);
  return { failures, lastFailureAtMs: nowMs, nextAttemptAtMs: nowMs + delayMs, notBeforeMs: nowMs + (retryAfterMs ?? 0) };
}

/**
 * Whether a drain started by `trigger` may send now. After a failure,
 * `online`, `probe`, `sync` and `manual` are evidence that the server may be
 * back and may try after `baseMs`; the timer, worker start and new messages
 * wait for the backoff. Nothing tries before the server's `Retry-After`.
 */
export function mayTry(streak: Streak | undefined, trigger: DrainTrigger, nowMs: number, baseMs: number): boolean {
  if (!streak) return true;
  // A person pressing "send now" counts as evidence too; a flood of flushes
  // still makes at most one attempt per baseMs (they join one drain).
  const evidence = trigger === 'online' || trigger === 'probe' || trigger === 'sync' || trigger === 'manual';
  // Evidence never waits longer than the timer would.
  const earliestMs = evidence ? Math.min(streak.lastFailureAtMs + baseMs, streak.nextAttemptAtMs) : streak.nextAttemptAtMs;
  return nowMs >= Math.max(earliestMs, streak.notBeforeMs);
}
