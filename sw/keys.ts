/**
 * Encryption at rest (opt-in): one AES-GCM key per namespace, generated in the
 * worker as non-extractable, so no script can read it out; IndexedDB keeps the
 * `CryptoKey` object itself (it is structured-cloneable), not its bytes.
 * Purge deletes the key first: whatever is left behind is unreadable.
 */
import { LazyDB } from './idb.js';

interface KeyRecord {
  namespace: string;
  key: CryptoKey;
}

/** What an encrypted body needs to be read again. */
export interface Sealed {
  iv: Uint8Array<ArrayBuffer>;
}

export class KeyStore {
  readonly db = new LazyDB('outbox-keys', 1, (db) => {
    db.createObjectStore('keys', { keyPath: 'namespace' });
  });
  /** Keys in memory for this worker's life: a key lookup is not on every message's path. */
  readonly cache = new Map<string, Promise<CryptoKey>>();

  async forget(namespace: string): Promise<void> {
    this.cache.delete(namespace);
    await this.db.run('keys', 'readwrite', (store) => store.delete(namespace));
  }
}

function keyOf(keys: KeyStore, namespace: string, create: boolean): Promise<CryptoKey | undefined> {
  const cached = keys.cache.get(namespace);
  if (cached) return cached;
  const loading = (async () => {
    const read = (): Promise<KeyRecord | undefined> => keys.db.run('keys', 'readonly', (store) => store.get(namespace));
    const found = await read();
    if (found) return found.key;
    if (!create) return undefined;
    const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    // `add`, not `put`: if another worker made one meanwhile, its key wins and ours is dropped.
    try {
      await keys.db.run('keys', 'readwrite', (store) => store.add({ namespace, key }));
      return key;
    } catch {
      return (await read())!.key;
    }
  })();
  if (create) {
    keys.cache.set(namespace, loading as Promise<CryptoKey>);
    loading.catch(() => keys.cache.delete(namespace));
  }
  return loading;
}

export async function seal(keys: KeyStore, namespace: string, plain: ArrayBuffer): Promise<{ body: ArrayBuffer; sealed: Sealed }> {
  const key = (await keyOf(keys, namespace, true))!;
  // A fresh 96-bit IV per message, as AES-GCM requires (NIST SP 800-38D §8.2).
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const body = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, plain);
  return { body, sealed: { iv } };
}

/** The plain body, or `undefined` when the key is gone (purged): the record is unreadable by design. */
export async function open(keys: KeyStore, namespace: string, body: ArrayBuffer, sealed: Sealed): Promise<ArrayBuffer | undefined> {
  const key = await keyOf(keys, namespace, false);
  if (!key) return undefined;
  try {
    return await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv }, key, body);
  } catch {
    return undefined;
  }
}
