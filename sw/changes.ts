/**
 * Edit and cancel: a person changes their mind about a message not yet
 * delivered. Like retry and discard (actions.ts) these run in the exclusive
 * section, so never beside a drain's attempt: a drain steps aside after the
 * message it is sending, and what it sent is settled before we look.
 *
 * A change is made only while the server cannot have the message: never tried,
 * or every try got an answer that stored nothing (an HTTP error status, a 401).
 * Once a try went out and no answer came back (a dropped connection, a
 * timeout, a worker stopped mid-send) the server may hold the original under
 * the same Idempotency-Key: changing the body then would make the retry a key
 * reused with another body (a conforming server answers 422), and removing it
 * would tell the person "cancelled" about a message the other side may read.
 * Both are `in-flight`: nothing changes, the message goes on as it was.
 * A failed message can be cancelled (it is discarded) but not edited.
 */
import { mayBeOnServer, type LedgerRecord } from './ledger.js';
import type { ChangeOutcome } from './protocol/messages.js';
import { namespaceOf, type QueueEntry } from './request-queue.js';
import { discard, type ActionDeps } from './actions.js';
import { seal } from './keys.js';
import { wallNowMs } from './timing.js';

/** What to change: a new body and its type, or `undefined` to cancel. */
export type Change = { body: ArrayBuffer; contentType: string } | undefined;

/**
 * The server may hold it (ledger.ts), or, for a record an older version wrote
 * without the `answerLost` mark, it was tried and its last outcome was not an
 * answer.
 */
function isInFlight(record: LedgerRecord | undefined): boolean {
  return mayBeOnServer(record) || ((record?.attempts ?? 0) > 0 && !/^http-|^auth$/.test(record?.reason ?? ''));
}

/** Edits (`change` a new body) or cancels (`undefined`) message `id`; see the file comment. */
export async function applyChange(deps: ActionDeps, id: string, namespace: string, change: Change): Promise<ChangeOutcome> {
  const { queue, ledger, announce } = deps;
  const [record, found] = await Promise.all([ledger.get(id), queue.find(id)]);
  const entries = found.filter((entry) => namespaceOf(entry) === namespace);
  const failed = record?.status === 'failed' && record.requestData !== undefined && (record.namespace ?? '') === namespace;
  if (entries.length === 0 && !failed) return 'too-late';
  if (isInFlight(record)) return 'in-flight';
  if (change === undefined) {
    await discard(deps, id, namespace);
    return 'done';
  }
  // A failed message is settled: a refusal is the key's answer on the server
  // (a retry with another body gets it back, or a 422). Discard it and send the new text.
  if (entries.length === 0) return 'too-late';
  // Put in place: the entry keeps its key, so its place in the queue.
  for (const entry of entries) if (entry.unreadable === undefined) await queue.replace({ ...entry, ...(await withBody(namespace, entry, change, deps)) });
  announce.status({ id, namespace, status: 'queued', attempts: record?.attempts ?? 0, reason: record?.reason, detail: record?.detail, edited: true, updatedAtMs: wallNowMs() });
  return 'done';
}

/** The request with the new body and type; sealed again when the stored one was (encrypt). */
async function withBody(namespace: string, entry: QueueEntry, change: NonNullable<Change>, deps: ActionDeps): Promise<Pick<QueueEntry, 'requestData' | 'metadata'>> {
  const requestData = { ...entry.requestData, headers: { ...entry.requestData.headers, 'content-type': change.contentType }, body: change.body };
  const metadata = { ...entry.metadata };
  if (metadata.iv !== undefined) {
    const sealed = await seal(deps.keys, namespace, change.body);
    requestData.body = sealed.body;
    metadata.iv = sealed.sealed.iv;
  }
  return { requestData, metadata };
}
