/**
 * Who is signed in where. Each page tells the worker its namespace (the
 * signed-in user, or any key the site chooses) and, optionally, the
 * credentials to replay with. Credentials live in this worker's memory only:
 * never in IndexedDB, gone when the worker stops, handed over again by the
 * next page that talks to it.
 *
 * A namespace's messages are replayed only while a window of that namespace
 * is open, so a message queued by one user is never sent with the cookies of
 * the next user who signs in on the same browser.
 */
import { monotonicMs } from './timing.js';

export interface Credentials {
  /** The `Authorization` header value to replay with, e.g. `Bearer …`. */
  authorization?: string;
}

export class Sessions {
  /** Window client id → its namespace. */
  readonly #windows = new Map<string, string>();
  readonly #credentials = new Map<string, { credentials: Credentials; atMs: number }>();
  /** Namespaces whose server said 401: they wait for fresh credentials. */
  readonly #paused = new Set<string>();

  declare(clientId: string, namespace: string, credentials: Credentials | undefined): void {
    this.#windows.set(clientId, namespace);
    if (credentials) {
      // The time they were handed over decides against a message's own live
      // header (engine #prepare): a re-declaration of the same ones (worker
      // restart, 'auth' with nothing new) does not make them newer.
      const known = this.#credentials.get(namespace);
      const atMs = known !== undefined && known.credentials.authorization === credentials.authorization ? known.atMs : monotonicMs();
      this.#credentials.set(namespace, { credentials, atMs });
      this.#paused.delete(namespace);
    }
  }

  /** Forgets windows that closed; called before a drain decides who may be sent. */
  async prune(): Promise<void> {
    const open = await (self as unknown as ServiceWorkerGlobalScope).clients.matchAll({ type: 'window', includeUncontrolled: true });
    const ids = new Set(open.map((client) => client.id));
    for (const id of this.#windows.keys()) if (!ids.has(id)) this.#windows.delete(id);
  }

  /** The default namespace `''` (a site without accounts) is always present. */
  isPresent(namespace: string): boolean {
    if (namespace === '') return true;
    for (const owner of this.#windows.values()) if (owner === namespace) return true;
    return false;
  }

  credentialsOf(namespace: string): Credentials | undefined {
    return this.#credentials.get(namespace)?.credentials;
  }

  /** When the namespace's credentials were handed over (monotonic ms; -Infinity: none). */
  credentialsAtMs(namespace: string): number {
    return this.#credentials.get(namespace)?.atMs ?? -Infinity;
  }

  isPaused(namespace: string): boolean {
    return this.#paused.has(namespace);
  }

  /** A 401: the credentials we had are no good; wait for the page to hand new ones. */
  pause(namespace: string): void {
    this.#paused.add(namespace);
    this.#credentials.delete(namespace);
  }

  /**
   * A page of the namespace declared itself (a new page, a sign-in, new
   * credentials): worth one more try. A cookie-session site has no credentials
   * to hand over (the browser attaches the new cookie by itself), so waiting
   * for credentials would keep it paused for the worker's whole life.
   */
  resume(namespace: string): void {
    this.#paused.delete(namespace);
  }

  /** A person asked for delivery now: every paused namespace gets one more try. */
  resumeAll(): void {
    this.#paused.clear();
  }

  forget(namespace: string): void {
    this.#credentials.delete(namespace);
    this.#paused.delete(namespace);
  }
}
