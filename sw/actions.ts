/**
 * What a page can do to its messages besides sending: list, retry, discard,
 * purge. Retry, discard and purge run in the exclusive section (engine.ts), so
 * never beside a drain: a running drain steps aside after the message it is
 * sending (`OriginLock.waiting`). Each acts on every entry of an id: a store
 * that an older version left with two entries of one id is mended here too.
 */
import type { LedgerRecord } from './ledger.js';
import type { Drain } from './drain.js';
import type { DrainLoop } from './drain-loop.js';
import type { Services } from './services.js';
import type { PendingMessage, StatusUpdate } from './protocol/statuses.js';
import { UnknownMessageError } from './protocol/errors.js';
import { createdAtOf, laneOf, messageIdOf, namespaceOf, type QueueEntry } from './request-queue.js';
import { isExpired, wallNowMs } from './timing.js';

/** Bodies larger than this are not decoded for `list()`; the page shows a placeholder. */
const MAX_BODY_TEXT_BYTES = 64 * 1024;
/**
 * Body text carried by one `list()` in all, oldest messages first. The answer
 * crosses postMessage as one structured clone: 10,000 queued messages of
 * 16 kB, text and parsed JSON each, were half a gigabyte and took longer than
 * the client waits for an answer. Past the budget a message is listed without
 * its body (its page still has the text it sent, or shows a placeholder).
 */
const LIST_BODY_TEXT_BUDGET_BYTES = 2 * 1024 * 1024;

/** What the page's commands use: the stores and broadcasts, and the drain they ask for a pass. */
export type ActionDeps = Pick<Services, 'queue' | 'ledger' | 'announce' | 'secrets' | 'sessions' | 'keys' | 'options'> & {
  drain: Drain;
  loop: DrainLoop;
};

/**
 * A namespace's messages not yet delivered, in queue order: queued ones from
 * the queue, failed ones from the ledger at the place they held in the queue
 * (records of older versions, without one, first). Not by `createdAtMs`: a
 * clock step would reorder them.
 */
export async function list(deps: ActionDeps, namespace: string): Promise<PendingMessage[]> {
  const { queue, ledger, loop, options } = deps;
  const [entries, records] = await Promise.all([queue.all(), ledger.all()]);
  const nowMs = wallNowMs();
  const messages = new Map<string, [number, PendingMessage]>();
  const budget = { bytes: LIST_BODY_TEXT_BUDGET_BYTES };
  for (const entry of entries) {
    const id = messageIdOf(entry);
    if (namespaceOf(entry) !== namespace || messages.has(id)) continue;
    const record = records.get(id);
    const message = describe(id, namespace, record, createdAtOf(entry), await loop.sender.readableBody(entry.requestData, entry.metadata), budget, laneOf(entry));
    if (entry.metadata?.after !== undefined) message.after = entry.metadata.after;
    if (entry.unreadable !== undefined) {
      // The drain sets it aside as such; the list tells the truth already.
      message.status = 'failed';
      message.reason = 'corrupt';
    } else if (deps.drain.isSending(id)) {
      message.status = 'sending';
    } else if (record?.status !== 'failed' && isExpired(message.createdAtMs, nowMs, options.retentionMinutes)) {
      // The drain's sweep will record it; the list tells the truth already.
      message.status = 'failed';
      message.reason = 'expired';
    } else if (message.status === 'queued') {
      const blockedBy = deps.drain.blockedBy(laneOf(entry));
      if (blockedBy) message.blockedBy = blockedBy;
    }
    messages.set(id, [entry.id, message]);
  }
  for (const record of records.values()) {
    // Failed, or held by a relay that the worker asks about (relayed.ts): not delivered yet either.
    if ((record.status === 'failed' || record.status === 'relayed') && (record.namespace ?? '') === namespace && !messages.has(record.id)) {
      const message = describe(record.id, namespace, record, record.createdAtMs, await loop.sender.readableBody(record.requestData, record.metadata), budget, laneOf(record));
      if (record.metadata?.after !== undefined) message.after = record.metadata.after;
      messages.set(record.id, [record.seq ?? -1, message]);
    }
  }
  return [...messages.values()].sort(([a, first], [b, second]) => a - b || first.createdAtMs - second.createdAtMs).map(([, message]) => message);
}

