// Your own service worker with the outbox and a precached app shell.
// Built by docs/recipe/build.mjs (esbuild), which puts the precache manifest
// (each file's URL and a hash of its content) where `self.__WB_MANIFEST` is.
import { installOutbox } from 'outbox/sw';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

// 1. The outbox first. Its fetch listener must be the first to see the chat
//    API's POSTs: a route registered before it that answers them takes the
//    messages away from the outbox (no queue, no order, no Idempotency-Key).
//    A Workbox POST route on the same path from an older recipe: delete it.
//    Left in after this line it never sees a message (the outbox has answered,
//    and respondWith stops the event's propagation: the router's listener is not called).
installOutbox({ apiPaths: ['/api/chat'] });

// 2. The app shell: cache-first from the precache, updated when a file's
//    revision changes; old Workbox precaches are deleted.
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// 3. Navigations the precache does not name (another query, another route of
//    a single-page app) get the page; never the API's.
const page = self.__WB_MANIFEST.map((entry) => (typeof entry === 'string' ? entry : entry.url)).find((url) => url.endsWith('.html'));
if (page === undefined) throw new Error('sw.js: the precache manifest names no .html page (see the globs in build.mjs)');
registerRoute(new NavigationRoute(createHandlerBoundToURL(page), { denylist: [/^\/api\//] }));

// 4. Lifecycle is yours. These two make a new version take over at once,
//    which the outbox is built for (the queue is the same across versions).
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
