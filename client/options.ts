/**
 * The client's options: typed once, defaults in one constant, units in the names.
 */
import { positiveOption } from '../shared/options.js';
import { InvalidNamespaceError, OutboxConfigError } from '../sw/protocol/errors.js';
import { namespaceProblem } from '../sw/protocol/http.js';
import { type SessionCredentials } from '../sw/protocol/messages.js';

/** Credentials, or a function that gives the current ones (called again when the worker needs them). */
export type CredentialsSource = SessionCredentials | (() => SessionCredentials | undefined | Promise<SessionCredentials | undefined>);

export interface OutboxClientOptions {
  /**
   * Whose messages these are: the signed-in user's id, or any key the site
   * chooses. Statuses, `list()`, `retry`, `discard` and `purge` are per
   * namespace, and the worker replays a namespace's messages only while a page
   * of that namespace is open. Change it with `setNamespace()`.
   * @default '' (one outbox for the whole site)
   */
  namespace?: string;
  /**
   * What the worker replays with, held in its memory only (never on disk):
   * `{ authorization: 'Bearer …' }`, or a function returning it, called again
   * when the worker restarts or the server answers 401.
   */
  credentials?: CredentialsSource;
  /**
   * The worker script to register (or the one already registered). The ready-made
   * worker takes its settings from the query: `/sw.js?api=/api/chat&retention=1440`.
   * @default '/sw.js'
   */
  serviceWorker?: string;
  /** Registration scope. @default the worker script's folder */
  scope?: string;
  /**
   * How the browser evaluates `serviceWorker`: `'classic'` (a plain script,
   * what the ready-made `sw.js` is) or `'module'` (an ES module: your own
   * worker built as ESM, or vite-plugin-pwa's worker in dev mode). A classic
   * script registered as a module still runs, but cannot `importScripts`, so
   * the ready-made worker's `debug`, `encrypt` and `shell` keys need `'classic'`.
   * @default 'classic'
   */
  type?: WorkerType;
  /**
   * A registration made elsewhere (workbox-window's `wb.register()`,
   * vite-plugin-pwa's `onRegisteredSW`, or `navigator.serviceWorker.register`
   * by hand), adopted instead of registering: `createOutbox` then registers
   * nothing and waits for that registration's worker to control the page.
   * The worker must be one with the outbox in it (the ready-made `sw.js`, or
   * your own with `outbox/sw`). Not with `serviceWorker`, `scope` or `type`,
   * which only say how to register.
   *
   * @example
   * const registration = await navigator.serviceWorker.register('/sw.js?api=/api/chat');
   * const outbox = await createOutbox({ registration });
   */
  registration?: ServiceWorkerRegistration;
  /**
   * A URL that answers 2xx when the API is up (a GET, not intercepted). While
   * anything is queued it is probed, and a drain is asked for when it answers.
   * Without it, replay relies on `online`, the worker's own timer and Background Sync.
   */
  health?: string;
  /**
   * Longest wait between two health probes. Right after an outage starts the
   * probes come sooner (from `healthMinIntervalMs`, doubling).
   * @default 30000
   */
  healthIntervalMs?: number;
  /** @default 1000 */
  healthMinIntervalMs?: number;
  /**
   * How long a command to the worker (list, retry, discard, flush) may take
   * before it rejects with `OutboxTimeoutError`.
   * @default 10000
   */
  requestTimeoutMs?: number;
  /**
   * Ask the browser to keep this origin's storage (`navigator.storage.persist()`),
   * so queued messages are not evicted under storage pressure. The answer is
   * the promise `outbox.persisted`. See the README for what each browser grants.
   * @default false
   */
  persist?: boolean;
  /**
   * How long `createOutbox` waits for the worker to control the page.
   * @default 10000
   */
  controlTimeoutMs?: number;
}

// `persist` is read once by createOutbox, not kept.
export type ResolvedClientOptions = Required<Omit<OutboxClientOptions, 'scope' | 'health' | 'credentials' | 'persist' | 'registration'>> &
  Pick<OutboxClientOptions, 'scope' | 'health' | 'credentials' | 'registration'>;

export const DEFAULT_CLIENT_OPTIONS = Object.freeze({
  namespace: '',
  serviceWorker: '/sw.js',
  type: 'classic' as WorkerType,
  healthIntervalMs: 30_000,
  healthMinIntervalMs: 1_000,
  requestTimeoutMs: 10_000,
  controlTimeoutMs: 10_000,
});


export function normalizeClientOptions(options: OutboxClientOptions = {}): ResolvedClientOptions {
  const d = DEFAULT_CLIENT_OPTIONS;
  if (options.registration !== undefined) {
    // Said together, one of them would be silently ignored: the worker adopted would not be the one named.
    const howToRegister = (['serviceWorker', 'scope', 'type'] as const).filter((key) => options[key] !== undefined);
    if (howToRegister.length > 0) {
      throw new OutboxConfigError(`outbox: option 'registration' is not to be given with '${howToRegister.join("', '")}' (they only say how to register)`);
    }
  }
  const resolved: ResolvedClientOptions = {
    namespace: options.namespace ?? d.namespace,
    // With `registration`, the adopted worker's script, for error messages.
    serviceWorker: options.serviceWorker ?? workerUrlOf(options.registration) ?? d.serviceWorker,
    type: options.type ?? d.type,
    healthIntervalMs: positiveOption('healthIntervalMs', options.healthIntervalMs ?? d.healthIntervalMs),
    healthMinIntervalMs: positiveOption('healthMinIntervalMs', options.healthMinIntervalMs ?? d.healthMinIntervalMs),
    requestTimeoutMs: positiveOption('requestTimeoutMs', options.requestTimeoutMs ?? d.requestTimeoutMs),
    controlTimeoutMs: positiveOption('controlTimeoutMs', options.controlTimeoutMs ?? d.controlTimeoutMs),
  };
  if (options.scope !== undefined) resolved.scope = options.scope;
  if (options.health !== undefined) resolved.health = options.health;
  if (options.credentials !== undefined) resolved.credentials = options.credentials;
  if (options.registration !== undefined) resolved.registration = options.registration;
  const namespaceWrong = namespaceProblem(resolved.namespace);
  if (namespaceWrong !== undefined) throw new InvalidNamespaceError(`outbox: option 'namespace': ${namespaceWrong}`);
  resolved.healthMinIntervalMs = Math.min(resolved.healthMinIntervalMs, resolved.healthIntervalMs);
  return resolved;
}

function workerUrlOf(registration: ServiceWorkerRegistration | undefined): string | undefined {
  return (registration?.active ?? registration?.waiting ?? registration?.installing)?.scriptURL;
}
