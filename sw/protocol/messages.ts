/**
 * The wire format between the service worker and the pages it controls:
 * commands, their answers and the broadcasts (the request's headers and id
 * rules: http.ts; statuses and reasons: statuses.ts).
 *
 * Both `sw/` and `client/` import this module, so the two sides cannot drift
 * (the comlink way: one discriminated union per direction, on `type`). It holds
 * types and tiny pure helpers only: the client bundle must not pull in Workbox.
 */

import { isId, isNamespace, MAX_ID_LENGTH } from './http.js';
import type { DrainReport, PendingMessage, Reason, StatusUpdate } from './statuses.js';
import type { BypassedBy } from './warnings.js';

/** Marks our messages; anything else posted to the worker is ignored. */
export const PROTOCOL = 'outbox/1';

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
