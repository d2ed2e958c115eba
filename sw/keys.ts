/**
 * Encryption at rest (opt-in): one AES-GCM key per namespace, generated in the
 * worker as non-extractable, so no script can read it out; IndexedDB keeps the
 * `CryptoKey` object itself (it is structured-cloneable), not its bytes.
 * Purge deletes the key first: whatever is left behind is unreadable.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

interface KeySchema extends DBSchema {
  keys: { key: string; value: { namespace: string; key: CryptoKey } };
}

/** What an encrypted body needs to be read again. */
export interface Sealed {
  iv: Uint8Array<ArrayBuffer>;
}

export class KeyStore {
  #db: Promise<IDBPDatabase<KeySchema>> | undefined;
  /** Keys in memory for this worker's life: a key lookup is not on every message's path. */
  readonly #cache = new Map<string, Promise<CryptoKey>>();

  #open(): Promise<IDBPDatabase<KeySchema>> {
    this.#db ??= openDB<KeySchema>('outbox-keys', 1, {
      upgrade(db) {
        db.createObjectStore('keys', { keyPath: 'namespace' });
      },
    });
    return this.#db;
  }

  #key(namespace: string, create: boolean): Promise<CryptoKey | undefined> {
    const cached = this.#cache.get(namespace);
    if (cached) return cached;
    const loading = (async () => {
      const db = await this.#open();
      const found = await db.get('keys', namespace);
      if (found) return found.key;
      if (!create) return undefined;
      const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      // `add`, not `put`: if another worker made one meanwhile, its key wins and ours is dropped.
      try {
        await db.add('keys', { namespace, key });
        return key;
      } catch {
        return (await db.get('keys', namespace))!.key;
      }
    })();
    if (create) {
      this.#cache.set(namespace, loading as Promise<CryptoKey>);
      loading.catch(() => this.#cache.delete(namespace));
    }
    return loading;
  }

  async seal(namespace: string, plain: ArrayBuffer): Promise<{ body: ArrayBuffer; sealed: Sealed }> {
    const key = (await this.#key(namespace, true))!;
    // A fresh 96-bit IV per message, as AES-GCM requires (NIST SP 800-38D §8.2).
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const body = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain);
    return { body, sealed: { iv } };
  }

  /** The plain body, or `undefined` when the key is gone (purged): the record is unreadable by design. */
  async open(namespace: string, body: ArrayBuffer, sealed: Sealed): Promise<ArrayBuffer | undefined> {
    const key = await this.#key(namespace, false);
    if (!key) return undefined;
    try {
      return await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv }, key, body);
    } catch {
      return undefined;
    }
  }

  async forget(namespace: string): Promise<void> {
    this.#cache.delete(namespace);
    const db = await this.#open();
    await db.delete('keys', namespace);
  }
}
