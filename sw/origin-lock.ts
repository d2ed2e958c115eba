/**
 * One thing at a time on the queue, across every worker of the origin.
 *
 * Workbox has no lock: a `sync` event and a replay asked for on `online`
 * running together send duplicates and break order. Within one worker a
 * promise chain orders the jobs; across workers (an old and a new version
 * overlap during an update, and both may drain) a Web Lock does. Without Web
 * Locks (Safari before 15.4) the chain alone still covers the common case of
 * one worker.
 */
export class OriginLock {
  readonly #lockName: string;
  #tail: Promise<unknown> = Promise.resolve();
  #waiting = 0;

  constructor(lockName: string) {
    this.#lockName = lockName;
  }

  /** Jobs queued behind the one running now; a long job checks this to yield. */
  get waiting(): number {
    return this.#waiting;
  }

  run<T>(job: () => Promise<T>): Promise<T> {
    this.#waiting += 1;
    const locks = 'locks' in self.navigator ? self.navigator.locks : undefined;
    const start = (): Promise<T> => {
      this.#waiting -= 1;
      return locks ? (locks.request(this.#lockName, job) as Promise<T>) : job();
    };
    const result = this.#tail.then(start, start);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
