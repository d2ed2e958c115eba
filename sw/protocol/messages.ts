/**
 * The wire format between the service worker and the pages it controls.
 *
 * Both `sw/` and `client/` import this module, so the two sides cannot drift
 * (the comlink way: one discriminated union per direction, on `type`). It holds
 * types and tiny pure helpers only: the client bundle must not pull in Workbox.
 */

import type { BypassedBy } from './warnings.js';

/** Marks our messages; anything else posted to the worker is ignored. */
export const PROTOCOL = 'outbox/1';

/** Header the worker puts on answers it makes itself (queued, or failed before the network). */
export const OUTBOX_STATUS_HEADER = 'Outbox-Status';
/** The message id on the wire; the server deduplicates on it. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/**
 * The page's namespace (its signed-in user), from the client to the worker
 * only: the worker removes it before storing or sending.
 */
export const NAMESPACE_HEADER = 'Outbox-Namespace';

/**
 * `send(url, body, { after: id })`: the message waits until message `id` is
 * delivered, and its JSON body's placeholders take values from that message's
 * answer (dependents.ts). Client to worker only: removed before storing.
 */
export const AFTER_HEADER = 'Outbox-After';

/**
 * A header value must be Latin-1 and loses its leading and trailing spaces
 * (Fetch's "normalize"), while a namespace is any string a site uses as a
 * user id (`'山田'`, `' alice '`). Percent-encoding (UTF-8) carries it whole.
 */
export function namespaceToHeader(namespace: string): string {
  return encodeURIComponent(namespace);
}

