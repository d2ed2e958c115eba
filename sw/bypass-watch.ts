/**
 * Never silent: a chat API POST that did not reach the outbox. The likeliest
 * cause is the plain recipe's `NetworkOnly` + `BackgroundSyncPlugin` route
 * left in place after a migration: it answers first, so `send()` gets
 * `failed`/`network` during an outage, `list()` stays empty and the old queue
 * keeps the message apart.
 *
 * A fetch listener that calls `respondWith` stops the event's propagation
 * (Service Workers spec, `respondWith` step "set the stop immediate
 * propagation flag"), so the outbox's own listener or route never even sees
 * such a request. Only a listener that runs before every other can: this
 * module adds one when `outbox/sw` is imported, which is before the importing
 * worker's own code runs (imports are evaluated first). After the event's
 * dispatch it checks whether the outbox took the request.
 */
import type { Engine } from './engine.js';
import type { ResolvedOptions } from './options.js';
import { isOutboxRequest } from './intercept.js';
import { PROTOCOL, type Broadcast } from './protocol/messages.js';
import { bypassText, type BypassedBy } from './protocol/warnings.js';

// Set by the site's bundler, as for Workbox's own development checks.
declare const process: { env: { NODE_ENV?: string } };

/** Fetch events the outbox took (its listener, or outboxHandler called by a router). */
export const claimed = new WeakSet<Event>();

interface Watched {
  engine: Engine;
  options: ResolvedOptions;
  /** How this outbox is plugged in, which says what took the request instead. */
  by: BypassedBy;
}

const watched: Watched[] = [];

/** Watches for the chat API's POSTs of an installed outbox that it does not get. */
export function watch(entry: Watched): void {
  watched.push(entry);
}

const scope = self as unknown as ServiceWorkerGlobalScope;
scope.addEventListener('fetch', (event) => {
  const entry = watched.find(({ options }) => isOutboxRequest(event.request, options, scope.location.origin));
  if (entry === undefined) return;
  // A task, not a microtask: microtasks run between two listeners, and the
  // outbox's listener (or the router's) comes after this one.
  setTimeout(() => {
    if (!claimed.has(event)) reportBypass(entry.engine, event.request.url, entry.by);
  }, 0);
});

/**
 * Says so in the worker's console (development builds) and on every page: the
 * client prints the same words in the page's console. The words travel with
 * the announcement, so the page's client carries none of them (its size
 * budget); the ready-made worker, whose only listeners are ours, needs none.
 */
function reportBypass(engine: Engine, url: string, by: BypassedBy): void {
  const text = bypassText(url, by);
  if (process.env.NODE_ENV !== 'production') console.warn(text);
  const message: Broadcast = { protocol: PROTOCOL, type: 'bypassed', url, by, text };
  const channel = new BroadcastChannel(engine.announce.channel);
  channel.postMessage(message);
  channel.close();
}
