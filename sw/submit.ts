/**
 * A new message's way in: answered with the server's answer when it can be
 * sent at once, else with 202 once it is stored, or a `storage` failure.
 *
 * The straight path: when nothing runs or waits and the message may be sent
 * now, it goes out while its store is still being written (the page waits for
 * the slower of the two, not their sum). It runs under the lock like any pass,
 * and first checks the store itself: an entry another worker version queued is
 * older, so then the message takes its turn behind it. "The queue is empty" is
 * never a belief a worker carries from an earlier pass.
 *
 * A message that is not delivered is answered only once its store committed,
 * so it loses nothing it would not lose otherwise: a worker stopped before
 * then makes the page's fetch reject, which the client re-sends with the same
 * key. A delivered one is answered as soon as the server said so.
 */
import { queuedAnswer, storageFailure } from './page-answers.js';
import type { LoopReport, PassControl, Waiter } from './drain.js';
import type { Drain } from './drain.js';
import type { DrainLoop } from './drain-loop.js';
import type { Services } from './services.js';
import { messageIdOf, type EntryMetadata, type QueueEntry } from './request-queue.js';

/** A new message on its way into the store. */
export interface ArrivingMessage {
  /** Resolves to the entry id once the store committed (or found the id already queued); rejects when IndexedDB refused it. */
  stored: Promise<number>;
  /** The stored form (body sealed under `encrypt`): read it only after `stored` resolved. */
  requestData: QueueEntry['requestData'];
  metadata: EntryMetadata;
  /** Makes the request as the page sent it (secret headers included), for a first attempt that goes straight out. */
  live: () => Request;
}

export interface Submitted {
  response: Response;
  /** Settles when the work this message started is over (keeps the worker alive). */
  done: Promise<unknown>;
}

/** What taking a new message in uses: the drain and its pass, and the services both touch. */
export type SubmitDeps = Pick<Services, 'lock' | 'sessions' | 'announce' | 'trace' | 'queue' | 'secrets' | 'options' | 'armSync'> & {
  drain: Drain;
  loop: DrainLoop;
};

export async function submit(deps: SubmitDeps, id: string, namespace: string, lane: string, pending: ArrivingMessage): Promise<Submitted> {
  const { drain, lock, sessions, announce, trace } = deps;
  let answer!: (response: Response) => void;
  const answered = new Promise<Response>((resolve) => (answer = resolve));
  const waiter: Waiter = { id, namespace, lane, stored: pending.stored, resolve: answer };
  if (drain.idle && lock.waiting === 0 && drain.blocked('submit', lane) === undefined && sessions.isPresent(namespace) && !sessions.isPaused(namespace)) {
    const done = drain.run('submit', (control) => straightPass(deps, control, id, namespace, lane, pending), waiter);
    return { response: await answered, done };
  }
  const refused = await refusal(deps, id, pending);
  if (refused) return { response: refused, done: Promise.resolve() };
  drain.changed();
  const blocked = drain.blocked('submit', lane);
  const joined = blocked ? undefined : drain.join(waiter);
  if (joined) return { response: await answered, done: joined };
  const running = drain.running;
  if (running || blocked) {
    // Something is ahead of it, or it is too soon to try: it waits its turn.
    trace(id, `queued because ${blocked ? `the drain is ${blocked === 'offline' ? 'offline' : 'backing off'}` : 'a drain is busy ahead of it'}`);
    announce.status({ id, namespace, lane: lane || undefined, status: 'queued', attempts: 0 });
    return { response: queuedAnswer(id), done: running ?? deps.armSync() };
  }
  const done = drain.run('submit', undefined, waiter);
  return { response: await answered, done };
}

async function straightPass(deps: SubmitDeps, control: PassControl, id: string, namespace: string, lane: string, pending: ArrivingMessage): Promise<LoopReport> {
  const { queue, loop, secrets } = deps;
  // A message sent `after` another goes in a pass, which waits for its parent and fills in its answer.
  if (pending.metadata.after !== undefined) return afterStore(deps, control, id, pending);
  // Checked under the lock: an older entry (another worker version's) goes first.
  const [head] = await queue.all(1);
  if (head !== undefined && messageIdOf(head) !== id) return afterStore(deps, control, id, pending);
  const pass = loop.newPass(control);
  const outcome = await loop.sender.attempt(control, pending.live(), id, namespace, undefined, lane);
  // Delivered: the page may have the server's answer before the store
  // commits. A copy that commits afterwards is removed below; one that
  // outlives a stopped worker is replayed with the same key and deduplicated.
  if (outcome.verdict === 'delivered') control.answer(id, outcome.response);
  let entryId: number;
  try {
    entryId = await pending.stored;
  } catch (error) {
    // Not stored. A delivered message needs no copy; any other must not be answered 202.
    secrets.drop(id);
    control.answer(id, outcome.verdict === 'delivered' ? outcome.response : storageFailure(id, error));
    if (outcome.verdict === 'delivered') control.succeeded(lane);
    return pass.report;
  }
  const entry: QueueEntry = {
    id: entryId,
    queueName: deps.options.queueName,
    timestamp: pending.metadata.createdAtMs,
    requestData: pending.requestData,
    metadata: pending.metadata,
  };
  if (await loop.settler.settle(pass, entry, id, namespace, undefined, outcome)) loop.stopLane(pass, lane, 'transient');
  return loop.endPass(pass);
}

/** Not the head: stored first, then a normal pass takes it in turn (and answers its page). */
async function afterStore(deps: SubmitDeps, control: PassControl, id: string, pending: ArrivingMessage): Promise<LoopReport> {
  const refused = await refusal(deps, id, pending);
  if (!refused) return deps.loop.pass(control);
  control.answer(id, refused);
  return deps.loop.newPass(control).report;
}

/** Waits for the store; the page's answer when IndexedDB refused it (its secrets are dropped: nothing will send it). */
async function refusal(deps: SubmitDeps, id: string, pending: ArrivingMessage): Promise<Response | undefined> {
  try {
    await pending.stored;
    return undefined;
  } catch (error) {
    deps.secrets.drop(id);
    return storageFailure(id, error);
  }
}
