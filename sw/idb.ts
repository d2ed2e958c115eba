/**
 * The one way the worker opens and uses its databases (the queue, the
 * ledger, the keys), on IndexedDB itself: the few calls we make did not need
 * the 3 KB of a wrapper library in a worker with a size budget.
 *
 * Opened lazily, once per worker life; closed when a newer version of the
 * worker wants to upgrade it (`versionchange`, so its open is not blocked);
 * opened again on the next use after a failure instead of keeping a rejected
 * promise for good.
 */

/** A request's result, or its error. */
export function settled<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export class LazyDB {
  readonly #name: string;
  readonly #version: number;
  readonly #upgrade: (db: IDBDatabase, oldVersion: number) => void;
  #db: Promise<IDBDatabase> | undefined;

  constructor(name: string, version: number, upgrade: (db: IDBDatabase, oldVersion: number) => void) {
    this.#name = name;
    this.#version = version;
    this.#upgrade = upgrade;
  }

  get(): Promise<IDBDatabase> {
    if (!this.#db) {
      const request = indexedDB.open(this.#name, this.#version);
      request.onupgradeneeded = (event) => this.#upgrade(request.result, event.oldVersion);
      this.#db = settled(request).then(
        (db) => {
          db.onversionchange = () => this.close();
          return db;
        },
        (error: unknown) => {
          this.#db = undefined;
          throw error;
        },
      );
    }
    return this.#db;
  }

  close(): void {
    const db = this.#db;
    this.#db = undefined;
    void db?.then((d) => d.close(), () => undefined);
  }

  /**
   * One request in a transaction of its own. A write resolves once the
   * transaction committed (a request's success is not yet durable), and
   * rejects with the transaction's error (a quota error shows there).
   */
  async run<T>(store: string, mode: IDBTransactionMode, make: (store: IDBObjectStore) => IDBRequest<T>, durability?: IDBTransactionDurability): Promise<T> {
    const tx = (await this.get()).transaction(store, mode, durability && { durability });
    const result = settled(make(tx.objectStore(store)));
    if (mode === 'readonly') return result;
    const committed = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onabort = () => reject(tx.error);
    });
    return (await Promise.all([result, committed]))[0];
  }
}
