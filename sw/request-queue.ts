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
 *
 * One entry per message id: a second push of an id already queued (a page
 * that re-sends with its own `Idempotency-Key`, or the client's one re-send
 * after a worker stopped once its store committed) joins the first. Workbox's
 * schema has no index on our id and may not get one (the version is fixed),
 * so the ids are indexed in memory, read once per worker life. Duplicates
 * that another worker version wrote meanwhile are mended on read: the drain
 * sends an id once per pass, and discard, retry and purge act on every entry
 * of an id.
 */
import type { StorableRequest } from 'workbox-background-sync';
import { LazyDB } from './idb.js';

const DB_VERSION = 3;
const STORE = 'requests';
const QUEUE_NAME_INDEX = 'queueName';
/** Entries read at a time when the ids are indexed (bodies and all: IndexedDB reads whole values). */
const INDEX_PAGE_SIZE = 64;

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
  /** Sent with `{ after }`: the id of the message it waits for (dependents.ts). */
  after?: string;
  /** Set when the body is encrypted (keys.ts). */
  iv?: Uint8Array<ArrayBuffer>;
  /** Its lane (lanes.ts); absent for the default lane `''`, and on entries from before lanes. */
  lane?: string;
}

export interface QueueEntry {
  /** Workbox's auto-increment key: FIFO order. */
  id: number;
  queueName: string;
  timestamp: number;
  requestData: ConstructorParameters<typeof StorableRequest>[0];
  metadata?: Partial<EntryMetadata>;
  /**
   * Set (in memory only) on a stand-in for a record the browser cannot read
   * (a lost blob file): why. It has no request, so the drain sets it aside as
   * `corrupt` and goes on; its own id is unknown, so it shows as `workbox-entry-<key>`.
   */
  unreadable?: string;
}

