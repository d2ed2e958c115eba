// The relay's options: typed once, defaults in one constant, units in names.

import { CLUSTER_URL } from '../redis.js';

/**
 * @typedef {object} RelayOptions
 * @property {string} upstream base URL of the chat API, e.g. `http://127.0.0.1:9000`
 * @property {string} [listen] `host:port` to listen on. Default: '127.0.0.1:8787'
 * @property {string} [store] `sqlite:<file>`, `redis://host:port/db`, or `redis-cluster://host:port,host:port` (Redis Cluster, Valkey). Default: 'sqlite:./relay.db'
 * @property {string[]} [paths] path prefixes whose POSTs are relayed. Default: ['/api/chat']
 * @property {string} [laneHeader] a request header that splits lanes (a conversation or user id); none: one lane
 * @property {string} [healthPath] the relay's own health URL. Default: '/api/health'
 * @property {string} [lookupPath] a path the relay answers "did this key arrive?" on (`GET` with the
 *   `Idempotency-Key` and the same credentials as the POST: held, completed with the upstream's status,
 *   failed, or unknown; lookup.js). Never forwarded. None: no lookup (the path is proxied like any other).
 * @property {number} [passThroughWaitMs] how long a client of an empty lane waits for the upstream's own answer. Default: 2000
 * @property {number} [timeoutMs] one forwarding attempt's deadline. Default: 10000
 * @property {number} [retryBaseMs] first backoff step. Default: 500
 * @property {number} [retryMaxMs] backoff cap. Default: 30000
 * @property {number} [leaseMs] a lane's lease (Redis): how soon another relay takes over from a dead one. Default: 5000
 * @property {number} [pollMs] how often due lanes are looked for. Default: 200
 * @property {number} [maxBodyBytes] largest POST body relayed; larger gets 413. Default: 1048576
 * @property {number} [ttlSeconds] how long a delivered message's key is remembered. Default: 86400
 * @property {string} [adminToken] /outbox/* needs `Authorization: Bearer <token>`. Without one, /outbox/* answers only while the relay listens on loopback; otherwise it refuses (403) and a warning is logged at start.
 * @property {string} [secretKeyFile] a file holding a 32-byte key, base64 (`openssl rand -base64 32`): credential headers are stored sealed with it (AES-256-GCM). Or `secretKeyBase64` (the CLI reads OUTBOX_RELAY_SECRET_KEY). Without one they are stored in clear, with a warning at start.
 * @property {string} [secretKeyBase64] the same key, base64, inline
 * @property {string[]} [secretHeaders] more credential headers (lower-case) to redact in listings and logs, besides Authorization, Cookie, Proxy-Authorization, X-Api-Key and any X-…-Token/Key/Secret. Default: []
 * @property {string[]} [scopeHeaders] a message's id and lane are scoped by a hash of these request headers (the client's credentials): two clients' keys and lanes never meet. Default: ['authorization', 'cookie']
 * @property {number} [setAsideAfterTries] a head that fails this many times while the upstream answers other requests becomes a dead letter (the browser worker's rule). Default: 5
 * @property {number} [maxQueuedPerClient] queued messages one client (scope) may have; more get 429 with Retry-After. Default: 1000
 * @property {number} [maxQueuedPerLane] queued messages in one lane; more get 429. Default: 10000
 * @property {number} [maxLanes] lanes with queued messages at once; a message for a new lane past it gets 429. Default: 10000
 * @property {number} [headersTimeoutMs] a client must send its request headers within this (slow clients hold sockets). Default: 10000
 * @property {number} [requestTimeoutMs] a client must send its whole request within this. Default: 30000
 * @property {number} [deadLetterTtlSeconds] how long a dead letter is kept (listed, retryable) before it is deleted. Default: 604800 (7 days)
 * @property {(message: { id: string, lane: string, method: string, url: string, dropped: string[] }) => Promise<[string, string][] | undefined> | [string, string][] | undefined} [credentialsFor]
 *   a dead letter keeps no credentials; when one is retried, this supplies fresh ones (e.g. a service token for `Authorization`).
 *   Without it, or when it returns nothing, the message is sent without them (logged `credentials-dropped`). Programmatic only.
 * @property {string} [redisPrefix] Redis key prefix, to share one Redis between relays of different apps. Default: 'outbox-relay:'
 * @property {'debug' | 'info' | 'warn' | 'error'} [logLevel] Default: 'info'
 */

