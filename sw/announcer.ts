/**
 * Tells every window of the origin what changed. A `BroadcastChannel` reaches
 * all of them (not only the sender's tab) with one post, where
 * `clients.matchAll()` would cost a round trip per change on the hot path.
 */
import {
  PROTOCOL,
  channelName,
  type Broadcast,
  type DrainReport,
  type StatusUpdate,
} from './protocol/messages.js';

export class Announcer {
  readonly channel: string;
  readonly #port: BroadcastChannel;

  constructor(queueName: string) {
    this.channel = channelName(queueName);
    this.#port = new BroadcastChannel(this.channel);
  }

  #post(message: Broadcast): void {
    this.#port.postMessage(message);
  }

  status(update: Omit<StatusUpdate, 'updatedAtMs'> & { updatedAtMs?: number }): void {
    // Optional fields left out rather than sent as undefined: listeners see clean objects.
    const clean: StatusUpdate = {
      id: update.id,
      namespace: update.namespace,
      status: update.status,
      attempts: update.attempts,
      updatedAtMs: update.updatedAtMs ?? Date.now(),
    };
    if (update.reason !== undefined) clean.reason = update.reason;
    if (update.detail !== undefined) clean.detail = update.detail;
    this.#post({ protocol: PROTOCOL, type: 'status', update: clean });
  }

  removed(id: string, namespace: string): void {
    this.#post({ protocol: PROTOCOL, type: 'removed', id, namespace });
  }

  started(): void {
    this.#post({ protocol: PROTOCOL, type: 'started' });
  }

  drain(report: DrainReport): void {
    this.#post({ protocol: PROTOCOL, type: 'drain', report });
  }
}
