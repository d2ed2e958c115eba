/**
 * `createOutbox`: registers (or adopts) the worker, waits until it controls
 * the page, and hands back an `Outbox` that has said who this page is.
 */
import { NoServiceWorkerError } from '../sw/protocol/errors.js';
import { normalizeClientOptions, type OutboxClientOptions, type ResolvedClientOptions } from './options.js';
import { Outbox } from './outbox.js';
import { request } from './rpc.js';

/**
 * Registers the outbox worker (or uses the one registered, or adopts the
 * `registration` it is given) and resolves once it controls the page.
 *
 * @example
 * import { createOutbox } from 'outbox/client';
 * const outbox = await createOutbox({ serviceWorker: '/sw.js?api=/api/chat', health: '/api/health' });
 * // Your own worker built as an ES module:
 * const own = await createOutbox({ serviceWorker: '/service-worker.js', type: 'module' });
 */
export async function createOutbox(options: OutboxClientOptions = {}): Promise<Outbox> {
  const resolved = normalizeClientOptions(options);
  // Outside a browser (server-side rendering, Node) there is no `navigator`: the same named error, not a ReferenceError.
  if (!globalThis.navigator?.serviceWorker) {
    throw new NoServiceWorkerError('No service worker: not a browser, or not https');
  }
  const registration =
    resolved.registration ??
    (await navigator.serviceWorker.register(resolved.serviceWorker, {
      type: resolved.type,
      ...(resolved.scope !== undefined ? { scope: resolved.scope } : {}),
    }));
  await takeControl(registration, resolved);
  const hello = await request(registration, { type: 'hello' }, resolved.requestTimeoutMs);
  const outbox = new Outbox(registration, hello, resolved);
  // Inline rather than storage.ts's persistStorage(): dist/client.js has a 3 KiB budget.
  if (options.persist) outbox.persisted = navigator.storage?.persist?.().catch(() => false);
  await outbox.declare(true);
  // Queued messages an earlier visit left need no list() here (it reads every
  // stored body: 10,000 queued messages of 16 kB kept the worker busy for
  // seconds on each page load): the declaration above kicks a drain, and its
  // report (backoff, transient) starts this page's probe (Outbox.#receive).
  // Relayed ones are in no drain's report: a worker that follows them (its
  // `lookup=`) is listed, not awaited, so the probe keeps it asking.
  if (hello.followsRelayed === true) void outbox.list().catch(() => undefined);
  return outbox;
}

/** Waits until a worker controls the page; after a hard reload, asks the active worker to claim it. */
async function takeControl(registration: ServiceWorkerRegistration, options: ResolvedClientOptions): Promise<void> {
  const container = navigator.serviceWorker;
  if (container.controller) return;
  const controlled = new Promise<void>((resolve) => container.addEventListener('controllerchange', () => resolve(), { once: true }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NoServiceWorkerError(`The worker '${options.serviceWorker}' did not take control within ${options.controlTimeoutMs} ms`)),
      options.controlTimeoutMs,
    );
  });
  try {
    await Promise.race([
      (async () => {
        await container.ready;
        if (!container.controller) {
          // A worker that is active but not controlling (hard reload, or one that does not claim) is asked to.
          await request(registration, { type: 'claim' }, options.requestTimeoutMs).catch(() => undefined);
          if (!container.controller) await controlled;
        }
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
