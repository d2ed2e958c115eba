// An own worker as Vite's dev server serves it: an ES module, its imports
// rewritten by Vite (outbox/sw from the package, Workbox pre-bundled), as
// SvelteKit serves src/service-worker and vite-plugin-pwa its dev worker.
// Registered with createOutbox({ serviceWorker: '/own-sw.js', type: 'module' })
// (e2e/sites/vite.spec.ts).
import { installOutbox } from 'outbox/sw';

installOutbox({ apiPaths: ['/api/chat'] });

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