export class RequestQueue {
  readonly name: string;
  readonly #db = new LazyDB('workbox-background-sync', DB_VERSION, (db, oldVersion) => {
    // Workbox 7's upgrade, unchanged (see the file comment).
    if (oldVersion > 0 && oldVersion < DB_VERSION && db.objectStoreNames.contains(STORE)) {
      db.deleteObjectStore(STORE);
    }
    db.createObjectStore(STORE, { autoIncrement: true, keyPath: 'id' }).createIndex(QUEUE_NAME_INDEX, QUEUE_NAME_INDEX, { unique: false });
  });
  /** Message id → entry id, for every entry this worker knows is stored; read once. */
  #ids: Promise<Map<string, number>> | undefined;
  /** Pushes on their way into the store, by message id: a second push of one joins it. */
  readonly #pushing = new Map<string, Promise<number>>();

  constructor(name: string, onLost?: () => void) {
    this.name = name;
    this.#db.onLost = () => {
      // What this worker knew was stored may be gone with the database.
      this.#ids = undefined;
      onLost?.();
    };
  }

  #index(): Promise<Map<string, number>> {
    this.#ids ??= this.#readIds().catch((error: unknown) => {
      this.#ids = undefined;
      throw error;
    });
    return this.#ids;
  }

  /** Read a page at a time: a long queue's bodies are never all in memory at once. */
  async #readIds(): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    let afterId: number | undefined;
    for (;;) {
      const batch = await this.head(INDEX_PAGE_SIZE, afterId);
      if (batch.length === 0) return ids;
      for (const entry of batch) {
        afterId = entry.id;
        if (entry.queueName === this.name && !ids.has(messageIdOf(entry))) ids.set(messageIdOf(entry), entry.id);
      }
    }
  }

  /**
   * Stores the request at the tail, unless its id is already queued; resolves
   * to the entry id (the new one, or the one already holding the id) once the transaction committed with `durability: 'strict'` (the page's 202
   * means the message is on disk, not in the operating system's write cache).
   */
  async push(requestData: QueueEntry['requestData'], metadata: EntryMetadata): Promise<number> {
    const ids = await this.#index();
    const known = ids.get(metadata.id);
    if (known !== undefined) {
      // Another version of the worker may have delivered it meanwhile: join only an entry that is there.
      if ((await this.#db.run(STORE, 'readonly', (store) => store.getKey(known))) !== undefined) return known;
      ids.delete(metadata.id);
    }
    const pending = this.#pushing.get(metadata.id);
    if (pending) return pending;
    const entry = { queueName: this.name, timestamp: metadata.createdAtMs, requestData, metadata };
    // `add` without an id: the store's key generator keeps FIFO order.
    const adding = this.#db.run(STORE, 'readwrite', (store) => store.add(entry) as IDBRequest<number>, 'strict');
    this.#pushing.set(metadata.id, adding);
    try {
      const entryId = await adding;
      ids.set(metadata.id, entryId);
      return entryId;
    } finally {
      this.#pushing.delete(metadata.id);
    }
  }

  /**
   * The next `count` entries of the store after the entry `afterId` (from the
   * start when absent), without removing them, in key order: FIFO. Read by
   * primary key, so a drain that skips entries (another user's, see
   * sessions.ts) moves on instead of reading them again. Entries of other
   * queues on the origin are in it too: the caller skips them, and stops only
   * when this returns none.
   */
  async head(count: number, afterId?: number): Promise<QueueEntry[]> {
    const entries = await this.#db.getAllSalvaged(STORE, undefined, afterId === undefined ? null : IDBKeyRange.lowerBound(afterId, true), count, this.#standIn);
    if (!entries.some((entry) => entry.unreadable !== undefined)) return entries;
    // An unreadable record of another queue on the origin is not ours to set aside.
    const ours = new Set(await this.#db.run(STORE, 'readonly', (store) => store.index(QUEUE_NAME_INDEX).getAllKeys(IDBKeyRange.only(this.name))));
    return entries.filter((entry) => entry.unreadable === undefined || ours.has(entry.id));
  }

  /** This queue's entries, oldest first; the oldest `count` when given. */
  all(count?: number): Promise<QueueEntry[]> {
    return this.#db.getAllSalvaged(STORE, QUEUE_NAME_INDEX, IDBKeyRange.only(this.name), count, this.#standIn);
  }

  readonly #standIn = (key: IDBValidKey, error: unknown): QueueEntry => ({
    id: key as number,
    queueName: this.name,
    timestamp: Date.now(),
    requestData: undefined as unknown as QueueEntry['requestData'],
    unreadable: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });

  count(): Promise<number> {
    return this.#db.run(STORE, 'readonly', (store) => store.index(QUEUE_NAME_INDEX).count(IDBKeyRange.only(this.name)));
  }

  async remove(entry: QueueEntry): Promise<void> {
    await this.#db.run(STORE, 'readwrite', (store) => store.delete(entry.id));
    const ids = await this.#ids;
    const id = messageIdOf(entry);
    if (ids?.get(id) === entry.id) ids.delete(id);
  }

  /** Writes an entry back under its own key, so in its place in the queue (an edited body). */
  async replace(entry: QueueEntry): Promise<void> {
    await this.#db.run(STORE, 'readwrite', (store) => store.put(entry), 'strict');
  }

  /** Every entry holding message `id` (more than one only in a store an older version wrote). O(n): for user actions. */
  async find(id: string): Promise<QueueEntry[]> {
    const entries = await this.all();
    return entries.filter((entry) => messageIdOf(entry) === id);
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

/** The lane an entry is ordered in: `''` (the default lane) for entries without one, as every entry before lanes. */
export function laneOf(entry: Pick<QueueEntry, 'metadata'>): string {
  const lane = entry.metadata?.lane;
  return typeof lane === 'string' ? lane : '';
}

export function createdAtOf(entry: QueueEntry): number {
  const createdAtMs = entry.metadata?.createdAtMs;
  return typeof createdAtMs === 'number' ? createdAtMs : entry.timestamp;
}

/**
 * The stored request as a `Request`: what Workbox's `StorableRequest.toRequest()`
 * does, without loading the class (the stored fields are `RequestInit`'s, and a
 * navigation cannot be replayed as one). Throws when the record cannot make one.
 */
export function toRequest(requestData: QueueEntry['requestData']): Request {
  return new Request(requestData.url, { ...requestData, mode: requestData.mode === 'navigate' ? 'same-origin' : requestData.mode } as RequestInit);
}

/** Why an entry cannot be replayed, or `undefined` when it can. */
export function entryProblem(entry: QueueEntry): string | undefined {
  if (entry.unreadable !== undefined) return `the browser cannot read this record (${entry.unreadable})`;
  const data = entry.requestData as { url?: unknown; method?: unknown; headers?: unknown } | undefined;
  if (typeof data !== 'object' || data === null) return 'no request';
  if (typeof data.url !== 'string') return 'no URL';
  try {
    new URL(data.url);
  } catch {
    return 'bad URL';
  }
  if (typeof data.headers !== 'object' || data.headers === null) return 'no headers';
  return undefined;
}