function describe(
  id: string,
  namespace: string,
  record: LedgerRecord | undefined,
  createdAtMs: number,
  readable: QueueEntry['requestData'] | undefined,
  budget: { bytes: number },
  lane: string,
): PendingMessage {
  const message: PendingMessage = {
    id,
    namespace,
    status: record?.status ?? 'queued',
    attempts: record?.attempts ?? 0,
    url: String(readable?.url ?? record?.url ?? ''),
    createdAtMs,
    updatedAtMs: record?.updatedAtMs ?? createdAtMs,
  };
  if (lane) message.lane = lane;
  if (record?.reason !== undefined) message.reason = record.reason;
  if (record?.detail !== undefined) message.detail = record.detail;
  const bodyText = textOf(readable, budget);
  if (bodyText !== undefined) {
    message.bodyText = bodyText;
    // Parsed here once, so no page has to: a JSON body that does not parse keeps only its text.
    if (/json/i.test((readable!.headers as Record<string, string>)['content-type'] ?? '')) {
      try {
        message.body = JSON.parse(bodyText);
      } catch {}
    }
  }
  return message;
}

/** The body as text when it is text (JSON, text/*, form-urlencoded) and small enough to show. */
function textOf(requestData: QueueEntry['requestData'] | undefined, budget: { bytes: number }): string | undefined {
  const body = requestData?.body;
  if (!(body instanceof ArrayBuffer) || body.byteLength > Math.min(MAX_BODY_TEXT_BYTES, budget.bytes)) return undefined;
  const headers = (requestData?.headers ?? {}) as Record<string, string>;
  const type = headers['content-type'] ?? '';
  if (!/json|^text\/|x-www-form-urlencoded/i.test(type)) return undefined;
  budget.bytes -= body.byteLength;
  return new TextDecoder().decode(body);
}

/**
 * Queues a failed message again, at the tail (it is the user asking, now).
 * Entry first, then the record: a stop in between leaves the record `failed`,
 * and the drain then removes the new entry unsent (ledger.ts), so the message
 * is shown failed and can be retried again; it is never sent twice.
 */
export async function retry(deps: ActionDeps, id: string, namespace: string): Promise<StatusUpdate> {
  const { queue, ledger, announce } = deps;
  const record = await ledger.get(id);
  if (record?.status !== 'failed' || !record.requestData || (record.namespace ?? '') !== namespace) {
    const entries = await queue.find(id);
    if (entries.some((entry) => namespaceOf(entry) === namespace)) {
      // Already queued: retrying means "try now".
      deps.drain.changed();
      deps.drain.kick('manual');
      return { id, namespace, status: 'queued', attempts: 0, updatedAtMs: wallNowMs() };
    }
    throw new UnknownMessageError(id, 'retry');
  }
  // Leftover entries of this id would be removed unsent by the drain (the record says failed); remove them first.
  for (const entry of await queue.find(id)) await queue.remove(entry);
  const update = await requeue(deps, record, namespace);
  await requeueChildren(deps, id, namespace);
  deps.drain.kick('manual');
  return update;
}

/** Puts a failed message back at the tail of the queue, its retention clock restarted, and says so. */
async function requeue(deps: ActionDeps, record: LedgerRecord, namespace: string): Promise<StatusUpdate> {
  const { queue, ledger, announce } = deps;
  const { id } = record;
  const nowMs = wallNowMs();
  // The retention clock restarts: an expired message retried gets a full period again.
  await queue.push(record.requestData!, { ...record.metadata, v: 1, id, createdAtMs: nowMs });
  deps.drain.changed();
  // Still marked: a try of it may have reached the server (edit and cancel say in-flight).
  const marks = { ...(record.keepAnswer ? { keepAnswer: true } : {}), ...(record.answerLost ? { answerLost: true } : {}) };
  await ledger.put({ id, namespace: namespace || undefined, queueName: record.queueName, status: 'queued', attempts: record.attempts, url: record.url, createdAtMs: nowMs, updatedAtMs: nowMs, ...marks });
  // It goes after whatever went on while it was set aside: the page is told, not left to find out.
  const update: StatusUpdate = { id, namespace, status: 'queued', attempts: record.attempts, requeued: true, updatedAtMs: nowMs };
  announce.status(update);
  return update;
}

