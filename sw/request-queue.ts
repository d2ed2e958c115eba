/**
 * The queued requests, in Workbox's own store: database `workbox-background-sync`,
 * version 3, object store `requests` (auto-increment `id`), index `queueName`.
 *
 * Why not `Queue.shiftRequest()`/`replayRequests()`: they delete an entry before
 * sending it (a worker stopped mid-send loses it) and drop entries older than
 * `maxRetentionTime` without a word. We read the head without removing it and
 * delete only after the server answered. The schema and upgrade below are
 * Workbox 7's (`workbox-background-sync/src/lib/QueueDb.ts`) to the letter:
 * whichever of us opens the database first creates it, and opening it with any
 * other version would break every queue on the origin.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { StorableRequest } from 'workbox-background-sync';

const DB_NAME = 'workbox-background-sync';
const DB_VERSION = 3;
const STORE = 'requests';
const QUEUE_NAME_INDEX = 'queueName';

/**
 * What we add to each Workbox entry. `v` lets a later version migrate; the
 * fields after `createdAtMs` are optional, so records of every version read.
 */
export interface EntryMetadata {
  v: 1;
  id: string;
  createdAtMs: number;
  /** The owner; absent or `''` for a site without accounts. */
  namespace?: string;
  /** Secret headers the page sent and that were not stored: replay needs credentials. */
  strippedHeaders?: string[];
  /** Set when the body is encrypted (keys.ts). */
  iv?: Uint8Array<ArrayBuffer>;
}

export interface QueueEntry {
  /** Workbox's auto-increment key: FIFO order. */
  id: number;
  queueName: string;
  timestamp: number;
  requestData: ConstructorParameters<typeof StorableRequest>[0];
  metadata?: Partial<EntryMetadata>;
}

interface QueueSchema extends DBSchema {
  requests: {
    key: number;
    value: QueueEntry;
    indexes: { queueName: string };
  };
}

export class RequestQueue {
  readonly name: string;
  #db: Promise<IDBPDatabase<QueueSchema>> | undefined;

  constructor(name: string) {
    this.name = name;
  }

  #open(): Promise<IDBPDatabase<QueueSchema>> {
    this.#db ??= openDB<QueueSchema>(DB_NAME, DB_VERSION, {
      upgrade(db, oldVersion) {
        // Workbox 7's upgrade, unchanged (see the file comment).
        if (oldVersion > 0 && oldVersion < DB_VERSION && db.objectStoreNames.contains(STORE)) {
          db.deleteObjectStore(STORE);
        }
        const store = db.createObjectStore(STORE, { autoIncrement: true, keyPath: 'id' });
        store.createIndex(QUEUE_NAME_INDEX, QUEUE_NAME_INDEX, { unique: false });
      },
      // Another tab's worker version may hold it open; a blocked open must not hang forever.
      blocking: () => this.close(),
    }).catch((error: unknown) => {
      this.#db = undefined;
      throw error;
    });
    return this.#db;
  }

  close(): void {
    const db = this.#db;
    this.#db = undefined;
    void db?.then((d) => d.close(), () => undefined);
  }

  /** Stores the request at the tail; resolves to its entry id once the transaction committed. */
  async push(requestData: QueueEntry['requestData'], metadata: EntryMetadata): Promise<number> {
    const db = await this.#open();
    const entry = { queueName: this.name, timestamp: metadata.createdAtMs, requestData, metadata };
    // `add` without an id: the store's key generator keeps FIFO order.
    return db.add(STORE, entry as QueueEntry);
  }

  /**
   * The oldest `count` entries after the entry `afterId` (from the start when
   * absent), without removing them. Read by primary key so a drain that skips
   * entries (another user's, see sessions.ts) moves on instead of reading them again.
   */
  async head(count: number, afterId?: number): Promise<QueueEntry[]> {
    const db = await this.#open();
    if (afterId === undefined) return db.getAllFromIndex(STORE, QUEUE_NAME_INDEX, IDBKeyRange.only(this.name), count);
    const entries: QueueEntry[] = [];
    let cursor = await db.transaction(STORE).store.openCursor(IDBKeyRange.lowerBound(afterId, true));
    while (cursor && entries.length < count) {
      if (cursor.value.queueName === this.name) entries.push(cursor.value);
      cursor = await cursor.continue();
    }
    return entries;
  }

  async all(): Promise<QueueEntry[]> {
    const db = await this.#open();
    return db.getAllFromIndex(STORE, QUEUE_NAME_INDEX, IDBKeyRange.only(this.name));
  }

  async count(): Promise<number> {
    const db = await this.#open();
    return db.countFromIndex(STORE, QUEUE_NAME_INDEX, IDBKeyRange.only(this.name));
  }

  async remove(entryId: number): Promise<void> {
    const db = await this.#open();
    await db.delete(STORE, entryId);
  }

  /** The entry holding message `id`, if queued. O(n): for user actions, not the drain. */
  async find(id: string): Promise<QueueEntry | undefined> {
    const entries = await this.all();
    return entries.find((entry) => messageIdOf(entry) === id);
  }
}

/**
 * The message id of an entry. Entries from before outbox (a plain Workbox
 * `BackgroundSyncPlugin` on the same queue name) have no metadata: their
 * `Idempotency-Key` header is the id when they have one; otherwise the entry's
 * own key gives a stable one, and the drain sends it as the header.
 */
export function messageIdOf(entry: QueueEntry): string {
  const id = entry.metadata?.id;
  if (typeof id === 'string' && id !== '') return id;
  const headers = entry.requestData?.headers as Record<string, unknown> | undefined;
  const key = headers?.['idempotency-key'];
  return typeof key === 'string' && key !== '' ? key : `workbox-entry-${entry.id}`;
}

export function namespaceOf(entry: QueueEntry): string {
  const namespace = entry.metadata?.namespace;
  return typeof namespace === 'string' ? namespace : '';
}

export function createdAtOf(entry: QueueEntry): number {
  const createdAtMs = entry.metadata?.createdAtMs;
  return typeof createdAtMs === 'number' ? createdAtMs : entry.timestamp;
}

/** Why an entry cannot be replayed, or `undefined` when it can. */
export function entryProblem(entry: QueueEntry): string | undefined {
  const data = entry.requestData as { url?: unknown; method?: unknown; headers?: unknown } | undefined;
  if (typeof data !== 'object' || data === null) return 'the record has no request';
  if (typeof data.url !== 'string') return 'the stored request has no URL';
  try {
    new URL(data.url);
  } catch {
    return `the stored request's URL is not valid`;
  }
  if (typeof data.headers !== 'object' || data.headers === null) return 'the stored request has no headers';
  return undefined;
}
