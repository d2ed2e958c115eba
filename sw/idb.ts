/**
 * The one way the worker opens and uses its databases (the queue, the
 * ledger, the keys), on IndexedDB itself: the few calls we make did not need
 * the 3 KB of a wrapper library in a worker with a size budget.
 *
 * Opened lazily; closed when a newer version of the worker wants to upgrade
 * it (`versionchange`, so its open is not blocked); opened again on the next
 * use after a failure instead of keeping a rejected promise for good, and
 * after the browser closed the connection by itself: Chromium does so after
 * an I/O error (a full disk) and when the site's data is cleared, firing
 * `close`, and every later transaction on the old connection throws
 * `InvalidStateError`. A worker that kept it would answer 202 for messages
 * it never wrote (https://w3c.github.io/IndexedDB/#closing-connection).
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
  /** Told when the browser closed the connection: what was stored may be gone (site data cleared). */
  onLost: (() => void) | undefined;

  constructor(name: string, version: number, upgrade: (db: IDBDatabase, oldVersion: number) => void) {
    this.#name = name;
    this.#version = version;
    this.#upgrade = upgrade;
  }

  get(): Promise<IDBDatabase> {
    if (!this.#db) {
      const request = indexedDB.open(this.#name, this.#version);
      request.onupgradeneeded = (event) => this.#upgrade(request.result, event.oldVersion);
      const opening: Promise<IDBDatabase> = settled(request).then(
        (db) => {
          db.onversionchange = () => this.close();
          // Fired only when the browser closed it, never for our own close().
          db.onclose = () => {
            this.#forget(opening);
            this.onLost?.();
          };
          return db;
        },
        (error: unknown) => {
          this.#forget(opening);
          throw error;
        },
      );
      this.#db = opening;
    }
    return this.#db;
  }

  /** Drops a connection (if still the current one): the next use opens a new one. */
  #forget(connection: Promise<IDBDatabase>): void {
    if (this.#db === connection) this.#db = undefined;
  }

  /** A transaction on the current connection; on one the browser closed before we heard (`InvalidStateError`), on a new one. */
  async #transaction(store: string, mode: IDBTransactionMode, options: IDBTransactionOptions | undefined): Promise<IDBTransaction> {
    const connection = this.get();
    try {
      return (await connection).transaction(store, mode, options);
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'InvalidStateError')) throw error;
      this.#forget(connection);
      return (await this.get()).transaction(store, mode, options);
    }
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
    const tx = await this.#transaction(store, mode, durability && { durability });
    const result = settled(make(tx.objectStore(store)));
    if (mode === 'readonly') return result;
    const committed = new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onabort = () => reject(tx.error);
    });
    return (await Promise.all([result, committed]))[0];
  }

  /**
   * Records in one request (`getAll`), or, when that fails because one of them
   * cannot be read (Chromium: "data lost due to missing file", a value whose
   * blob file is gone from the profile), key by key: `getAll` fails whole, and
   * one damaged record must not hide every other. Each record that cannot be
   * read is replaced by what `unreadable` makes of its key (left out when it
   * returns `undefined`).
   */
  async getAllSalvaged<T>(
    store: string,
    index: string | undefined,
    range: IDBKeyRange | null,
    count: number | undefined,
    unreadable: (key: IDBValidKey, error: unknown) => T | undefined,
  ): Promise<T[]> {
    const source = (objectStore: IDBObjectStore): IDBObjectStore | IDBIndex => (index === undefined ? objectStore : objectStore.index(index));
    try {
      return await this.run(store, 'readonly', (objectStore) => source(objectStore).getAll(range, count) as IDBRequest<T[]>);
    } catch (error) {
      if (error instanceof DOMException && error.name === 'InvalidStateError') throw error;
      // Keys are readable without their values (an index's keys are the primary keys).
      const keys = await this.run(store, 'readonly', (objectStore) => source(objectStore).getAllKeys(range, count));
      const records: T[] = [];
      for (const key of keys) {
        try {
          const record = await this.run(store, 'readonly', (objectStore) => objectStore.get(key) as IDBRequest<T | undefined>);
          if (record !== undefined) records.push(record);
        } catch (readError) {
          const standIn = unreadable(key, readError);
          if (standIn !== undefined) records.push(standIn);
        }
      }
      return records;
    }
  }
}