/** @type {Readonly<Omit<ResolvedRelayOptions, 'upstream' | 'host' | 'port'>>} */
export const RELAY_DEFAULTS = {
  listen: '127.0.0.1:8787',
  store: 'sqlite:./relay.db',
  paths: ['/api/chat'],
  laneHeader: undefined,
  healthPath: '/api/health',
  passThroughWaitMs: 2_000,
  timeoutMs: 10_000,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  leaseMs: 5_000,
  pollMs: 200,
  maxBodyBytes: 1024 * 1024,
  ttlSeconds: 24 * 60 * 60,
  deadLetterTtlSeconds: 7 * 24 * 60 * 60,
  credentialsFor: undefined,
  adminToken: undefined,
  secretKeyFile: undefined,
  secretKeyBase64: undefined,
  secretHeaders: [],
  scopeHeaders: ['authorization', 'cookie'],
  setAsideAfterTries: 5,
  maxQueuedPerClient: 1000,
  maxQueuedPerLane: 10_000,
  maxLanes: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  redisPrefix: 'outbox-relay:',
  logLevel: 'info',
};

export class RelayOptionError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'RelayOptionError';
  }
}

const NUMBERS_LIST = /** @type {const} */ (['passThroughWaitMs', 'timeoutMs', 'retryBaseMs', 'retryMaxMs', 'leaseMs', 'pollMs', 'maxBodyBytes', 'ttlSeconds', 'deadLetterTtlSeconds', 'setAsideAfterTries', 'maxQueuedPerClient', 'maxQueuedPerLane', 'maxLanes', 'headersTimeoutMs', 'requestTimeoutMs']);
const NUMBERS = /** @type {readonly (typeof NUMBERS_LIST)[number][]} */ (NUMBERS_LIST);

/** True for an address only this machine can reach. */
export const isLoopbackHost = (/** @type {string} */ host) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/**
 * The options with their defaults: every one set, but those that mean "none" when absent.
 * @typedef {Required<Omit<RelayOptions, 'laneHeader' | 'adminToken' | 'secretKeyFile' | 'secretKeyBase64' | 'credentialsFor' | 'lookupPath'>>
 *   & Pick<RelayOptions, 'laneHeader' | 'adminToken' | 'secretKeyFile' | 'secretKeyBase64' | 'credentialsFor' | 'lookupPath'>
 *   & { host: string, port: number }} ResolvedRelayOptions
 */

/** @param {RelayOptions} options @returns {ResolvedRelayOptions} */
export function normalizeRelayOptions(options) {
  /** @type {Omit<ResolvedRelayOptions, 'host' | 'port'> & Record<string, unknown>} */
  const opts = { ...RELAY_DEFAULTS, upstream: '', ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  let upstream;
  try {
    upstream = new URL(opts.upstream);
  } catch {
    throw new RelayOptionError(`--upstream must be a URL like http://127.0.0.1:9000; got ${JSON.stringify(opts.upstream)}`);
  }
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:') throw new RelayOptionError(`--upstream must be http: or https:; got ${upstream.protocol}`);
  const listen = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(opts.listen);
  if (!listen || Number(listen[3]) > 65535) throw new RelayOptionError(`--listen must be host:port like 127.0.0.1:8787; got ${JSON.stringify(opts.listen)}`);
  if (!/^sqlite:.+/.test(opts.store) && !/^rediss?:\/\//.test(opts.store) && !CLUSTER_URL.test(opts.store)) {
    throw new RelayOptionError(`--store must be sqlite:<file>, redis://host:port/db or redis-cluster://host:port,host:port; got ${JSON.stringify(opts.store)}`);
  }
  /** @type {string[]} */
  const paths = [opts.paths].flat();
  for (const p of paths) if (typeof p !== 'string' || !p.startsWith('/')) throw new RelayOptionError(`--path must start with /; got ${JSON.stringify(p)}`);
  const { lookupPath } = opts;
  if (lookupPath !== undefined && (typeof lookupPath !== 'string' || !lookupPath.startsWith('/') || lookupPath.startsWith('/outbox/') || lookupPath === opts.healthPath || paths.some((p) => lookupPath === p || lookupPath.startsWith(p.endsWith('/') ? p : `${p}/`)))) {
    throw new RelayOptionError(`--lookup-path must be a path of its own (not under --path, /outbox/ or the health path); got ${JSON.stringify(lookupPath)}`);
  }
  for (const name of NUMBERS) {
    const value = Number(opts[name]);
    if (!(Number.isFinite(value) && value > 0)) throw new RelayOptionError(`${name} must be a number > 0; got ${JSON.stringify(opts[name])}`);
    opts[name] = value;
  }
  if (opts.retryMaxMs < opts.retryBaseMs) throw new RelayOptionError(`retryMaxMs (${opts.retryMaxMs}) must be at least retryBaseMs (${opts.retryBaseMs})`);
  return {
    ...opts,
    upstream: upstream.href.replace(/\/$/, ''),
    paths,
    laneHeader: opts.laneHeader?.toLowerCase(),
    secretHeaders: [opts.secretHeaders].flat().map((name) => String(name).toLowerCase()),
    scopeHeaders: [opts.scopeHeaders].flat().map((name) => String(name).toLowerCase()),
    host: /** @type {string} */ (listen[1] ?? listen[2]),
    port: Number(listen[3]),
  };
}
