/**
 * What a page can ask of the worker: list, retry, discard, flush, claim.
 * Retry and discard change the queue, so they run in the exclusive section:
 * never beside a drain (a running drain steps aside after the message it is
 * sending, see `Exclusive.waiting`).
 */
import type { Engine } from './engine.js';
import type { LedgerRecord } from './ledger.js';
import {
  PROTOCOL,
  type Command,
  type CommandResults,
  type PendingMessage,
  type StatusUpdate,
} from './protocol/messages.js';
import { UnknownMessageError } from './protocol/errors.js';
import { createdAtOf, messageIdOf, namespaceOf, type QueueEntry } from './request-queue.js';

/** Bodies larger than this are not decoded for `list()`; the page shows a placeholder. */
const MAX_BODY_TEXT_BYTES = 64 * 1024;

export async function runCommand(engine: Engine, command: Command, clientId: string): Promise<CommandResults[Command['type']]> {
  switch (command.type) {
    case 'hello':
      return { protocol: PROTOCOL, queueName: engine.options.queueName, channel: engine.announce.channel };
    case 'list':
      return list(engine, command.namespace);
    case 'retry':
      return engine.exclusive.run(() => retry(engine, command.id, command.namespace));
    case 'discard':
      return engine.exclusive.run(() => discard(engine, command.id, command.namespace));
    case 'session':
      engine.sessions.declare(clientId, command.namespace, command.credentials);
      // Only pages declare (not sends), and the client declares once per page
      // load, switch or credentials change, so a dead session earns one more
      // 401, not a loop.
      engine.sessions.resume(command.namespace);
      // This user's messages may have been waiting for their page or credentials.
      engine.kick('online');
      return { namespace: command.namespace };
    case 'purge':
      return engine.exclusive.run(() => purge(engine, command.namespace));
    case 'flush':
      return engine.drain(command.trigger);
    case 'claim':
      await (self as unknown as ServiceWorkerGlobalScope).clients.claim();
      return { claimed: true };
  }
}

/** A namespace's messages not yet delivered, oldest first: queued ones from the queue, failed ones from the ledger. */
export async function list(engine: Engine, namespace: string): Promise<PendingMessage[]> {
  const [entries, notes] = await Promise.all([engine.queue.all(), engine.ledger.all()]);
  const nowMs = Date.now();
  const retentionMs = engine.options.retentionMinutes * 60_000;
  const messages = new Map<string, PendingMessage>();
  for (const entry of entries) {
    if (namespaceOf(entry) !== namespace) continue;
    const id = messageIdOf(entry);
    const note = notes.get(id);
    const message = describe(id, namespace, note, createdAtOf(entry), await engine.readableBody(entry.requestData, entry.metadata));
    if (id === engine.sendingId) {
      message.status = 'sending';
    } else if (note?.status !== 'failed' && nowMs - message.createdAtMs > retentionMs) {
      // The drain's sweep will record it; the list tells the truth already.
      message.status = 'failed';
      message.reason = 'expired';
    }
    messages.set(id, message);
  }
  for (const note of notes.values()) {
    if (note.status === 'failed' && (note.namespace ?? '') === namespace && !messages.has(note.id)) {
      messages.set(note.id, describe(note.id, namespace, note, note.createdAtMs, await engine.readableBody(note.requestData, note.metadata)));
    }
  }
  return [...messages.values()].sort((a, b) => a.createdAtMs - b.createdAtMs);
}

