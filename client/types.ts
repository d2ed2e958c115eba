/**
 * What a page hands the outbox and gets back: the types of `send`, its
 * options, and the events a listener hears. Kept apart from the `Outbox`
 * class so the store, the React hook and the devtools panel import types
 * without the class.
 */
import type { Reason, StatusUpdate } from '../sw/protocol/statuses.js';

/** What `send` resolves to. It never rejects for a network failure. `T`: the body's type. */
export interface SendResult<T = Body> {
  id: string;
  /**
   * `delivered`: the server took it. `relayed`: a relay (`outbox-relay`)
   * holds it, off this device; the API does not have it yet. `queued`: kept,
   * will be sent. `failed`: see `reason`.
   */
  status: 'delivered' | 'relayed' | 'queued' | 'failed';
  reason?: Reason;
  detail?: string;
  /** The server's own answer, when it gave one (delivered, or refused). */
  response?: Response;
  /**
   * The body that was passed to `send`, handed back when the outbox kept
   * nothing (reasons `storage`, `too-large`, `no-worker`, `network`), so the
   * page can keep the text for the user (e.g. put it back in the input).
   */
  body?: T;
}


/** What a listener receives: a status change, or the news that a message was discarded. */
export type OutboxEvent =
  | StatusUpdate
  // `reason` and `detail` are declared (never set) so `event.reason` reads on the whole union.
  | { id: string; namespace: string; status: 'discarded'; attempts: number; updatedAtMs: number; reason?: undefined; detail?: undefined };
export type OutboxListener = (event: OutboxEvent) => void;

/**
 * What `send` takes: a plain object or array (sent as JSON; `object` so that a
 * site's own interfaces fit), or anything `fetch` takes as a body.
 */
export type Body = BodyInit | object | null | undefined;

/** `send`'s options: a `fetch` init, and `after`, the id of a message this one waits for (docs/attachments.md). */
export interface SendInit extends RequestInit {
  /**
   * Send this message only once message `after` is delivered, with the
   * placeholders of its JSON body (`{ $outbox: after, path: 'url' }`) replaced
   * by values of that message's JSON answer. If that message fails, this one
   * fails with reason `parent-failed`; retrying it retries this one too;
   * discarding it discards this one.
   */
  after?: string;
}
