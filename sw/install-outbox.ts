/**
 * `installOutbox()`: the outbox as its own fetch listener, for a worker that
 * does not route with workbox-routing (or wants the outbox ahead of its router).
 */
import { wireOutbox, type OutboxWorker } from './wiring.js';
import type { OutboxWorkerOptions } from './options.js';
import { OutboxConfigError } from './protocol/errors.js';
import { startOrStandAside } from './refuse.js';
import { claimed, watch } from './bypass-watch.js';

/**
 * Makes the chat API's POSTs survive outages. Import `outbox/sw` before the
 * worker's other code, and call this once, synchronously, at the top level of
 * the worker script, before registering other routes: the `fetch`, `message` and
 * `sync` listeners must be added during the script's first evaluation, and a
 * queue name may be installed once per worker.
 *
 * @example
 * // sw.ts, built by your bundler
 * import { installOutbox } from 'outbox/sw';
 * installOutbox({ apiPaths: ['/api/chat'], retentionMinutes: 24 * 60 });
 * self.addEventListener('install', () => self.skipWaiting());
 * self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
 *
 * Options it cannot use (`apiPaths: ['api/chat']`, `retentionMinutes: 0`) do
 * not throw: the rest of the worker runs, the outbox keeps and intercepts
 * nothing, and `createOutbox()` in every page rejects with `OutboxConfigError`
 * naming the option (as do `drain` and `list` here).
 */
export function installOutbox(options: OutboxWorkerOptions = {}): OutboxWorker {
  const started = startOrStandAside(() => wireOutbox(options, claimed));
  if (started instanceof OutboxConfigError) {
    const refused = (): Promise<never> => Promise.reject(started);
    return { queueName: options.queueName ?? '', drain: refused, list: refused };
  }
  const { engine } = started;
  watch({ ...started, by: 'listener' });
  return {
    queueName: started.options.queueName,
    drain: (trigger = 'manual') => engine.drain(trigger),
    list: (namespace = '') => engine.list(namespace),
  };
}
