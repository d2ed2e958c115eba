// The recipe's worker (docs/recipe/sw.js) plus what an older site may still
// have: the plain Workbox queue (BackgroundSyncPlugin on a NetworkOnly POST
// route) on the same path, registered after installOutbox. Written out, not
// imported: the repo's "sideEffects": false would let esbuild drop a bare import.
import { installOutbox } from 'outbox/sw';
import { BackgroundSyncPlugin } from 'workbox-background-sync';
import { precacheAndRoute } from 'workbox-precaching';
import { registerRoute } from 'workbox-routing';
import { NetworkOnly } from 'workbox-strategies';

installOutbox({ apiPaths: ['/api/chat'] });
precacheAndRoute(self.__WB_MANIFEST);
registerRoute(({ url }) => url.pathname.startsWith('/api/chat'), new NetworkOnly({ plugins: [new BackgroundSyncPlugin('legacy')] }), 'POST');

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
