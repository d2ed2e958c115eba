/**
 * The worker's options: typed once, defaults in one constant, units in the names.
 */
import { positiveOption } from './protocol/messages.js';

export interface OutboxWorkerOptions {
  /**
   * Same-origin path prefixes whose POSTs the outbox keeps. GETs, other paths
   * and other origins pass untouched.
   * @default ['/api/chat']
   */
  apiPaths?: readonly string[];
  /**
   * Names the queue in Workbox's `workbox-background-sync` database and the
   * sync tag (`workbox-background-sync:<queueName>`). Keep it stable across
   * versions of your worker, or queued messages stay behind.
   * @default 'outbox'
   */
  queueName?: string;
  /**
   * How long a message may wait before it becomes `failed` with reason
   * `expired` (still listed, still retryable; never deleted silently).
   * @default 1440 (24 hours)
   */
  retentionMinutes?: number;
  /**
   * How long one attempt may take before it counts as a transient `timeout`.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Largest body kept; a larger message fails at once with reason `too-large`.
   * @default 1048576 (1 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Use the Background Sync API where the browser has it. `false` behaves as
   * Firefox and Safari do (replay on the page's `online`, the health probe,
   * the backoff timer and worker start), like Workbox's `forceSyncFallback`.
   * @default true
   */
  backgroundSync?: boolean;
  /**
   * First wait after a transient failure; it doubles per failure (with jitter).
   * @default 1000
   */
  retryBaseMs?: number;
  /**
   * Longest wait between two automatic attempts.
   * @default 30000
   */
  retryMaxMs?: number;
  /**
   * Request headers never written to IndexedDB (case-insensitive). A message
   * sent with one of them is replayed with the credentials its page handed
   * over (`createOutbox({ credentials })`, kept in memory only) or by
   * `beforeReplay`; until then it waits, `queued` with reason `auth`.
   * `[]` keeps every header.
   * @default ['authorization', 'cookie']
   */
  secretHeaders?: readonly string[];
  /**
   * Store queued bodies encrypted (AES-GCM, a non-extractable key per
   * namespace, kept in IndexedDB). Purge deletes the key first.
   * @default false
   */
  encrypt?: boolean;
  /**
   * For sites with their own worker: make the request to send from the stored
   * copy, e.g. add a fresh token. Called for every attempt made from the store
   * (a replay, or a first attempt that waited its turn behind others); not for
   * a first attempt that goes straight out with the page's own headers.
   * @example
   * beforeReplay: async (request, { namespace }) => {
   *   const headers = new Headers(request.headers);
   *   headers.set('Authorization', `Bearer ${await tokenFor(namespace)}`);
   *   return new Request(request, { headers });
   * }
   */
  beforeReplay?: (request: Request, context: { id: string; namespace: string }) => Request | Promise<Request>;
}

export type ResolvedOptions = Required<Omit<OutboxWorkerOptions, 'beforeReplay'>> & Pick<OutboxWorkerOptions, 'beforeReplay'>;

export const DEFAULT_OPTIONS: ResolvedOptions = Object.freeze({
  apiPaths: Object.freeze(['/api/chat']),
  queueName: 'outbox',
  retentionMinutes: 24 * 60,
  timeoutMs: 10_000,
  maxBodyBytes: 1024 * 1024,
  backgroundSync: true,
  retryBaseMs: 1_000,
  retryMaxMs: 30_000,
  secretHeaders: Object.freeze(['authorization', 'cookie']),
  encrypt: false,
});


