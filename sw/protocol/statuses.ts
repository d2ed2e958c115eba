/**
 * A message's status and reason, as every page hears them, and what a drain
 * reports: the vocabulary of the status table in the README and
 * docs/statuses.md (a test checks both name exactly the `Reason` values).
 */

/**
 * `relayed`: a relay (`outbox-relay`) answered with its own 202, marked by
 * `Outbox-Relay`: the message is off this device, on the relay's disk, and
 * not yet known to be at the API.
 */
export type MessageStatus = 'queued' | 'sending' | 'relayed' | 'delivered' | 'failed';

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
