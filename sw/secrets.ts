/**
 * Secret headers (`Authorization`, `Cookie`, option `secretHeaders`) of the
 * messages sent in this worker's life, by message id. Memory only: they are
 * never written to IndexedDB, and are gone when the browser stops the worker
 * (replay then uses the credentials a page of the namespace hands over).
 */
import { monotonicMs } from './timing.js';

interface Held {
  namespace: string;
  headers: Record<string, string>;
  /** When the page sent them (monotonic): compared with when credentials were handed over. */
  atMs: number;
}

export class HeldSecrets {
  readonly #held = new Map<string, Held>();

  hold(id: string, namespace: string, headers: Record<string, string>): void {
    this.#held.set(id, { namespace, headers, atMs: monotonicMs() });
  }

  get(id: string): Held | undefined {
    return this.#held.get(id);
  }

  drop(id: string): void {
    this.#held.delete(id);
  }

  /** A 401 or a purge: none of the namespace's held headers may be sent again. */
  dropNamespace(namespace: string): void {
    for (const [id, held] of this.#held) if (held.namespace === namespace) this.#held.delete(id);
  }
}