/** The namespace a page sent; a value that is not percent-encoding (an older page's plain Latin-1 name) is read as it is. */
export function namespaceFromHeader(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * `relayed`: a relay (`outbox-relay`) answered with its own 202, marked by
 * `Outbox-Relay`: the message is off this device, on the relay's disk, and
 * not yet known to be at the API.
 */
export type MessageStatus = 'queued' | 'sending' | 'relayed' | 'delivered' | 'failed';

/** The header `outbox-relay` puts on its own 202 (`Outbox-Relay: queued`): it holds the message; the API does not have it yet. */
export const RELAY_HEADER = 'Outbox-Relay';

/**
 * Why a message is not delivered (yet).
 * - `network`, `timeout`, `http-408|425|429|5xx`: transient, on a queued message.
 * - `http-4xx`: the server refused it; retrying the same body will not help.
 * - `expired`: older than the retention time; kept, with its body, for retry or discard.
 * - `storage`: IndexedDB refused the write (full, or failing); nothing was kept.
 * - `too-large`: over the body limit; nothing was kept.
 * - `corrupt`: a stored record the worker cannot read.
 * - `auth`: on a queued message, waiting for credentials (none handed over, or the server said 401).
 * - `no-worker`: no service worker controls the page, so nothing was kept.
 * - `http-3xx`: the server redirected elsewhere (not to the site itself); `detail` says where.
 * - `hook`: on a queued message, `beforeReplay` threw; `detail` carries its error.
 * - `unreachable`: failed at the network level on every try while the API answered; set aside.
 * - `invalid`: the request cannot be taken as a message as it is (an `Idempotency-Key` or a
 *   namespace over 200 characters, an `after` naming no message the outbox holds); nothing was
 *   kept, the page still has the body.
 * - `parent-failed`: the message it was sent `after` failed (or was relayed, or its answer lacks a
 *   placeholder's value; `detail` says which); retrying the parent retries it too.
 */
export type Reason =
  | 'network'
  | 'timeout'
  | `http-${number}`
  | 'http-3xx'
  | 'hook'
  | 'unreachable'
  | 'expired'
  | 'storage'
  | 'too-large'
  | 'corrupt'
  | 'invalid'
  | 'auth'
  | 'parent-failed'
  | 'no-worker';

/** Failures after which the outbox holds no copy of the message: the page's copy is the only one. */
export const NOTHING_KEPT: ReadonlySet<string> = new Set(['storage', 'too-large', 'invalid', 'no-worker', 'network']);

/** One change of one message, as every window of the origin receives it. */
export interface StatusUpdate {
  id: string;
  /** The namespace (user) the message belongs to; `''` for a site without accounts. */
  namespace: string;
  /** Its lane (conversation, worker option `lane`), in which it is sent in order; absent for the default lane. */
  lane?: string;
  status: MessageStatus;
  /** Attempts that reached the point of a network request. */
  attempts: number;
  reason?: Reason;
  /** Human words from the server (its JSON `error` or `message`), when it gave any. */
  detail?: string;
  /**
   * Set on the `queued` update of a failed message the user retried: it was
   * queued again at the tail, so it is delivered after every message sent
   * before the retry (also those sent after it first), not at its first place.
   */
  requeued?: true;
  /** Set on the update that follows an `edit`: the body changed (read it again with `list()`). */
  edited?: true;
  updatedAtMs: number;
}

/** A message not yet delivered, as `list()` returns it. */
/** `T`: the type of the parsed JSON body, when the site knows it (`outbox.list<ChatMessage>()`). */
export interface PendingMessage<T = unknown> extends StatusUpdate {
  url: string;
  createdAtMs: number;
  /** The body decoded as text, for text and JSON bodies (so a page can show it after a reload). */
  bodyText?: string;
  /** The body parsed, for a JSON body (`Content-Type` containing `json`) that parses; otherwise absent. */
  body?: T;
  /** On a queued message whose lane backs off after a failure: why, and until when. */
  blockedBy?: LaneBlock;
  /** Sent with `{ after }`: the message it waits for (dependents.ts). */
  after?: string;
}

/** Why a lane waits: the failure of its head (`http-429`, `http-503`, `network`…), and when the worker tries it again by itself. */
export interface LaneBlock {
  reason: Reason;
  /** Epoch ms; a trigger that is evidence the server is back (online, the health probe, a flush) may try sooner, never before a `Retry-After`. */
  untilMs: number;
}

/** What started a drain; `online`, `probe` and `sync` are evidence that the server may be back. */
export type DrainTrigger = 'sync' | 'online' | 'probe' | 'start' | 'timer' | 'submit' | 'manual';

/** Why a drain ended. */
export type DrainStop =
  | 'empty' //        nothing left
  | 'transient' //    the head failed transiently; order is kept, so the drain stops there
  | 'backoff' //      too soon after a failure (or before Retry-After) to try again
  | 'offline' //      the worker believes it has no network
  | 'waiting'; //     all that is left waits for its user's page or credentials

export interface DrainReport {
  trigger: DrainTrigger;
  delivered: number;
  failed: number;
  /** Messages still queued when the drain ended. */
  remaining: number;
  stoppedBy: DrainStop;
  /** When the worker will try again by itself (epoch ms), if it stopped early. */
  retryAtMs?: number;
}

/** Page → worker. Each is sent with a `MessagePort` that receives one `Reply`. */
export type Command =
  | { type: 'hello' }
  | { type: 'list'; namespace: string }
  | { type: 'retry'; id: string; namespace: string }
  | { type: 'discard'; id: string; namespace: string }
  /** A new body for a message not yet delivered; `contentType` replaces the message's. */
  | { type: 'edit'; id: string; namespace: string; body: ArrayBuffer; contentType: string }
  | { type: 'cancel'; id: string; namespace: string }
  | { type: 'session'; namespace: string; credentials?: SessionCredentials }
  | { type: 'purge'; namespace: string }
  | { type: 'flush'; trigger: 'online' | 'probe' | 'manual' }
  | { type: 'claim' }
  /** Switches the worker's decision log on or off at run time (`debug` keeps it on); see sw/trace.ts. */
  | { type: 'trace'; on: boolean };

/**
 * What became of an edit or a cancel:
 * - `done`: changed (or removed) before the server could have it; every tab is told.
 * - `in-flight`: it is on the wire, or its last try got no answer (the server
 *   may hold it): nothing was changed, the message goes on as it was.
 * - `too-late`: it is not held any more (delivered, or discarded).
 */
export type ChangeOutcome = 'done' | 'in-flight' | 'too-late';

export interface ChangeResult {
  id: string;
  outcome: ChangeOutcome;
}

/** Credentials a page hands the worker; held in the worker's memory only, never stored. */
export interface SessionCredentials {
  /** The `Authorization` header to replay this namespace's messages with. */
  authorization?: string;
}

export interface Hello {
  protocol: typeof PROTOCOL;
  queueName: string;
  /** The `BroadcastChannel` name on which status updates arrive. */
  channel: string;
  /**
   * The same-origin paths whose POSTs the worker takes (its `api`): `send()`
   * refuses any other URL, which no worker would keep. Absent from workers
   * older than this field.
   */
  apiPaths?: readonly string[];
  /**
   * The worker asks the relay about `relayed` messages until they are
   * delivered (it has a `lookup`): the page keeps probing while any is
   * relayed, since each probe's drain asks. Absent from older workers.
   */
  followsRelayed?: boolean;
}

/** What each command answers with. */
export interface CommandResults {
  hello: Hello;
  list: PendingMessage[];
  retry: StatusUpdate;
  discard: { id: string };
  edit: ChangeResult;
  cancel: ChangeResult;
  session: { namespace: string };
  purge: { namespace: string; removed: number };
  flush: DrainReport;
  claim: { claimed: boolean };
  trace: { tracing: boolean };
}

export interface Envelope<C extends Command = Command> {
  protocol: typeof PROTOCOL;
  command: C;
}

/** An error as it crosses `postMessage`; rebuilt into the named class on the other side. */
export interface SerializedError {
  name: string;
  message: string;
}

export type Reply<T = unknown> = { ok: true; value: T } | { ok: false; error: SerializedError };

/** Worker → every window, on `BroadcastChannel(channel)`. */
export type Broadcast =
  | { protocol: typeof PROTOCOL; type: 'status'; update: StatusUpdate }
  | { protocol: typeof PROTOCOL; type: 'removed'; id: string; namespace: string }
  /** A worker started: its memory (sessions, credentials) is empty, so pages declare theirs again. */
  | { protocol: typeof PROTOCOL; type: 'started' }
  | { protocol: typeof PROTOCOL; type: 'drain'; report: DrainReport }
  /** One line of the worker's decision log, while it is on (a `trace` command or `debug`). `atMs`: epoch ms. */
  | { protocol: typeof PROTOCOL; type: 'trace'; id: string; decision: string; atMs: number }
  /**
   * The browser closed the queue's database by itself (site data cleared, or
   * an I/O error such as a full disk). The worker opens it again for what
   * comes next; what it held may be gone, so each page checks the messages it
   * was waiting for against `list()`.
   */
  | { protocol: typeof PROTOCOL; type: 'store-lost' }
  /** A chat API POST went elsewhere (warnings.ts): it is not queued. `text` says so to a developer. */
  | { protocol: typeof PROTOCOL; type: 'bypassed'; url: string; by: BypassedBy; text: string };

/** The body of an answer the worker makes itself instead of the server's. */
export interface OutboxAnswer {
  status: 'queued' | 'failed';
  id: string;
  reason?: Reason;
  detail?: string;
}

export function channelName(queueName: string): string {
  return `outbox:${queueName}`;
}

const FLUSH_TRIGGERS: ReadonlySet<string> = new Set(['online', 'probe', 'manual']);
/** Longest id we accept: a UUID is 36; keys chosen by a site may be longer, not unbounded. */
export const MAX_ID_LENGTH = 200;

function isNamespace(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ID_LENGTH;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

/** Why `id` cannot be a message id (the `Idempotency-Key` the worker sends), or `undefined` when it can. */
export function idProblem(id: string): string | undefined {
  return id.length > 0 && id.length <= MAX_ID_LENGTH ? undefined : `an Idempotency-Key must be 1 to ${MAX_ID_LENGTH} characters; this one has ${id.length}`;
}

/** Why `namespace` cannot be one, or `undefined` when it can. Any string of up to 200 characters can. */
export function namespaceProblem(namespace: unknown): string | undefined {
  return isNamespace(namespace) ? undefined : `a namespace must be a string of at most ${MAX_ID_LENGTH} characters`;
}

/** True when a POST to `url` (absolute) is one the worker takes: same origin, under one of `apiPaths`. */
export function isUnderApi(url: URL, origin: string, apiPaths: readonly string[]): boolean {
  if (url.origin !== origin) return false;
  return apiPaths.some((path) => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`));
}

/**
 * Why `data` is not a well-formed envelope, or `undefined` when it is.
 * The worker answers malformed commands with this text instead of acting on them.
 */
export function envelopeProblem(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return 'a message must be an object';
  const { protocol, command } = data as Partial<Envelope>;
  if (protocol !== PROTOCOL) return `protocol must be '${PROTOCOL}'`;
  if (typeof command !== 'object' || command === null) return 'command must be an object';
  const namespace = (command as { namespace?: unknown }).namespace;
  switch (command.type) {
    case 'hello':
    case 'claim':
      return undefined;
    case 'list':
    case 'purge':
      return isNamespace(namespace) ? undefined : `${command.type} needs a namespace string`;
    case 'session': {
      if (!isNamespace(namespace)) return 'session needs a namespace string';
      const credentials = command.credentials as unknown;
      if (credentials === undefined) return undefined;
      const authorization = (credentials as { authorization?: unknown } | null)?.authorization;
      return typeof credentials === 'object' && credentials !== null && (authorization === undefined || typeof authorization === 'string')
        ? undefined
        : 'session credentials must be { authorization?: string }';
    }
    case 'edit':
      if (!(command.body instanceof ArrayBuffer)) return 'edit needs a body (ArrayBuffer)';
      if (typeof command.contentType !== 'string' || command.contentType.length > MAX_ID_LENGTH) return `edit needs a contentType of at most ${MAX_ID_LENGTH} characters`;
      return targetProblem(command.type, command.id, namespace);
    case 'cancel':
    case 'retry':
    case 'discard':
      return targetProblem(command.type, command.id, namespace);
    case 'trace':
      return typeof command.on === 'boolean' ? undefined : 'trace needs on: true or false';
    case 'flush':
      return FLUSH_TRIGGERS.has(command.trigger) ? undefined : 'flush needs a trigger: online, probe or manual';
    default:
      return `unknown command type ${JSON.stringify(String((command as { type?: unknown }).type)).slice(0, 60)}`;
  }
}

/** A command about one message needs its id and the page's namespace. */
function targetProblem(type: string, id: unknown, namespace: unknown): string | undefined {
  if (!isNamespace(namespace)) return `${type} needs a namespace string`;
  return isId(id) ? undefined : `${type} needs an id of 1 to ${MAX_ID_LENGTH} characters`;
}

/** True for data that claims to be ours (so it deserves an answer, even an error). */
export function isOutboxMessage(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { protocol?: unknown }).protocol === PROTOCOL;
}
