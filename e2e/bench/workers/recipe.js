// The plain Workbox recipe for queueing failed POSTs, as documented
// (https://developer.chrome.com/docs/workbox/modules/workbox-background-sync):
// a BackgroundSyncPlugin on a NetworkOnly POST route. Only skipWaiting/clientsClaim
// are added so the bench page is controlled on first load.
import { clientsClaim } from 'workbox-core';
import { registerRoute } from 'workbox-routing';
import { NetworkOnly } from 'workbox-strategies';
import { BackgroundSyncPlugin } from 'workbox-background-sync';

self.skipWaiting();
clientsClaim();

const bgSyncPlugin = new BackgroundSyncPlugin('outbox', {
  maxRetentionTime: 24 * 60, // minutes
});

registerRoute(
  ({ url }) => url.pathname.startsWith('/api/chat'),
  new NetworkOnly({ plugins: [bgSyncPlugin] }),
  'POST',
);