function describe(id: string, namespace: string, note: LedgerRecord | undefined, createdAtMs: number, readable: QueueEntry['requestData'] | undefined): PendingMessage {
  const message: PendingMessage = {
    id,
    namespace,
    status: note?.status ?? 'queued',
    attempts: note?.attempts ?? 0,
    url: String(readable?.url ?? note?.url ?? ''),
    createdAtMs,
    updatedAtMs: note?.updatedAtMs ?? createdAtMs,
  };
  if (note?.reason !== undefined) message.reason = note.reason;
  if (note?.detail !== undefined) message.detail = note.detail;
  const bodyText = textOf(readable);
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
function textOf(requestData: QueueEntry['requestData'] | undefined): string | undefined {
  const body = requestData?.body;
  if (!(body instanceof ArrayBuffer) || body.byteLength > MAX_BODY_TEXT_BYTES) return undefined;
  const headers = (requestData?.headers ?? {}) as Record<string, string>;
  const type = headers['content-type'] ?? '';
  if (!/json|^text\/|x-www-form-urlencoded/i.test(type)) return undefined;
  return new TextDecoder().decode(body);
}

/**
 * Queues a failed message again, at the tail (it is the user asking, now).
 * Entry first, then the record: a stop in between leaves the record `failed`,
 * and the drain then removes the new entry unsent (ledger.ts), so the message
 * is shown failed and can be retried again; it is never sent twice.
 */
async function retry(engine: Engine, id: string, namespace: string): Promise<StatusUpdate> {
  const record = await engine.ledger.get(id);
  if (record?.status !== 'failed' || !record.requestData || (record.namespace ?? '') !== namespace) {
    const entry = await engine.queue.find(id);
    if (entry && namespaceOf(entry) === namespace) {
      // Already queued: retrying means "try now".
      engine.kick('manual');
      return { id, namespace, status: 'queued', attempts: 0, updatedAtMs: Date.now() };
    }
    throw new UnknownMessageError(id, 'retry');
  }
  const nowMs = Date.now();
  // The retention clock restarts: an expired message retried gets a full period again.
  await engine.queue.push(record.requestData, { ...record.metadata, v: 1, id, createdAtMs: nowMs });
  engine.stored();
  const note: LedgerRecord = { id, namespace, queueName: record.queueName, status: 'queued', attempts: record.attempts, url: record.url, createdAtMs: nowMs, updatedAtMs: nowMs };
  await engine.ledger.put(note);
  const update: StatusUpdate = { id, namespace, status: 'queued', attempts: record.attempts, updatedAtMs: nowMs };
  engine.announce.status(update);
  engine.kick('manual');
  return update;
}

/** Forgets a queued or failed message. It is never sent afterwards. */
async function discard(engine: Engine, id: string, namespace: string): Promise<{ id: string }> {
  const [record, entry] = await Promise.all([engine.ledger.get(id), engine.queue.find(id)]);
  const owned = (record && (record.namespace ?? '') === namespace) || (entry && namespaceOf(entry) === namespace);
  if (!owned) throw new UnknownMessageError(id, 'discard');
  // Queue first: once the entry is gone nothing can send it, whatever happens next.
  if (entry) await engine.queue.remove(entry.id);
  if (record) await engine.ledger.delete(id);
  engine.announce.removed(id, namespace);
  return { id };
}

/**
 * Deletes everything of a namespace: its key first (so anything a stop leaves
 * behind cannot be read), then its queued requests, then its records. It runs
 * in the exclusive section, so a drain steps aside: a purged message is never
 * sent afterwards (one already on the wire when purge was called may arrive).
 */
async function purge(engine: Engine, namespace: string): Promise<{ namespace: string; removed: number }> {
  await engine.keys.forget(namespace);
  engine.sessions.forget(namespace);
  const [entries, notes] = await Promise.all([engine.queue.all(), engine.ledger.all()]);
  const removed = new Set<string>();
  for (const entry of entries) {
    if (namespaceOf(entry) !== namespace) continue;
    await engine.queue.remove(entry.id);
    engine.dropSecrets(messageIdOf(entry));
    removed.add(messageIdOf(entry));
  }
  for (const note of notes.values()) {
    if ((note.namespace ?? '') !== namespace) continue;
    await engine.ledger.delete(note.id);
    removed.add(note.id);
  }
  for (const id of removed) engine.announce.removed(id, namespace);
  return { namespace, removed: removed.size };
}
