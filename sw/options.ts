/**
 * The worker's options: typed once, defaults in one constant, units in the names.
 */
import { OutboxConfigError } from './protocol/errors.js';
import { positiveOption } from '../shared/options.js';
import type { LaneRule } from './lanes.js';

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
   * versions of your worker, or queued messages stay behind. By default one
   * queue per registration scope: `outbox` for the root scope `/`,
   * `outbox:/app/` for a worker registered with scope `/app/` (see
   * `defaultQueueName`), so two apps on one origin never send each other's messages.
   * @default 'outbox' (root scope)
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
  /**
   * How the `Idempotency-Key` header carries the id. `'bare'`: the token
   * itself (`Idempotency-Key: 8e03978e-…`), what Stripe-style servers expect.
   * `'quoted'`: the IETF draft's Structured Field string
   * (`Idempotency-Key: "8e03978e-…"`, draft-ietf-httpapi-idempotency-key-header §2.1).
   * @default 'bare'
   */
  idempotencyKeyFormat?: 'bare' | 'quoted';
  /**
   * A message that fails at the network level while the API answers (the
   * page's health probe succeeds, or the server answered another message) is
   * set aside as `failed` / `unreachable` after this many such tries, so it
   * does not hold the queue behind it. A real outage (health failing too)
   * never counts.
   * @default 5
   */
  setAsideAfterTries?: number;
  /**
   * Or after this long since the first such try, whichever comes first (at least two tries).
   * @default 60000
   */
  setAsideAfterMs?: number;
  /**
   * The lane (conversation) a message is ordered in: a path pattern
   * (`'/api/chat/:conversation'`), a header name (`'Outbox-Lane'`), or a
   * function of the request. Order, backoff, `Retry-After` and setting a head
   * aside are per lane, and lanes are sent side by side (docs/lanes.md).
   * Unset: one lane for every message.
   * @example lane: (request) => new URL(request.url).searchParams.get('room') ?? undefined
   */
  lane?: LaneRule;
  /**
   * Lanes with a message on the wire at once (one message per lane).
   * @default 4
   */
  lanesAtOnce?: number;
  /**
   * A same-origin path the server answers "did this key arrive?" on
   * (`GET` with the `Idempotency-Key`, see lookup.ts and docs/server.md).
   * When set, the worker writes down that a message is on the wire before
   * each send (one IndexedDB write), and asks this path before sending again
   * a message whose answer was lost: a message the server stored is
   * delivered without a second copy, even on a server that does not
   * deduplicate. Unset: lost answers are re-sent with the same key, as always.
   */
  lookupUrl?: string;
  /**
   * Logs each decision about a message (queued because …, backing off until …,
   * sent, delivered, set aside) in the worker's console, with its id.
   * @default false
   */
  debug?: boolean;
}

export type ResolvedOptions = Required<Omit<OutboxWorkerOptions, 'beforeReplay' | 'lane' | 'lookupUrl'>> & Pick<OutboxWorkerOptions, 'beforeReplay' | 'lane' | 'lookupUrl'>;

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
  idempotencyKeyFormat: 'bare',
  setAsideAfterTries: 5,
  setAsideAfterMs: 60_000,
  lanesAtOnce: 4,
  debug: false,
});


/**
 * The queue a worker uses unless told otherwise: one per registration scope.
 * Two apps on one origin (`/a/` and `/b/`, each with its worker and its API)
 * would otherwise share one queue, and each would send the other's messages
 * with its own credentials and settings. The root scope keeps the name queues
 * had before this rule (`outbox`), so what an existing site queued is still read.
 */
export function defaultQueueName(registrationScope: string): string {
  const path = new URL(registrationScope).pathname;
  return path === '/' ? DEFAULT_OPTIONS.queueName : `${DEFAULT_OPTIONS.queueName}:${path}`;
}

/** The options that must be positive numbers. */
const POSITIVE = ['retentionMinutes', 'timeoutMs', 'maxBodyBytes', 'retryBaseMs', 'retryMaxMs', 'setAsideAfterTries', 'setAsideAfterMs', 'lanesAtOnce'] as const;

