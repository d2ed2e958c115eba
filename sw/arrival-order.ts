/**
 * Fetch events reach the worker in the order the page made its requests, but
 * their bodies finish reading in any order: a photo's `FormData` takes longer
 * than the caption sent right after it. The queue position (IndexedDB's key
 * generator) is taken when a store is issued, so without this a caption would
 * be stored, and sent, before its photo.
 *
 * A turn is taken synchronously, when the request arrives; the store of each
 * message is issued only once every earlier arrival has issued and settled
 * its own (or given up: refused, too large, unreadable).
 */
export class ArrivalOrder {
  #last: Promise<void> = Promise.resolve();

  /** Call before the first `await` of a fetch event's handling. `release` must be called on every path. */
  take(): { earlier: Promise<void>; release: () => void } {
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const earlier = this.#last;
    this.#last = mine;
    return { earlier, release };
  }
}
