/**
 * What a page follows: its listeners, the ids it waits on, and the way to the
 * API (`outbox.connection`). The health probe runs while an id waits or while
 * the API is down, and stops once neither holds.
 */
import type { Reason } from '../sw/protocol/statuses.js';
import { Connection, isNotAnswered } from './connection.js';
import { HealthProbe, type ProbeSchedule } from './health.js';
import type { OutboxEvent, OutboxListener } from './types.js';

export class Following {
  readonly connection = new Connection();
  readonly probe: HealthProbe | undefined;
  /** Statuses that wait: `relayed` too when the worker follows it to `delivered`. */
  readonly #pending: ReadonlySet<string>;
  readonly #listeners = new Set<OutboxListener>();
  /** Ids this page knows to be waiting (cleared by the owner when the user changes). */
  readonly waiting = new Set<string>();

  /** `onApiBack`: the health URL answered 2xx (the owner asks the worker to drain). */
  constructor(followsRelayed: boolean, health: { url: string; schedule: ProbeSchedule } | undefined, onApiBack: () => void) {
    this.#pending = new Set(followsRelayed ? ['queued', 'sending', 'relayed'] : ['queued', 'sending']);
    if (health === undefined) return;
    this.probe = new HealthProbe(health.url, health.schedule, (status) => {
      if (status === undefined || status >= 500) this.connection.observe({ notAnswered: status === undefined ? 'network' : `http-${status}` });
      else this.connection.observe('answered');
      if (status !== undefined && status < 300) onApiBack();
      this.#probeWhileNeeded();
    });
  }

  subscribe(listener: OutboxListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** What a message's status says about the API: an HTTP answer that is not a 5xx, or none. */
  learn(status: OutboxEvent['status'], reason: Reason | undefined): void {
    if (reason !== undefined && isNotAnswered(reason)) this.connection.observe({ notAnswered: reason });
    else if (status === 'delivered' || status === 'relayed' || (status === 'failed' && reason?.startsWith('http-'))) this.connection.observe('answered');
  }

  /** Starts the probe for a message that waits (queued, or relayed and followed by the worker). */
  await(id: string, status: string): void {
    if (!this.#pending.has(status)) return;
    this.waiting.add(id);
    this.probe?.start();
  }

  emit(event: OutboxEvent): void {
    if (this.#pending.has(event.status)) this.waiting.add(event.id);
    else this.waiting.delete(event.id);
    this.#probeWhileNeeded();
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        // One listener that throws must not keep the others from hearing.
        reportError(error);
      }
    }
  }

  close(): void {
    this.probe?.stop();
    this.#listeners.clear();
  }

  /** The probe runs while a message waits, or until the API answers again. */
  #probeWhileNeeded(): void {
    if (this.waiting.size === 0 && this.connection.get().state === 'online') this.probe?.stop();
  }
}
