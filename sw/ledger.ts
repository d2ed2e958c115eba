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
 * - deliver: the queue entry is removed first, then the ledger record. A stop in
 *   between leaves a `queued` record with no entry; it is ignored (`list()` shows
 *   queued messages from the queue, and only failed ones from the ledger).
 */
import { LazyDB } from './idb.js';
import { wallNowMs } from './timing.js';
import type { Reason } from './protocol/statuses.js';
import type { QueueEntry } from './request-queue.js';

export interface LedgerRecord {
  id: string;
  queueName: string;
  /** `relayed`: an outbox-relay holds it, and the worker asks the relay until it is delivered (relayed.ts). */
  status: 'queued' | 'failed' | 'relayed' | 'delivered';
  attempts: number;
  reason?: Reason;
  detail?: string;
  url: string;
  createdAtMs: number;
  updatedAtMs: number;
  /** The owner; absent on records of a site without accounts. */
  namespace?: string;
  /** Kept with `failed` and `relayed` records only: what `retry` puts back in the queue, with its metadata (iv, stripped headers). */
  requestData?: QueueEntry['requestData'];
  metadata?: QueueEntry['metadata'];
  /** The entry's place in the queue when it was set aside: `list()` keeps queue order. */
  seq?: number;
  /** Network failures while the API answered (a dead head, see settle.ts), and since when (epoch ms). */
  strikes?: number;
  firstStrikeAtMs?: number;
  /**
   * Written before a send when the worker can ask the server (`lookupUrl`),
   * and replaced by the answer's record: still there, the request went out and
   * its answer never came back (the worker was stopped mid-request).
   */
  onWireAtMs?: number;
  /**
   * A try went out and its answer never came back (network, timeout): the
   * server may hold the message. Kept until it is delivered, whatever later
   * tries were answered, so edit and cancel say `in-flight` (changes.ts).
   */
  answerLost?: boolean;
  /**
   * A message others were sent `after` (dependents.ts): when it is delivered
   * its record stays, `delivered`, with its JSON `answer`, until they are sent.
   */
  keepAnswer?: boolean;
  answer?: unknown;
  /** On `relayed` records: how often the relay was asked, and when to ask again (epoch ms). */
  checks?: number;
  nextCheckAtMs?: number;
}

const STORE = 'messages';

/** Bump with a migration in the upgrade when the record shape changes. */
const DB_VERSION = 1;

export class Ledger {
  readonly #queueName: string;
  readonly #db = new LazyDB('outbox', DB_VERSION, (db) => {
    db.createObjectStore(STORE, { keyPath: 'id' }).createIndex('queueName', 'queueName', { unique: false });
  });

  constructor(queueName: string) {
    this.#queueName = queueName;
  }

  async get(id: string): Promise<LedgerRecord | undefined> {
    const record = await this.#db.run(STORE, 'readonly', (store) => store.get(id) as IDBRequest<LedgerRecord | undefined>);
    // Ids are per origin; a record of another queue is not ours to act on.
    return record?.queueName === this.#queueName ? record : undefined;
  }

  async put(record: LedgerRecord): Promise<void> {
    await this.#db.run(STORE, 'readwrite', (store) => store.put(record));
  }

  /**
   * Replaces a record, or deletes it (`undefined`), only while it is still
   * the one that was read (`expected`: same status and update time), in one
   * transaction: relayed.ts works beside `discard` and `purge`, and must not
   * bring back a record they removed meanwhile. Resolves with whether it did.
   */
  async replace(expected: LedgerRecord, next: LedgerRecord | undefined): Promise<boolean> {
    let replaced = false;
    await this.#db.run(STORE, 'readwrite', (store) => {
      const read = store.get(expected.id) as IDBRequest<LedgerRecord | undefined>;
      // A listener, not `onsuccess`: the runner sets that one to settle its promise.
      read.addEventListener('success', () => {
        const now = read.result;
        if (now?.status !== expected.status || now.updatedAtMs !== expected.updatedAtMs) return;
        if (next === undefined) store.delete(expected.id);
        else store.put(next);
        replaced = true;
      });
      return read;
    });
    return replaced;
  }

  async delete(id: string): Promise<void> {
    await this.#db.run(STORE, 'readwrite', (store) => store.delete(id));
  }

  /** Every record of this queue, keyed by id. */
  async all(): Promise<Map<string, LedgerRecord>> {
    const records = await this.#db.getAllSalvaged<LedgerRecord>(STORE, 'queueName', IDBKeyRange.only(this.#queueName), undefined, (key, error) => {
      // A record the browser cannot read (its stored body's blob file is gone): its key is the message id.
      const nowMs = wallNowMs();
      const detail = `the browser cannot read this record (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`;
      return { id: String(key), queueName: this.#queueName, status: 'failed', reason: 'corrupt', detail, attempts: 0, url: '', createdAtMs: nowMs, updatedAtMs: nowMs };
    });
    return new Map(records.map((record) => [record.id, record]));
  }
}

/** A try that ended so went out and got no answer back: the server may have stored the message. */
export function isLostAnswer(reason: Reason | undefined): boolean {
  return reason === 'network' || reason === 'timeout' || reason === 'unreachable';
}

/**
 * The server may hold this message: a try of it went out and no answer came
 * back, on the last try or any before (`answerLost`, kept), or one was written
 * down as on the wire and never settled (`lookup`: a worker stopped
 * mid-request). The lookup asks before sending such a message again
 * (send.ts); edit and cancel say `in-flight` (changes.ts).
 */
export function mayBeOnServer(record: LedgerRecord | undefined): boolean {
  return record !== undefined && (record.answerLost === true || record.onWireAtMs !== undefined || isLostAnswer(record.reason));
}
