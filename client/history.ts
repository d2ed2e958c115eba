/**
 * History and pending as one list: the server's record of the conversation
 * merged with the outbox's messages not yet delivered, by id, ordered by the
 * sender's time. `import { MessageHistory, fetchHistory } from 'outbox/client/history'`
 * (dist/history.js; apart from dist/client.js, so a site that does not show a
 * history does not load it).
 *
 * What it guarantees, whatever order the news arrives in:
 * - one entry per id: the server's copy wins (a message the server stored is
 *   delivered, even while the outbox still retries it after a lost answer);
 * - a message stays in place from `sending` to `queued` to `delivered`: its
 *   local entry is kept until a server list that has it arrives, so it never
 *   vanishes between the outbox's `delivered` and the next refresh, and its
 *   time is the sender's on both sides, so it does not jump;
 * - an older status never overwrites a newer one, and `delivered` is final.
 */
import type { OutboxEvent } from './types.js';
import type { MessageStatus, PendingMessage, Reason } from '../sw/protocol/statuses.js';

/** This page's knowledge of one message the server may not have yet. */
export interface LocalMessage {
  id: string;
  status: MessageStatus;
  /** The sender's time, the list's order. */
  sentAtMs: number;
  attempts: number;
  reason?: Reason;
  detail?: string;
  /** The body as text (from `list()`, or what the page passed to `sent()`). */
  bodyText?: string;
  updatedAtMs: number;
}

export interface HistoryEntry<T> {
  id: string;
  /** `delivered` when the server has it; otherwise the outbox's latest word. */
  status: MessageStatus;
  sentAtMs: number;
  /** The server's record, when it has this message. */
  server?: T;
  /** What this page knows from the outbox (absent for messages only the server knows). */
  local?: LocalMessage;
}

export interface MessageHistoryOptions<T> {
  /** The server record's message id: the `Idempotency-Key` it was sent with. */
  idOf: (item: T) => string;
  /** The sender's time in the server's record (e.g. a `sentAtMs` field the page put in the body). */
  sentAtOf: (item: T) => number;
  /**
   * The sender's time of a message from `list()`. Give the same time the
   * server's record will carry, so the message does not move when delivered.
   * @default the worker's `createdAtMs`
   */
  sentAtOfPending?: (message: PendingMessage) => number;
}

/** At equal times, which word is further along. */
const RANK: Record<MessageStatus, number> = { sending: 0, queued: 0, failed: 1, relayed: 2, delivered: 3 };
/** `send()`'s answer against the events already heard (the demo's rule before this helper). */
const RESULT_RANK: Record<MessageStatus, number> = { queued: 0, sending: 1, failed: 2, relayed: 2, delivered: 2 };

/**
 * @example
 * const history = new MessageHistory({ idOf: (m) => m.key, sentAtOf: (m) => m.sentAtMs });
 * outbox.subscribe((event) => { history.update(event); render(history.entries()); });
 * history.setPending(await outbox.list());
 * history.setServer((await fetchHistory('/api/messages')).items);
 * render(history.entries());
 */
export class MessageHistory<T> {
  readonly #options: MessageHistoryOptions<T>;
  #server = new Map<string, T>();
  readonly #local = new Map<string, LocalMessage>();

  constructor(options: MessageHistoryOptions<T>) {
    if (typeof options?.idOf !== 'function' || typeof options.sentAtOf !== 'function') {
      throw new TypeError(`outbox: MessageHistory needs idOf(item) and sentAtOf(item) functions`);
    }
    this.#options = options;
  }

