/**
 * Dependent requests: `send(url, body, { after: parentId })`. A photo and
 * its caption are two requests, and the caption must carry the upload's
 * result (its URL), which exists only once the upload is delivered.
 *
 * - The child is stored with `metadata.after`; the parent's ledger record is
 *   marked `keepAnswer` (and this worker remembers it in `Parents`).
 * - A pass reaches the child: it waits while its parent is queued, fails with
 *   `parent-failed` when the parent failed (retrying the parent retries it),
 *   and is sent once the parent is delivered, with every placeholder
 *   `{"$outbox": "<parentId>", "path": "a.b.0"}` of its JSON body replaced by
 *   that value of the parent's JSON answer.
 * - The parent's answer (JSON, at most MAX_ANSWER_BYTES) is written with its
 *   delivery, in its `delivered` ledger record, before anything after it is
 *   sent: a worker stopped between the two finds it at its next start. The
 *   placeholders are filled from that record at each attempt of the child,
 *   so the record is as durable as a child with its values written in.
 *   Records are kept for the retention time (children expire by then).
 * - Discarding or cancelling a parent removes its children (actions.ts).
 */
import type { LedgerRecord } from './ledger.js';
import type { Services } from './services.js';

/** Largest parent answer kept for its children; a larger or non-JSON answer is kept as absent. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** Answers of the last messages delivered in this worker's life, kept in memory for a child that comes right after. */
const RECENT_ANSWERS = 32;

/**
 * What this worker knows of parents: ids that have children (marked on the
 * child's arrival, before the parent's ledger record may carry it), and the
 * answers of the messages it delivered last (a caption sent once the photo
 * was already delivered finds its answer here).
 */
export class Parents {
  readonly #ids = new Set<string>();
  readonly #recent = new Map<string, unknown>();
  add(id: string): void {
    this.#ids.add(id);
  }
  has(id: string): boolean {
    return this.#ids.has(id);
  }
  remember(id: string, answer: unknown): void {
    this.#recent.set(id, answer);
    if (this.#recent.size > RECENT_ANSWERS) this.#recent.delete(this.#recent.keys().next().value!);
  }
  recent(id: string): { answer: unknown } | undefined {
    return this.#recent.has(id) ? { answer: this.#recent.get(id) } : undefined;
  }
}

/** What a child's parent is when a pass reaches the child. */
export type ParentState =
  | { kind: 'waiting' } //                       still in the queue (ahead of the child): the child waits
  | { kind: 'delivered'; answer: unknown } //    delivered: placeholders take values from `answer`
  | { kind: 'failed'; detail: string }; //        failed, or gone: the child fails with parent-failed

/**
 * `queued`: the parent's entry is in the queue (a pass met it before the
 * child: a child is always stored after its parent, and a retried parent
 * takes its children along to the tail, actions.ts).
 */
export function parentState(parentId: string, queued: boolean, record: LedgerRecord | undefined, parents: Parents): ParentState {
  if (queued) return { kind: 'waiting' };
  if (record?.status === 'delivered') return { kind: 'delivered', answer: record.answer };
  if (record?.status === 'failed') return { kind: 'failed', detail: `its parent ${parentId} failed (${record.reason ?? 'unknown'})` };
  // A relay's 202 carries none of the API's answer, and the relay's lookup gives only a status.
  if (record?.status === 'relayed') return { kind: 'delivered', answer: undefined };
  const recent = parents.recent(parentId);
  if (recent) return { kind: 'delivered', answer: recent.answer };
  return { kind: 'failed', detail: `its parent ${parentId} is no longer held (discarded, purged, or delivered before this worker started)` };
}

/**
 * A child arrives naming `parentId`: whether the outbox knows that message
 * (queued, failed, relayed, or delivered with its answer kept or recent).
 * When it does, the parent is marked so that its answer is kept: in memory
 * now, and on its ledger record for a worker that starts later.
 */
export async function adoptParent(deps: Pick<Services, 'queue' | 'ledger' | 'options'> & { parents: Parents }, parentId: string): Promise<boolean> {
  const { queue, ledger, parents, options } = deps;
  deps.parents.add(parentId);
  const [record, entries] = await Promise.all([ledger.get(parentId), queue.find(parentId)]);
  const recent = parents.recent(parentId);
  if (entries.length === 0 && record === undefined && recent === undefined) return false;
  if (recent !== undefined && record?.status !== 'delivered') {
    // Delivered in this worker's life: its answer goes on disk before the child waits on it.
    const nowMs = Date.now();
    await ledger.put({ id: parentId, queueName: options.queueName, status: 'delivered', attempts: 1, url: '', createdAtMs: nowMs, updatedAtMs: nowMs, answer: recent.answer });
  } else if (record === undefined) {
    const entry = entries[0]!;
    await ledger.put({ id: parentId, queueName: options.queueName, status: 'queued', attempts: 0, url: String(entry.requestData.url), createdAtMs: entry.timestamp, updatedAtMs: Date.now(), namespace: entry.metadata?.namespace || undefined, keepAnswer: true });
  } else if (record.status !== 'delivered' && !record.keepAnswer) {
    await ledger.put({ ...record, keepAnswer: true });
  }
  return true;
}

/** The parent's JSON answer, or `undefined` when it is not JSON or over MAX_ANSWER_BYTES. */
export async function readAnswer(response: Response): Promise<unknown> {
  if (!/json/i.test(response.headers.get('Content-Type') ?? '')) return undefined;
  if (Number(response.headers.get('Content-Length') ?? 0) > MAX_ANSWER_BYTES) return undefined;
  try {
    const text = await response.text();
    return text.length <= MAX_ANSWER_BYTES ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The child's JSON body with its placeholders filled in from the parent's
 * answer, or a problem (a placeholder whose path the answer lacks, one naming
 * another message). A body without placeholders comes back as it is.
 */
export function fillPlaceholders(body: unknown, parentId: string, answer: unknown): { value: unknown } | { problem: string } {
  let problem: string | undefined;
  const fill = (node: unknown): unknown => {
    if (problem !== undefined || typeof node !== 'object' || node === null) return node;
    if (Array.isArray(node)) return node.map(fill);
    const record = node as Record<string, unknown>;
    if (typeof record.$outbox === 'string') {
      if (record.$outbox !== parentId) problem = `a placeholder names ${record.$outbox}, not the parent ${parentId}`;
      const path = typeof record.path === 'string' && record.path !== '' ? record.path.split('.') : [];
      const value = path.reduce<unknown>((at, key) => (typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined), answer);
      if (value === undefined) problem ??= `the answer of ${parentId} has no '${record.path ?? ''}'${answer === undefined ? ' (no JSON answer was kept)' : ''}`;
      return value;
    }
    return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fill(value)]));
  };
  const value = fill(body);
  return problem === undefined ? { value } : { problem };
}

/** The request to send with its JSON body filled in; a problem as a string. Non-JSON bodies go as they are. */
export async function withParentAnswer(request: Request, parentId: string, answer: unknown): Promise<Request | string> {
  if (!/json/i.test(request.headers.get('Content-Type') ?? '')) return request;
  let body: unknown;
  try {
    body = JSON.parse(await request.clone().text());
  } catch {
    return request;
  }
  const filled = fillPlaceholders(body, parentId, answer);
  if ('problem' in filled) return filled.problem;
  return new Request(request, { body: JSON.stringify(filled.value) });
}
