/**
 * A framework-neutral store of the outbox's messages: a snapshot and
 * `subscribe`, shaped for React's `useSyncExternalStore` (see react.ts) and
 * for Svelte's store contract (`subscribe(run)` calls `run` at once and on
 * every change, and returns the function that stops it). Vue wraps it in a
 * `shallowRef` (docs/ui-bindings.md).
 *
 * It holds this page's view of every message of the page's namespace: what
 * `list()` returns (queued, sending, failed, also those sent from other tabs
 * or earlier visits) and what this page sent, each updated on every status
 * broadcast. Delivered messages stay (with status `delivered`) up to
 * `keepDelivered`, so a UI can show the tick; discarded ones leave.
 */
import type { Outbox } from './outbox.js';
import type { Body, OutboxEvent, SendInit, SendResult } from './types.js';
import { NOTHING_KEPT, type DrainReport, type LaneBlock, type MessageStatus, type PendingMessage, type Reason } from '../sw/protocol/statuses.js';

/** One message as the store shows it. `T`: the type of the JSON bodies the site sends. */
export interface OutboxMessage<T = unknown> {
  id: string;
  status: MessageStatus;
  attempts: number;
  reason?: Reason;
  detail?: string;
  url?: string;
  /** What was sent: the value passed to `send` in this page, or the parsed JSON body from `list()`. */
  body?: T;
  /** The body as text, for text and JSON bodies. */
  bodyText?: string;
  /** Its lane (conversation); absent for the default lane (docs/lanes.md). */
  lane?: string;
  /** Queued in a lane that backs off: why, and until when (from the last `list()`; a status event clears it). */
  blockedBy?: LaneBlock;
  createdAtMs: number;
  updatedAtMs: number;
  /**
   * False when the outbox keeps no copy (it failed with `storage`, `too-large`,
   * `no-worker` or `network`): `retry` sends the page's copy again.
   */
  kept: boolean;
}

export interface OutboxSnapshot<T = unknown> {
  /** Oldest first. */
  readonly messages: readonly OutboxMessage<T>[];
  /** True once the outbox answered the first `list()`. */
  readonly ready: boolean;
  /** Why the store cannot work, when it cannot (e.g. `NoServiceWorkerError` from `createOutbox`). */
  readonly error?: unknown;
}

export interface OutboxStoreOptions {
  /**
   * How many delivered (or relayed) messages the snapshot keeps (the newest); older ones leave it.
   * @default 100
   */
  keepDelivered?: number;
}

export interface OutboxStore<T = unknown> {
  /** The current snapshot; the same object until something changes (as `useSyncExternalStore` needs). */
  getSnapshot(): OutboxSnapshot<T>;
  /** Calls `listener` with the snapshot now and after every change; returns the function that stops it. */
  subscribe(listener: (snapshot: OutboxSnapshot<T>) => void): () => void;
  /** `outbox.send`, shown in the snapshot from the moment it is called. */
  send(url: string, body?: T & Body, init?: SendInit): Promise<SendResult<T & Body>>;
  /** Tries a failed message again (a message the outbox kept no copy of is sent again from the page's). */
  retry(id: string): Promise<void>;
  /** Forgets a queued or failed message. */
  discard(id: string): Promise<void>;
  /** Asks the worker to send what is queued now (`outbox.flush`), e.g. a "send now" button. */
  flush(): Promise<DrainReport>;
  /** Reads `list()` again. */
  refresh(): Promise<void>;
  /** Stops listening to the outbox. */
  close(): void;
}

const IDEMPOTENCY_KEY = 'Idempotency-Key';

/**
 * A store over an outbox, or over the promise `createOutbox()` returns (the
 * store is usable at once; it is `ready` when the outbox is). `T` names the
 * type of the JSON bodies the site sends (`createOutboxStore<ChatMessage>(…)`):
 * it is the site's word, as the worker hands back what was sent.
 *
 * @example
 * const store = createOutboxStore(createOutbox({ serviceWorker: '/sw.js?api=/api/chat' }));
 * const stop = store.subscribe(({ messages }) => render(messages));
 * await store.send('/api/chat', { text: 'hello' });
 */