  /**
   * The server's record (the whole list, as the server gave it). Local entries
   * it contains are dropped: the server's copy stands for them from now on.
   */
  setServer(items: readonly T[]): void {
    const server = new Map<string, T>();
    for (const item of items) server.set(this.#options.idOf(item), item);
    this.#server = server;
    for (const id of this.#local.keys()) if (server.has(id)) this.#local.delete(id);
  }

  /** The outbox's pending messages (`outbox.list()`): added, or updated where newer. */
  setPending(messages: readonly PendingMessage[]): void {
    for (const message of messages) {
      const sentAtMs = this.#options.sentAtOfPending?.(message) ?? message.createdAtMs;
      const local: LocalMessage = { ...pick(message), sentAtMs };
      if (message.bodyText !== undefined) local.bodyText = message.bodyText;
      this.#merge(local, true);
    }
  }

  /**
   * A message this page has just sent, shown before any event about it
   * (`sending`). Use the id you send it with (`Idempotency-Key`).
   */
  sent(message: { id: string; sentAtMs: number; bodyText?: string }): void {
    this.#merge({ id: message.id, status: 'sending', attempts: 0, sentAtMs: message.sentAtMs, updatedAtMs: 0, ...(message.bodyText !== undefined ? { bodyText: message.bodyText } : {}) }, true);
  }

  /**
   * What `outbox.send()` resolved to. Events may have told more already (a
   * replay under way): the answer is taken only if it is as far along.
   */
  sendResult(result: { id: string; status: 'delivered' | 'relayed' | 'queued' | 'failed'; reason?: Reason; detail?: string }): void {
    const known = this.#local.get(result.id);
    if (this.#server.has(result.id) || known?.status === 'delivered') return;
    if (known !== undefined && known.updatedAtMs !== 0 && RESULT_RANK[result.status] < RESULT_RANK[known.status]) return;
    const next: LocalMessage = { id: result.id, status: result.status, attempts: known?.attempts ?? 0, sentAtMs: known?.sentAtMs ?? Date.now(), updatedAtMs: known?.updatedAtMs ?? 0 };
    if (result.reason !== undefined) next.reason = result.reason;
    if (result.detail !== undefined) next.detail = result.detail;
    if (known?.bodyText !== undefined) next.bodyText = known.bodyText;
    this.#local.set(result.id, next);
  }

  /**
   * A status event from `outbox.subscribe`. Returns `false` for a message this
   * history has never heard of (another tab's): call `setPending(await outbox.list())`
   * to learn its time and text.
   */
  update(event: OutboxEvent): boolean {
    if (event.status === 'discarded') {
      this.#local.delete(event.id);
      return true;
    }
    if (this.#server.has(event.id)) return true;
    const known = this.#local.has(event.id);
    // Unknown: placed at the event's time until list() says when it was sent.
    this.#merge({ ...pick(event), sentAtMs: event.updatedAtMs }, false);
    return known;
  }

  /** Forgets this page's local knowledge (a switch of user); the server's record stays. */
  clearLocal(): void {
    this.#local.clear();
  }

  /** One entry per id, by the sender's time (ties keep the server's order, then the local one). */
  entries(): HistoryEntry<T>[] {
    const out: HistoryEntry<T>[] = [];
    for (const [id, item] of this.#server) {
      const entry: HistoryEntry<T> = { id, status: 'delivered', sentAtMs: this.#options.sentAtOf(item), server: item };
      // Still in the outbox after the server stored it (a lost answer): delivered, and the outbox's word is there too.
      const local = this.#local.get(id);
      if (local !== undefined) entry.local = local;
      out.push(entry);
    }
    for (const local of this.#local.values()) {
      if (!this.#server.has(local.id)) out.push({ id: local.id, status: local.status, sentAtMs: local.sentAtMs, local });
    }
    // Array.prototype.sort is stable: equal times keep the order above.
    return out.sort((a, b) => a.sentAtMs - b.sentAtMs);
  }

  #merge(next: LocalMessage, knowsTime: boolean): void {
    const known = this.#local.get(next.id);
    if (known === undefined) {
      this.#local.set(next.id, next);
      return;
    }
    if (knowsTime) known.sentAtMs = next.sentAtMs;
    if (next.bodyText !== undefined) known.bodyText = next.bodyText;
    // Delivered is final; otherwise the newer word wins (updatedAtMs), and a
    // list read before an event must not take a message back from failed.
    if (known.status === 'delivered') return;
    if (next.updatedAtMs < known.updatedAtMs) return;
    if (next.updatedAtMs === known.updatedAtMs && RANK[next.status] < RANK[known.status]) return;
    known.status = next.status;
    known.attempts = next.attempts;
    known.updatedAtMs = next.updatedAtMs;
    if (next.reason !== undefined) known.reason = next.reason;
    else delete known.reason;
    if (next.detail !== undefined) known.detail = next.detail;
    else delete known.detail;
  }
}

function pick(update: { id: string; status: MessageStatus; attempts: number; reason?: Reason; detail?: string; updatedAtMs: number }): Omit<LocalMessage, 'sentAtMs'> {
  const local: Omit<LocalMessage, 'sentAtMs'> = { id: update.id, status: update.status, attempts: update.attempts, updatedAtMs: update.updatedAtMs };
  if (update.reason !== undefined) local.reason = update.reason;
  if (update.detail !== undefined) local.detail = update.detail;
  return local;
}

/** What `fetchHistory` resolves to. */
export interface FetchedHistory<T> {
  items: T[];
  /** `true`: the server answered just now. `false`: the last copy kept (or `[]`), because it could not. */
  fresh: boolean;
  /** When the items were fetched from the server (now, or when the kept copy was); `undefined` with nothing kept. */
  fetchedAtMs: number | undefined;
  /** Why the server could not be asked, when `fresh` is false. */
  error?: unknown;
}

export interface FetchHistoryOptions<T> {
  /**
   * Where the last good copy is kept (localStorage). A copy may hold personal
   * data: `forgetHistory(key)` at sign-out.
   * @default `outbox-history:<url>`
   */
  storageKey?: string;
  /** Turns the server's JSON into the items (and keeps only what you need in the copy). @default the JSON as it is (an array) */
  parse?: (json: unknown) => T[];
  /** @default 10000 */
  timeoutMs?: number;
}

/**
 * GETs the server's record, and keeps the last good copy for offline: when
 * the server cannot be reached (or answers an error), the copy is returned
 * with `fresh: false`, so the page can say "as of 10:42". It asks with
 * `cache: 'no-store'`: the history is never served stale by an HTTP cache or
 * a worker without the page knowing.
 *
 * @example
 * const { items, fresh, fetchedAtMs } = await fetchHistory('/api/messages');
 */
export async function fetchHistory<T = unknown>(url: string, options: FetchHistoryOptions<T> = {}): Promise<FetchedHistory<T>> {
  const key = options.storageKey ?? `outbox-history:${url}`;
  const parse = options.parse ?? ((json: unknown) => json as T[]);
  try {
    const response = await fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    const items = parse(await response.json());
    if (!Array.isArray(items)) throw new TypeError(`GET ${url}: the history must be an array (give a parse option)`);
    const fetchedAtMs = Date.now();
    try {
      localStorage.setItem(key, JSON.stringify({ fetchedAtMs, items }));
    } catch {
      // Full or unavailable (a private window): the page still gets the fresh list.
    }
    return { items, fresh: true, fetchedAtMs };
  } catch (error) {
    const kept = readKept<T>(key);
    if (kept !== undefined) return { items: kept.items, fresh: false, fetchedAtMs: kept.fetchedAtMs, error };
    return { items: [], fresh: false, fetchedAtMs: undefined, error };
  }
}

function readKept<T>(key: string): { fetchedAtMs: number; items: T[] } | undefined {
  try {
    const kept = JSON.parse(localStorage.getItem(key) ?? 'null') as { fetchedAtMs: number; items: T[] } | null;
    return kept !== null && Array.isArray(kept.items) ? kept : undefined;
  } catch {
    // An unreadable copy is no copy.
    return undefined;
  }
}

/** Deletes the copy `fetchHistory` keeps (e.g. at sign-out). */
export function forgetHistory(url: string, storageKey = `outbox-history:${url}`): void {
  try {
    localStorage.removeItem(storageKey);
  } catch {
    // Nothing to delete where there is no storage.
  }
}
