/**
 * The outbox's wiring in a service worker (`wireOutbox`): its engine and its
 * `message`, `sync` and `fetch` listeners.
 * `installOutbox` (install-outbox.ts) and `outboxHandler` (handler.ts) are
 * made of these; the ready-made worker (worker.ts) too.
 */
import { runCommand } from './commands.js';
import { Engine } from './engine.js';
import { isOutboxRequest, takeRequest } from './intercept.js';
import { defaultQueueName, normalizeOptions, type OutboxWorkerOptions, type ResolvedOptions } from './options.js';
import { OutboxProtocolError, serializeError } from './protocol/errors.js';
import { monotonicMs } from './timing.js';
import { type DrainReport, type DrainTrigger, type PendingMessage } from './protocol/statuses.js';
import { envelopeProblem, isOutboxMessage, type Envelope, type Reply } from './protocol/messages.js';

const installed = new Set<string>();

/** What `installOutbox` returns, for a worker that wants to drive the outbox itself. */
export interface OutboxWorker {
  readonly queueName: string;
  /** Drain now (or join the drain running). */
  drain(trigger?: DrainTrigger): Promise<DrainReport>;
  /** A namespace's messages not yet delivered, oldest first (`''`: a site without accounts). */
  list(namespace?: string): Promise<PendingMessage[]>;
}

interface SyncEvent extends ExtendableEvent {
  readonly tag: string;
  readonly lastChance: boolean;
}

/**
 * How long a `sync` event is held open while the worker's timer retries a
 * failing server: under Chromium's 3-minute limit for one event, after which
 * it would count as failed.
 */
const SYNC_HOLD_MS = 150_000;

/** @internal */
export interface Wired {
  engine: Engine;
  options: ResolvedOptions;
}

/**
 * @internal What installOutbox, outboxHandler and the ready-made worker share.
 * `intercept`: the outbox's own fetch listener for the chat API's POSTs, with
 * the set that records each event it took (for bypass-watch.ts), or `false` for none
 * (outboxHandler: the site's router calls it).
 */
