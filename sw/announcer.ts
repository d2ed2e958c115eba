/**
 * Tells every window of the origin what changed. A `BroadcastChannel` reaches
 * all of them (not only the sender's tab) with one post, where
 * `clients.matchAll()` would cost a round trip per change on the hot path.
 */
import { type DrainReport, type StatusUpdate } from './protocol/statuses.js';
import { PROTOCOL, channelName, type Broadcast } from './protocol/messages.js';
import { wallNowMs } from './timing.js';

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

  status(update: Omit<StatusUpdate, 'updatedAtMs' | 'reason' | 'detail'> & { updatedAtMs?: number; reason?: StatusUpdate['reason'] | undefined; detail?: string | undefined }): void {
    // Optional fields left out rather than sent as undefined: listeners see clean objects.
    const clean = Object.fromEntries(Object.entries(update).filter(([, value]) => value !== undefined)) as unknown as StatusUpdate;
    clean.updatedAtMs ??= wallNowMs();
    this.#post({ protocol: PROTOCOL, type: 'status', update: clean });
  }

  removed(id: string, namespace: string): void {
    this.#post({ protocol: PROTOCOL, type: 'removed', id, namespace });
  }

  started(): void {
    this.#post({ protocol: PROTOCOL, type: 'started' });
  }

  /** The browser closed the queue's database by itself (site data cleared, or an I/O error): what it held may be gone. */
  storeLost(): void {
    this.#post({ protocol: PROTOCOL, type: 'store-lost' });
  }

  /** One line of the decision log (trace.ts), sent only while it is on. */
  trace(id: string, decision: string): void {
    this.#post({ protocol: PROTOCOL, type: 'trace', id, decision, atMs: wallNowMs() });
  }

  drain(report: DrainReport): void {
    this.#post({ protocol: PROTOCOL, type: 'drain', report });
  }
}
