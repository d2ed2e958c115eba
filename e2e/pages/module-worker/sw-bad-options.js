// An own worker whose outbox options are wrong (a relative API path): its
// other routes must keep working and every page must hear why the outbox
// does not, as an OutboxConfigError naming the option (e2e/sites/module-worker.spec.ts).
import { installOutbox } from './outbox-sw.js';

installOutbox({ apiPaths: ['api/chat'] });

// The site's own route, which must survive the outbox's bad configuration.
self.addEventListener('fetch', (event) => {
  if (new URL(event.request.url).pathname === '/module/own-route') event.respondWith(new Response('the site route still answers'));
});
self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
