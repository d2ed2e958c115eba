/**
 * The ready-made worker, `dist/sw.js`: configured from its registration URL,
 * e.g. `navigator.serviceWorker.register('/sw.js?api=/api/chat&retention=1440')`
 * (see `optionsFromQuery` for every key).
 */
import { installOutbox } from './install.js';
import { optionsFromQuery } from './options.js';

const scope = self as unknown as ServiceWorkerGlobalScope;

installOutbox(optionsFromQuery(new URL(scope.location.href).searchParams));

// A new version takes over at once: the queue's storage is the same across
// versions (Workbox's store, our ledger), and the lock keeps the old worker's
// drain and the new one's from overlapping.
scope.addEventListener('install', () => void scope.skipWaiting());
scope.addEventListener('activate', (event) => event.waitUntil(scope.clients.claim()));
