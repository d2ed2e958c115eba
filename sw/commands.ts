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
import { createdAtOf, messageIdOf, type QueueEntry } from './request-queue.js';

/** Bodies larger than this are not decoded for `list()`; the page shows a placeholder. */
const MAX_BODY_TEXT_BYTES = 64 * 1024;

export async function runCommand(engine: Engine, command: Command): Promise<CommandResults[Command['type']]> {
  switch (command.type) {
    case 'hello':
      return { protocol: PROTOCOL, queueName: engine.options.queueName, channel: engine.announce.channel };
    case 'list':
      return list(engine);
    case 'retry':
      return engine.exclusive.run(() => retry(engine, command.id));
    case 'discard':
      return engine.exclusive.run(() => discard(engine, command.id));
    case 'flush':
      return engine.drain(command.trigger);
    case 'claim':
      await (self as unknown as ServiceWorkerGlobalScope).clients.claim();
      return { claimed: true };
  }
}

/** Messages not yet delivered, oldest first: queued ones from the queue, failed ones from the ledger. */
export async function list(engine: Engine): Promise<PendingMessage[]> {
  const [entries, notes] = await Promise.all([engine.queue.all(), engine.ledger.all()]);
  const nowMs = Date.now();
  const retentionMs = engine.options.retentionMinutes * 60_000;
  const messages = new Map<string, PendingMessage>();
  for (const entry of entries) {
    const id = messageIdOf(entry);
    const note = notes.get(id);
    const message = describe(id, entry.requestData, note, createdAtOf(entry));
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
    if (note.status === 'failed' && !messages.has(note.id)) {
      messages.set(note.id, describe(note.id, note.requestData, note, note.createdAtMs));
    }
  }
  return [...messages.values()].sort((a, b) => a.createdAtMs - b.createdAtMs);
}

function describe(id: string, requestData: QueueEntry['requestData'] | undefined, note: LedgerRecord | undefined, createdAtMs: number): PendingMessage {
  const message: PendingMessage = {
    id,
    status: note?.status ?? 'queued',
    attempts: note?.attempts ?? 0,
    url: String(requestData?.url ?? note?.url ?? ''),
    createdAtMs,
    updatedAtMs: note?.updatedAtMs ?? createdAtMs,
  };
  if (note?.reason !== undefined) message.reason = note.reason;
  if (note?.detail !== undefined) message.detail = note.detail;
  const bodyText = textOf(requestData);
  if (bodyText !== undefined) message.bodyText = bodyText;
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
async function retry(engine: Engine, id: string): Promise<StatusUpdate> {
  const record = await engine.ledger.get(id);
  if (record?.status !== 'failed' || !record.requestData) {
    if (await engine.queue.find(id)) {
      // Already queued: retrying means "try now".
      void engine.drain('manual');
      return { id, status: 'queued', attempts: 0, updatedAtMs: Date.now() };
    }
    throw new UnknownMessageError(id, 'retry');
  }
  const nowMs = Date.now();
  // The retention clock restarts: an expired message retried gets a full period again.
  await engine.queue.push(record.requestData, { v: 1, id, createdAtMs: nowMs });
  const note: LedgerRecord = { id, queueName: record.queueName, status: 'queued', attempts: record.attempts, url: record.url, createdAtMs: nowMs, updatedAtMs: nowMs };
  await engine.ledger.put(note);
  const update: StatusUpdate = { id, status: 'queued', attempts: record.attempts, updatedAtMs: nowMs };
  engine.announce.status(update);
  void engine.drain('manual');
  return update;
}

/** Forgets a queued or failed message. It is never sent afterwards. */
async function discard(engine: Engine, id: string): Promise<{ id: string }> {
  const [record, entry] = await Promise.all([engine.ledger.get(id), engine.queue.find(id)]);
  if (!record && !entry) throw new UnknownMessageError(id, 'discard');
  // Queue first: once the entry is gone nothing can send it, whatever happens next.
  if (entry) await engine.queue.remove(entry.id);
  if (record) await engine.ledger.delete(id);
  engine.announce.removed(id);
  return { id };
}