/** Fills in defaults and rejects values that would make the outbox misbehave quietly. */
export function normalizeOptions(options: OutboxWorkerOptions = {}): ResolvedOptions {
  const resolved = { ...DEFAULT_OPTIONS } as ResolvedOptions;
  // `undefined` means "the default", as `??` would have it; 0 and false are kept.
  for (const [key, value] of Object.entries(options)) if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  const problem = (words: string): OutboxConfigError => new OutboxConfigError(`outbox: option ${words}`);
  const { apiPaths, queueName, beforeReplay, idempotencyKeyFormat } = resolved;
  if (apiPaths.length === 0) throw problem(`'apiPaths' must name at least one path`);
  for (const path of apiPaths) {
    if (typeof path !== 'string' || !path.startsWith('/')) throw problem(`'apiPaths': each must start with '/', got ${JSON.stringify(path)}`);
  }
  if (typeof queueName !== 'string' || queueName === '') throw problem(`'queueName' must be a non-empty string`);
  const { lookupUrl } = resolved;
  if (lookupUrl !== undefined && (typeof lookupUrl !== 'string' || !lookupUrl.startsWith('/') || lookupUrl.startsWith('//'))) {
    throw problem(`'lookupUrl' must be a path of this origin starting with '/', got ${JSON.stringify(lookupUrl)}`);
  }
  for (const key of POSITIVE) positiveOption(key, resolved[key]);
  if (beforeReplay !== undefined && typeof beforeReplay !== 'function') throw problem(`'beforeReplay' must be a function`);
  if (idempotencyKeyFormat !== 'bare' && idempotencyKeyFormat !== 'quoted') {
    throw problem(`'idempotencyKeyFormat' must be 'bare' or 'quoted', got ${JSON.stringify(idempotencyKeyFormat)}`);
  }
  if (resolved.retryMaxMs < resolved.retryBaseMs) {
    throw problem(`'retryMaxMs' (${resolved.retryMaxMs}) must not be below 'retryBaseMs' (${resolved.retryBaseMs})`);
  }
  resolved.apiPaths = [...apiPaths];
  resolved.secretHeaders = resolved.secretHeaders.map((name) => name.toLowerCase());
  return resolved;
}

/**
 * Options of the ready-made worker, from its registration URL:
 * `/sw.js?api=/api/chat&api=/api/other&retention=1440&timeout=10000&maxBody=1048576&sync=0&queue=outbox&retryBase=1000&retryMax=30000&encrypt=1&secretHeaders=authorization,cookie&key=quoted&setAsideTries=5&setAsideMs=60000&lane=/api/chat/:conversation&lanesAtOnce=4&debug=1`.
 */
export function optionsFromQuery(query: URLSearchParams): OutboxWorkerOptions {
  const options: Record<string, unknown> = {};
  const api = query.getAll('api');
  if (api.length > 0) options.apiPaths = api;
  for (const [key, option, read] of QUERY_KEYS) {
    const raw = query.get(key);
    if (raw !== null) options[option] = read(raw, key);
  }
  for (const key of new Set(query.keys())) {
    if (KNOWN_KEYS.has(key)) continue;
    // A key one or two letters from a known one is a typo that would be ignored
    // in silence; any other (`v=2` to make the browser fetch a new version) is the site's own.
    const near = [...KNOWN_KEYS].find((known) => key.toLowerCase() === known.toLowerCase() || (key.length >= 4 && editDistance(key.toLowerCase(), known.toLowerCase()) <= 2));
    if (near !== undefined) throw new OutboxConfigError(`outbox: the worker's URL has '${key}=', which it does not know: did you mean '${near}'?`);
  }
  return options as OutboxWorkerOptions;
}

/** Query key → option, and how its text is read (a reader throws OutboxConfigError naming the key). */
const QUERY_KEYS: ReadonlyArray<[string, keyof OutboxWorkerOptions, (raw: string, key: string) => unknown]> = [
  ['queue', 'queueName', String],
  ['retention', 'retentionMinutes', count('minutes', '1440')],
  ['timeout', 'timeoutMs', count('milliseconds', '10000')],
  ['maxBody', 'maxBodyBytes', count('bytes', '1048576')],
  ['retryBase', 'retryBaseMs', count('milliseconds', '1000')],
  ['retryMax', 'retryMaxMs', count('milliseconds', '30000')],
  ['setAsideTries', 'setAsideAfterTries', count('tries', '5')],
  ['setAsideMs', 'setAsideAfterMs', count('milliseconds', '60000')],
  ['lane', 'lane', String],
  ['lanesAtOnce', 'lanesAtOnce', count('lanes', '4')],
  ['lookup', 'lookupUrl', String],
  ['sync', 'backgroundSync', flag],
  ['encrypt', 'encrypt', flag],
  ['debug', 'debug', flag],
  ['key', 'idempotencyKeyFormat', String],
  ['secretHeaders', 'secretHeaders', (raw) => raw.split(',').map((name) => name.trim()).filter(Boolean)],
];

/** Every key the ready-made worker reads: its own, and the app shell's (shell-options.ts). */
export const KNOWN_KEYS: ReadonlySet<string> = new Set(['api', 'shell', 'shellTimeout', ...QUERY_KEYS.map(([key]) => key)]);

/** A reader of a whole positive number, whose error says the unit and shows one. */
function count(unit: string, example: string): (raw: string, key: string) => number {
  return (raw, key) => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || value <= 0) {
      throw new OutboxConfigError(`outbox: ${key}=${raw} in the worker's URL: ${key} takes a number of ${unit} above 0, e.g. ${key}=${example}`);
    }
    return value;
  };
}

function flag(raw: string): boolean {
  return !['0', 'false', 'off'].includes(raw);
}

/** Levenshtein distance, for "did you mean" (keys are short). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