export function wireOutbox(options: OutboxWorkerOptions, intercept: WeakSet<Event> | false = new WeakSet()): Wired {
  const scope = self as unknown as ServiceWorkerGlobalScope;
  const resolved = normalizeOptions({ ...options, queueName: options.queueName ?? defaultQueueName(scope.registration.scope) });
  const engine = new Engine(resolved);
  const syncSupported = resolved.backgroundSync && 'sync' in scope.registration;

  // One installation per queue name and worker, as Workbox's Queue enforces
  // (`duplicate-queue-name`): two engines on one queue would each drain it.
  if (installed.has(resolved.queueName)) {
    throw new Error(`outbox: queue '${resolved.queueName}' is already installed; call installOutbox once`);
  }
  installed.add(resolved.queueName);

  // Workbox's tag, so a registration left by the plain recipe on the same queue wakes us too.
  const syncTag = `workbox-background-sync:${resolved.queueName}`;
  if (syncSupported) {
    const sync = (scope.registration as ServiceWorkerRegistration & { sync: { register(tag: string): Promise<void> } }).sync;
    // Failing to register (no permission) leaves the other triggers: online, probe, timer, start.
    engine.useSync(() => sync.register(syncTag).catch(() => undefined));
    // Another version installing or waiting (this worker is `installing` itself while it is evaluated and installed).
    const isOther = (worker: ServiceWorker | null): boolean => worker !== null && worker !== scope.serviceWorker;
    const updating = (): boolean => isOther(scope.registration.installing) || isOther(scope.registration.waiting);
    // One listener for the worker's life, one promise per update: a fresh
    // listener per wait would pile up, one per drain end, through a long outage.
    // Its own installation's `updatefound` only re-arms it before any sync event can wait on it.
    let updateFound!: Promise<'update'>;
    let foundUpdate!: (value: 'update') => void;
    const armUpdate = (): void => {
      updateFound = new Promise((resolve) => (foundUpdate = resolve));
    };
    armUpdate();
    scope.registration.addEventListener('updatefound', () => {
      foundUpdate('update');
      armUpdate();
    });
    scope.addEventListener('sync', (event) => {
      const { tag, lastChance } = event as SyncEvent;
      if (tag !== syncTag) return;
      engine.syncFired();
      event.waitUntil(
        (async () => {
          // A new version waits for this worker's events to end: with one
          // installing or waiting, this event ends at once (the new version
          // drains when it starts). Raced with an update from the start too:
          // joining a long drain must not keep a new version waiting either.
          if (updating()) return;
          const drained = engine.drain('sync');
          let stop: string | undefined = await Promise.race([drained.then((report) => report.stoppedBy), updateFound]);
          // A server outage (the network is fine): the worker's own timer
          // retries (backoff, Retry-After). The event is held open meanwhile,
          // and re-registered when the hold ends, so the registration is
          // always firing: a browser closed now fires it again at its next
          // start, instead of after Chromium's 5, 15 and 45 minutes that a
          // failed event earns (then nothing until a page opens).
          // A new version waits for this worker's events to end before it
          // activates: the hold ends as soon as one is found, or an update
          // would wait out the outage.
          const holdUntilMs = monotonicMs() + SYNC_HOLD_MS;
          while ((stop === 'transient' || stop === 'backoff') && monotonicMs() < holdUntilMs && !updating()) {
            stop = await Promise.race([engine.nextDrainEnd(holdUntilMs - monotonicMs()), updateFound]);
          }
          // Nothing to retry for: what is left waits for its user's page, not for the network.
          if (stop === 'empty' || stop === 'waiting') return;
          // A new version takes over: it drains when it starts and arms its own registration.
          // Re-registering here would fire at once and hold this worker busy, keeping it from activating.
          if (stop === 'update' || updating()) return;
          if (stop === 'transient' || stop === 'backoff' || stop === 'timeout' || lastChance) {
            // Registered while this one fires: Chromium fires it again once this event ends.
            await engine.rearmSync();
            return;
          }
          // Offline: failing the event is how the browser learns to fire it again, once back online.
          throw new Error(`outbox: ${(await drained).remaining} still queued (${stop})`);
        })(),
      );
    });
  }

  scope.addEventListener('message', (event) => {
    // Other libraries may talk to this worker too: only our messages get an answer.
    if (!isOutboxMessage(event.data)) return;
    const port = event.ports[0];
    const reply = (message: Reply): void => port?.postMessage(message);
    if (event.origin !== '' && event.origin !== scope.location.origin) return;
    const problem = envelopeProblem(event.data);
    if (problem !== undefined) {
      reply({ ok: false, error: serializeError(new OutboxProtocolError(problem)) });
      return;
    }
    const { command } = event.data as Envelope;
    event.waitUntil(
      runCommand(engine, command, (event.source as Client | null)?.id ?? '').then(
        (value) => reply({ ok: true, value }),
        (error: unknown) => reply({ ok: false, error: serializeError(error) }),
      ),
    );
  });

  if (intercept) {
    scope.addEventListener('fetch', (event) => {
      if (!isOutboxRequest(event.request, resolved, scope.location.origin)) return;
      intercept.add(event);
      const taken = takeRequest(engine, event.request, event.clientId);
      event.respondWith(taken.then(({ response }) => response));
      // Keeps the worker alive until the drain this message started is over.
      event.waitUntil(taken.then(({ done }) => done).catch(() => undefined));
    });
  }

  // The worker starting is a chance to deliver what an earlier one left (also
  // where Background Sync does not exist).
  engine.kick('start');
  // Pages hand their sessions (namespace, credentials) again: this worker's memory starts empty.
  engine.announce.started();
  // A new version is evaluated (above) while the old one still controls the
  // pages, so they declared to the old one: ask again once this one is active
  // (the client also declares again on `controllerchange`).
  scope.addEventListener('activate', () => engine.announce.started());

  return { engine, options: resolved };
}
