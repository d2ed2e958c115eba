/**
 * The ledger: what the queue itself cannot say about a message.
 *
 * A queued message's truth is its entry in Workbox's store (request-queue.ts);
 * the ledger adds, for a message that was tried, how often and why it failed,
 * and it keeps every `failed` message (with its request, so `retry` can queue
 * it again). Delivered messages are in neither.
 *
 * Crash safety comes from the order of writes, not from a transaction across
 * the two databases (IndexedDB has none):
 * - fail: ledger `failed` first, then the queue entry is removed. A stop in
 *   between leaves both; the drain sees `failed` and finishes the removal
 *   without sending.
 * - deliver: the queue entry is removed first, then the ledger note. A stop in
 *   between leaves a `queued` note with no entry; it is ignored (and cleaned).
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Reason } from './protocol/messages.js';
import type { QueueEntry } from './request-queue.js';

export interface LedgerRecord {
  id: string;
  queueName: string;
  status: 'queued' | 'failed';
  attempts: number;
  reason?: Reason;
  detail?: string;
  url: string;
  createdAtMs: number;
  updatedAtMs: number;
  /** The owner; absent on records of a site without accounts. */
  namespace?: string;
  /** Kept with `failed` records only: what `retry` puts back in the queue, with its metadata (iv, stripped headers). */
  requestData?: QueueEntry['requestData'];
  metadata?: QueueEntry['metadata'];
}

interface LedgerSchema extends DBSchema {
  messages: {
    key: string;
    value: LedgerRecord;
    indexes: { queueName: string };
  };
}

const DB_NAME = 'outbox';
/** Bump with a migration in `upgrade` when the record shape changes. */
const DB_VERSION = 1;

export class Ledger {
  readonly #queueName: string;
  #db: Promise<IDBPDatabase<LedgerSchema>> | undefined;

  constructor(queueName: string) {
    this.#queueName = queueName;
  }

  #open(): Promise<IDBPDatabase<LedgerSchema>> {
    this.#db ??= openDB<LedgerSchema>(DB_NAME, DB_VERSION, {
      upgrade(db) {
        const store = db.createObjectStore('messages', { keyPath: 'id' });
        store.createIndex('queueName', 'queueName', { unique: false });
      },
      blocking: () => {
        // A newer worker wants to migrate: let it.
        const db = this.#db;
        this.#db = undefined;
        void db?.then((d) => d.close(), () => undefined);
      },
    }).catch((error: unknown) => {
      this.#db = undefined;
      throw error;
    });
    return this.#db;
  }

  async get(id: string): Promise<LedgerRecord | undefined> {
    const db = await this.#open();
    const record = await db.get('messages', id);
    // Ids are per origin; a record of another queue is not ours to act on.
    return record?.queueName === this.#queueName ? record : undefined;
  }

  async put(record: LedgerRecord): Promise<void> {
    const db = await this.#open();
    await db.put('messages', record);
  }

  async delete(id: string): Promise<void> {
    const db = await this.#open();
    await db.delete('messages', id);
  }

  /** Every record of this queue, keyed by id. */
  async all(): Promise<Map<string, LedgerRecord>> {
    const db = await this.#open();
    const records = await db.getAllFromIndex('messages', 'queueName', IDBKeyRange.only(this.#queueName));
    return new Map(records.map((record) => [record.id, record]));
  }
}
