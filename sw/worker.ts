/**
 * The ready-made worker, `dist/sw.js`: configured from its registration URL,
 * e.g. `navigator.serviceWorker.register('/sw.js?api=/api/chat&retention=1440')`
 * (see `optionsFromQuery` for every key). One build for production and for
 * debugging: `debug=1` (or a page's `trace` command) switches the decision log
 * on in this same worker (trace.ts); encryption and lanes are in it too
 * (docs/size.md has what each costs).
 */
import { wireOutbox } from './wiring.js';
import { normalizeOptions, optionsFromQuery } from './options.js';
import { answerWithConfigError, asConfigError } from './refuse.js';
import { SHELL_HANDOFF, type ShellHandoff } from './shell-options.js';

const scope = self as unknown as ServiceWorkerGlobalScope;
const query = new URL(scope.location.href).searchParams;

try {
  const options = optionsFromQuery(query);
  normalizeOptions(options);
  // installOutbox without its bypass watch: nothing else in this script
  // answers the API's POSTs (the shell's routes are GETs), so it need not ship in it.
  const { options: resolved } = wireOutbox(options);
  const handoff: ShellHandoff = { queueName: resolved.queueName, apiPaths: resolved.apiPaths };
  (scope as unknown as Record<symbol, ShellHandoff>)[SHELL_HANDOFF] = handoff;
} catch (error) {
  // A configuration it cannot use: it installs, keeps nothing, and says why to every page (refuse.ts).
  answerWithConfigError(asConfigError(error));
}

// The app shell (`shell=`) is its own bundle, so a site without it pays
// nothing. Loaded here, at the top level: a classic worker may call
// importScripts only during its first evaluation (and install). After
// installOutbox, so the outbox's POST route is the first to see a request.
if (query.has('shell')) importScripts('sw-shell.js');

// A new version takes over at once: the queue's storage is the same across
// versions (Workbox's store, our ledger), and the lock keeps the old worker's
// drain and the new one's from overlapping.
scope.addEventListener('install', () => void scope.skipWaiting());
scope.addEventListener('activate', (event) => event.waitUntil(scope.clients.claim()));