/** Fills in defaults and rejects values that would make the outbox misbehave quietly. */
export function normalizeOptions(options: OutboxWorkerOptions = {}): ResolvedOptions {
  const apiPaths = options.apiPaths ?? DEFAULT_OPTIONS.apiPaths;
  if (apiPaths.length === 0) throw new TypeError(`outbox: option 'apiPaths' must name at least one path`);
  for (const path of apiPaths) {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new TypeError(`outbox: each of 'apiPaths' must start with '/', got ${JSON.stringify(path)}`);
    }
  }
  const queueName = options.queueName ?? DEFAULT_OPTIONS.queueName;
  if (typeof queueName !== 'string' || queueName === '') {
    throw new TypeError(`outbox: option 'queueName' must be a non-empty string`);
  }
  const resolved: ResolvedOptions = {
    apiPaths: [...apiPaths],
    queueName,
    retentionMinutes: positiveOption('retentionMinutes', options.retentionMinutes ?? DEFAULT_OPTIONS.retentionMinutes),
    timeoutMs: positiveOption('timeoutMs', options.timeoutMs ?? DEFAULT_OPTIONS.timeoutMs),
    maxBodyBytes: positiveOption('maxBodyBytes', options.maxBodyBytes ?? DEFAULT_OPTIONS.maxBodyBytes),
    backgroundSync: options.backgroundSync ?? DEFAULT_OPTIONS.backgroundSync,
    retryBaseMs: positiveOption('retryBaseMs', options.retryBaseMs ?? DEFAULT_OPTIONS.retryBaseMs),
    retryMaxMs: positiveOption('retryMaxMs', options.retryMaxMs ?? DEFAULT_OPTIONS.retryMaxMs),
    secretHeaders: (options.secretHeaders ?? DEFAULT_OPTIONS.secretHeaders).map((name) => name.toLowerCase()),
    encrypt: options.encrypt ?? DEFAULT_OPTIONS.encrypt,
  };
  if (options.beforeReplay !== undefined) {
    if (typeof options.beforeReplay !== 'function') throw new TypeError(`outbox: option 'beforeReplay' must be a function`);
    resolved.beforeReplay = options.beforeReplay;
  }
  if (resolved.retryMaxMs < resolved.retryBaseMs) {
    throw new TypeError(`outbox: 'retryMaxMs' (${resolved.retryMaxMs}) must not be below 'retryBaseMs' (${resolved.retryBaseMs})`);
  }
  return resolved;
}

/**
 * Options of the ready-made worker, from its registration URL:
 * `/sw.js?api=/api/chat&api=/api/other&retention=1440&timeout=10000&maxBody=1048576&sync=0&queue=outbox&retryBase=1000&retryMax=30000&encrypt=1&secretHeaders=authorization,cookie`.
 */
export function optionsFromQuery(query: URLSearchParams): OutboxWorkerOptions {
  const options: OutboxWorkerOptions = {};
  const number = (key: string): number | undefined => {
    const raw = query.get(key);
    return raw === null ? undefined : Number(raw);
  };
  const api = query.getAll('api');
  if (api.length > 0) options.apiPaths = api;
  const queue = query.get('queue');
  if (queue !== null) options.queueName = queue;
  const fields: Array<[string, 'retentionMinutes' | 'timeoutMs' | 'maxBodyBytes' | 'retryBaseMs' | 'retryMaxMs']> = [
    ['retention', 'retentionMinutes'],
    ['timeout', 'timeoutMs'],
    ['maxBody', 'maxBodyBytes'],
    ['retryBase', 'retryBaseMs'],
    ['retryMax', 'retryMaxMs'],
  ];
  for (const [key, field] of fields) {
    const value = number(key);
    if (value !== undefined) options[field] = value;
  }
  const flag = (key: string): boolean | undefined => {
    const raw = query.get(key);
    return raw === null ? undefined : !['0', 'false', 'off'].includes(raw);
  };
  const sync = flag('sync');
  if (sync !== undefined) options.backgroundSync = sync;
  const encrypt = flag('encrypt');
  if (encrypt !== undefined) options.encrypt = encrypt;
  const secretHeaders = query.get('secretHeaders');
  if (secretHeaders !== null) options.secretHeaders = secretHeaders.split(',').map((name) => name.trim()).filter(Boolean);
  return options;
}