export function createOutboxStore<T = unknown>(outbox: Outbox | Promise<Outbox>, options: OutboxStoreOptions = {}): OutboxStore<T> {
  const keepDelivered = options.keepDelivered ?? 100;
  const messages = new Map<string, OutboxMessage<T>>();
  const listeners = new Set<(snapshot: OutboxSnapshot<T>) => void>();
  let snapshot: OutboxSnapshot<T> = { messages: [], ready: false };
  let ready = false;
  let error: unknown;
  let closed = false;
  let unsubscribe: (() => void) | undefined;
  let refreshing: Promise<void> | undefined;
  let again = false;

  const outboxReady = Promise.resolve(outbox);

  function publish(): void {
    let delivered = [...messages.values()].filter((m) => offDevice(m.status));
    if (delivered.length > keepDelivered) {
      delivered.sort((a, b) => a.updatedAtMs - b.updatedAtMs);
      for (const old of delivered.slice(0, delivered.length - keepDelivered)) messages.delete(old.id);
    }
    const sorted = [...messages.values()].sort((a, b) => a.createdAtMs - b.createdAtMs);
    snapshot = error === undefined ? { messages: sorted, ready } : { messages: sorted, ready, error };
    for (const listener of listeners) {
      try {
        listener(snapshot);
      } catch (thrown) {
        // One listener that throws must not keep the others from hearing.
        reportError(thrown);
      }
    }
  }

  function apply(event: OutboxEvent): void {
    if (event.status === 'discarded') {
      if (messages.delete(event.id)) publish();
      return;
    }
    const known = messages.get(event.id);
    // A failure that left no copy with the outbox (the browser cleared its
    // database): the page's copy is what a retry sends.
    const kept = !(event.status === 'failed' && event.reason !== undefined && NOTHING_KEPT.has(event.reason));
    const next: OutboxMessage<T> = {
      ...(known ?? { id: event.id, createdAtMs: event.updatedAtMs, kept }),
      status: event.status,
      attempts: event.attempts,
      updatedAtMs: event.updatedAtMs,
      kept,
    };
    delete next.reason;
    delete next.detail;
    delete next.blockedBy;
    if (event.lane !== undefined) next.lane = event.lane;
    if (event.reason !== undefined) next.reason = event.reason;
    if (event.detail !== undefined) next.detail = event.detail;
    messages.set(event.id, next);
    // Sent from another tab or an earlier visit: its body and URL come from list().
    if (!known) void refresh();
    publish();
  }

  function merge(listed: PendingMessage<T>[], askedAtMs: number): void {
    const present = new Set(listed.map((m) => m.id));
    for (const message of listed) {
      const known = messages.get(message.id);
      // A broadcast newer than this list keeps its status (the list was read
      // before it); what only the list knows (body, URL) is taken either way.
      const status = known && known.updatedAtMs > message.updatedAtMs ? known : message;
      const next: OutboxMessage<T> = {
        id: message.id,
        status: status.status,
        attempts: status.attempts,
        url: message.url,
        createdAtMs: known?.createdAtMs ?? message.createdAtMs,
        updatedAtMs: status.updatedAtMs,
        kept: true,
      };
      if (status.reason !== undefined) next.reason = status.reason;
      if (status.detail !== undefined) next.detail = status.detail;
      if (message.lane !== undefined) next.lane = message.lane;
      if (status === message && message.blockedBy !== undefined) next.blockedBy = message.blockedBy;
      const body = message.body ?? known?.body;
      if (body !== undefined) next.body = body;
      const bodyText = message.bodyText ?? known?.bodyText;
      if (bodyText !== undefined) next.bodyText = bodyText;
      messages.set(message.id, next);
    }
    // Held by the outbox before this list was asked for, and not in it: delivered or gone meanwhile.
    for (const [id, message] of messages) {
      if (message.kept && !offDevice(message.status) && !present.has(id) && message.updatedAtMs < askedAtMs) messages.delete(id);
    }
  }

  async function refresh(): Promise<void> {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      try {
        do {
          again = false;
          const box = await outboxReady;
          const askedAtMs = Date.now();
          const listed = await box.list<T>();
          if (closed) return;
          merge(listed, askedAtMs);
          ready = true;
          publish();
        } while (again);
      } catch (thrown) {
        error = thrown;
        publish();
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  }

  outboxReady.then(
    (box) => {
      if (closed) return;
      unsubscribe = box.subscribe(apply);
      void refresh();
    },
    (thrown: unknown) => {
      error = thrown;
      publish();
    },
  );

  async function send(url: string, body?: T & Body, init: SendInit = {}): Promise<SendResult<T & Body>> {
    const headers = new Headers(init.headers);
    const id = headers.get(IDEMPOTENCY_KEY) ?? crypto.randomUUID();
    headers.set(IDEMPOTENCY_KEY, id);
    const nowMs = Date.now();
    const local: OutboxMessage<T> = { id, status: 'sending', attempts: 0, url, createdAtMs: nowMs, updatedAtMs: nowMs, kept: true };
    if (body !== undefined && body !== null) local.body = body;
    const text = typeof body === 'string' ? body : isPlain(body) ? JSON.stringify(body) : undefined;
    if (text !== undefined) local.bodyText = text;
    messages.set(id, { ...messages.get(id), ...local });
    publish();
    let result: SendResult<T & Body>;
    try {
      result = await (await outboxReady).send(url, body, { ...init, headers });
    } catch (thrown) {
      // A message the outbox refused as it is (its key, or its URL), or no
      // outbox at all (createOutbox rejected): the page keeps the text, with why.
      const invalid = (thrown as Error | undefined)?.name === 'InvalidMessageError';
      result = { id, status: 'failed', reason: invalid ? 'invalid' : 'no-worker', detail: String(thrown), body };
    }
    const known = messages.get(id);
    if (known) {
      const keptNothing = result.status === 'failed' && result.reason !== undefined && NOTHING_KEPT.has(result.reason);
      // The broadcasts tell the outbox's side; the answer settles what they cannot (nothing kept, or no broadcast yet).
      if (keptNothing || result.status !== 'queued' || known.status === 'sending') {
        const next: OutboxMessage<T> = { ...known, status: result.status, updatedAtMs: Math.max(Date.now(), known.updatedAtMs), kept: !keptNothing };
        delete next.reason;
        delete next.detail;
        if (result.reason !== undefined) next.reason = result.reason;
        if (result.detail !== undefined) next.detail = result.detail;
        messages.set(id, next);
        publish();
      }
    }
    return result;
  }

  return {
    getSnapshot: () => snapshot,
    subscribe(listener) {
      listeners.add(listener);
      listener(snapshot);
      return () => listeners.delete(listener);
    },
    send,
    async flush() {
      return (await outboxReady).flush();
    },
    async retry(id) {
      const message = messages.get(id);
      if (message && !message.kept && message.url !== undefined) {
        await send(message.url, message.body as T & Body, { headers: { [IDEMPOTENCY_KEY]: id } });
        return;
      }
      await (await outboxReady).retry(id);
    },
    async discard(id) {
      const message = messages.get(id);
      if (!message?.kept) {
        if (messages.delete(id)) publish();
        return;
      }
      await (await outboxReady).discard(id);
      if (messages.delete(id)) publish();
    },
    refresh,
    close() {
      closed = true;
      unsubscribe?.();
      listeners.clear();
    },
  };
}

function isPlain(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const proto = Object.getPrototypeOf(body) as unknown;
  return Array.isArray(body) || proto === Object.prototype || proto === null;
}

/** Delivered, or relayed (held by a relay): no longer in the outbox, so not in `list()`. */
function offDevice(status: MessageStatus): boolean {
  return status === 'delivered' || status === 'relayed';
}
