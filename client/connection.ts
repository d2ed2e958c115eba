/**
 * The page's view of its way to the API, as one state value, learned from the
 * outbox's own traffic: the browser's `online`/`offline` events, every answer
 * the worker reports (a send, a drain, a status broadcast from any tab) and
 * the health probe. It never polls an idle API by itself.
 *
 *   online ──offline event──────────────────► offline      (downSinceMs: now)
 *   online ──no answer (network, timeout, 5xx)► unreachable (downSinceMs: now)
 *   offline ─online event───────────────────► checking     (downSinceMs kept; the health probe asks the API at once)
 *                                             or online    (no health URL: nothing would ever check)
 *   checking ─no answer─────────────────────► unreachable  (downSinceMs kept: one outage)
 *   unreachable ─offline event──────────────► offline      (downSinceMs kept)
 *   any ─an answer──────────────────────────► online
 *
 * "An answer" is any HTTP answer of the API that is not a 5xx: a refusal
 * (4xx) is the API answering. A 5xx (a proxy's 502/503, a crashed handler)
 * counts as not answering, as the worker counts it transient.
 */
import type { Reason } from '../sw/protocol/statuses.js';

/** Where the page stands; `downSinceMs` (epoch ms) is when the outage began, kept across offline ↔ unreachable. */
export type ConnectionState =
  /** The browser is online and the API answered the last request the outbox made (or none was made yet). */
  | { state: 'online' }
  /** The browser says it has no network (`navigator.onLine` is false). */
  | { state: 'offline'; downSinceMs: number }
  /** The network came back; the health probe is asking whether the API answers. */
  | { state: 'checking'; downSinceMs: number }
  /** The network is up, the API did not answer the last request: `reason` is how it failed (`network`, `timeout`, `http-503`…). */
  | { state: 'unreachable'; downSinceMs: number; reason: Reason };

/** What the outbox just learned about the API. */
export type ConnectionEvidence = 'online' | 'offline' | 'answered' | 'checking' | { notAnswered: Reason };

/** Reasons that say the API did not answer (rather than answered with a refusal). */
export function isNotAnswered(reason: Reason | undefined): boolean {
  return reason === 'network' || reason === 'timeout' || reason === 'unreachable' || /^http-5/.test(reason ?? '');
}

export class Connection {
  #state: ConnectionState = navigator.onLine ? { state: 'online' } : { state: 'offline', downSinceMs: Date.now() };
  readonly #listeners = new Set<(state: ConnectionState) => void>();

  // `get` and `subscribe` are bound (arrow functions): React's
  // `useSyncExternalStore(connection.subscribe, connection.get)` calls them detached.

  /** The current state (a new object only when it changed). */
  get = (): ConnectionState => this.#state;

  /**
   * Calls `listener` with the state now and at every change (the Svelte
   * store contract; `useSyncExternalStore` takes `subscribe` and `get`).
   * Returns the function that stops it.
   *
   * @example
   * outbox.connection.subscribe((c) => { banner.hidden = c.state === 'online'; });
   */
  subscribe = (listener: (state: ConnectionState) => void): (() => void) => {
    this.#listeners.add(listener);
    listener(this.#state);
    return () => this.#listeners.delete(listener);
  };

  /** @internal Fed by the outbox. */
  observe(evidence: ConnectionEvidence): void {
    const was = this.#state;
    const downSinceMs = was.state === 'online' ? Date.now() : was.downSinceMs;
    let next: ConnectionState;
    if (evidence === 'offline' || evidence === 'checking') next = { state: evidence, downSinceMs };
    else if (evidence === 'online' || evidence === 'answered') next = { state: 'online' };
    // No answer while the browser says offline is the browser's outage, not the API's.
    else if (was.state === 'offline' && !navigator.onLine) return;
    else next = { state: 'unreachable', downSinceMs, reason: evidence.notAnswered };
    if (next.state === was.state && (next.state !== 'unreachable' || next.reason === (was as typeof next).reason)) return;
    this.#state = next;
    for (const listener of this.#listeners) {
      try {
        listener(next);
      } catch (error) {
        reportError(error);
      }
    }
  }
}