/**
 * A retried parent takes its descendants along (dependents.ts): children set
 * aside with `parent-failed` are queued again, and those still queued move
 * behind it, each followed by its own children, so every message is after
 * its parent in the queue. `seen` guards against ids sent after each other.
 */
async function requeueChildren(deps: ActionDeps, parentId: string, namespace: string, seen = new Set([parentId])): Promise<void> {
  const { queue, ledger } = deps;
  const [entries, records] = await Promise.all([queue.all(), ledger.all()]);
  const children: string[] = [];
  for (const entry of entries) {
    const id = messageIdOf(entry);
    if (entry.metadata?.after !== parentId || seen.has(id)) continue;
    await queue.remove(entry);
    await queue.push(entry.requestData, { ...entry.metadata, v: 1, id, createdAtMs: createdAtOf(entry) });
    children.push(id);
  }
  for (const record of records.values()) {
    if (record.status !== 'failed' || record.reason !== 'parent-failed' || record.metadata?.after !== parentId || !record.requestData || seen.has(record.id)) continue;
    await requeue(deps, record, namespace);
    children.push(record.id);
  }
  for (const child of children) {
    seen.add(child);
    await requeueChildren(deps, child, namespace, seen);
  }
}

/** Forgets a queued or failed message, every entry of it. It is never sent afterwards. */
export async function discard(deps: ActionDeps, id: string, namespace: string): Promise<{ id: string }> {
  const { queue, ledger, announce, secrets } = deps;
  const [record, found] = await Promise.all([ledger.get(id), queue.find(id)]);
  const entries = found.filter((entry) => namespaceOf(entry) === namespace);
  const owned = (record && (record.namespace ?? '') === namespace) || entries.length > 0;
  if (!owned) throw new UnknownMessageError(id, 'discard');
  // Queue first: once the entries are gone nothing can send them, whatever happens next.
  for (const entry of entries) await queue.remove(entry);
  if (record) await ledger.delete(id);
  secrets.drop(id);
  announce.removed(id, namespace);
  // Its children (sent `after` it) cannot be sent without it: they go with it.
  const [queued, records] = await Promise.all([queue.all(), ledger.all()]);
  const children = new Set([...queued.map((entry) => (entry.metadata?.after === id ? messageIdOf(entry) : undefined)), ...[...records.values()].map((kept) => (kept.metadata?.after === id ? kept.id : undefined))]);
  for (const child of children) if (child !== undefined) await discard(deps, child, namespace).catch(() => undefined);
  return { id };
}

/**
 * Deletes everything of a namespace: its key first (so anything a stop leaves
 * behind cannot be read), then its queued requests, then its records. It runs
 * in the exclusive section, so a drain steps aside: a purged message is never
 * sent afterwards (one already on the wire when purge was called may arrive).
 */
export async function purge(deps: ActionDeps, namespace: string): Promise<{ namespace: string; removed: number }> {
  const { queue, ledger, announce, secrets, sessions, keys } = deps;
  await keys.forget(namespace);
  sessions.forget(namespace);
  const [entries, records] = await Promise.all([queue.all(), ledger.all()]);
  const removed = new Set<string>();
  for (const entry of entries) {
    if (namespaceOf(entry) !== namespace) continue;
    await queue.remove(entry);
    removed.add(messageIdOf(entry));
  }
  secrets.dropNamespace(namespace);
  for (const record of records.values()) {
    if ((record.namespace ?? '') !== namespace) continue;
    await ledger.delete(record.id);
    removed.add(record.id);
  }
  for (const id of removed) announce.removed(id, namespace);
  return { namespace, removed: removed.size };
}
