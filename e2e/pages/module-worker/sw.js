// An own worker written as an ES module, as a site building ESM (or
// vite-plugin-pwa in dev mode) serves it: the static import below fails
// evaluation as a classic script, so it runs only if registered with
// `type: 'module'`. `./outbox-sw.js` is `outbox/sw` bundled as one module by
// the spec (e2e/sites/module-worker.spec.ts).
import { installOutbox } from './outbox-sw.js';

installOutbox({ apiPaths: ['/api/chat'] });

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
