// A site's own worker on workbox-routing, built by e2e/sites/workbox-router.spec.ts
// in three variants (VARIANT, set by the build):
//   router            outboxHandler among the site's routes: a precache route,
//                     a GET route and another POST route
//   leftover-route    the plain recipe's route on /api/chat registered before
//                     outboxHandler's: the router hands the POSTs to it
//   leftover-listener the same route registered before installOutbox(): the
//                     router's fetch listener answers before the outbox's
import { BackgroundSyncPlugin } from 'workbox-background-sync';
import { precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { NetworkFirst, NetworkOnly } from 'workbox-strategies';
import { installOutbox, outboxHandler } from 'outbox/sw';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<PrecacheEntry | string> };
declare const VARIANT: 'router' | 'leftover-route' | 'leftover-listener';

const chat = ({ url }: { url: URL }) => url.pathname === '/api/chat';

if (VARIANT !== 'router') {
  // What a migration leaves behind: the recipe's route, first.
  registerRoute(chat, new NetworkOnly({ plugins: [new BackgroundSyncPlugin('chat-recipe')] }), 'POST');
}
if (VARIANT === 'leftover-listener') installOutbox({ apiPaths: ['/api/chat'] });
else registerRoute(chat, outboxHandler({ apiPaths: ['/api/chat'] }), 'POST');

// The page's query (which worker, which options) does not make it another page.
precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/.*/] });
registerRoute(({ url }) => url.pathname === '/api/messages', new NetworkFirst({ cacheName: 'history' }), 'GET');
registerRoute(({ url }) => url.pathname === '/api/other', new NetworkOnly(), 'POST');

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
