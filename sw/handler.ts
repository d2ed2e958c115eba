/**
 * `outboxHandler()`: the outbox as a Workbox route handler, for a site that
 * routes its own worker's requests with workbox-routing. The site's router
 * decides which requests reach it and in which order its routes are tried.
 */
import { wireOutbox } from './wiring.js';
import { takeRequest } from './intercept.js';
import type { OutboxWorkerOptions } from './options.js';
import { OutboxConfigError } from './protocol/errors.js';
import { startOrStandAside } from './refuse.js';
import { claimed, watch } from './bypass-watch.js';

/**
 * What a Workbox router calls: a `RouteHandlerCallback` of workbox-routing
 * (declared here structurally, so the types need no particular Workbox
 * version).
 */
export type OutboxRouteHandler = (options: { request: Request; event: ExtendableEvent }) => Promise<Response>;

/**
 * The outbox as a handler for workbox-routing: register it for the chat API's
 * POSTs on your router, in the order you want among your other routes. Call it
 * once, synchronously, at the top level of the worker script (it adds the
 * outbox's `message` and `sync` listeners).
 *
 * `apiPaths` (default `['/api/chat']`) names the POSTs that should reach it:
 * one that your router gives to another route (or to none), or that another
 * fetch listener answers first, is announced as a warning, in the worker's
 * console in development builds and on every page. Import `outbox/sw` before
 * the worker's other code, so its watch comes first.
 *
 * @example
 * // service-worker.ts
 * import { registerRoute } from 'workbox-routing';
 * import { outboxHandler } from 'outbox/sw';
 *
 * registerRoute(({ url }) => url.pathname === '/api/chat', outboxHandler({ apiPaths: ['/api/chat'] }), 'POST');
 */
export function outboxHandler(options: OutboxWorkerOptions = {}): OutboxRouteHandler {
  const started = startOrStandAside(() => wireOutbox(options, false));
  // As installOutbox: the router's other routes keep working, pages hear why, the POST goes out as it is.
  if (started instanceof OutboxConfigError) return ({ request }) => fetch(request);
  watch({ ...started, by: 'route' });
  const { engine } = started;
  return ({ request, event }) => {
    claimed.add(event);
    const taken = takeRequest(engine, request, (event as FetchEvent).clientId ?? '');
    // Keeps the worker alive until the drain this message started is over.
    event.waitUntil(taken.then(({ done }) => done).catch(() => undefined));
    return taken.then(({ response }) => response);
  };
}
