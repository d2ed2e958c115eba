/**
 * One pass of the drain: sends queued messages oldest first, one at a time,
 * and decides each message's fate from the server's answer. The pass runs in
 * a state of drain.ts (under the lock) and tells it what happens through
 * `PassControl`.
 *
 * Where we differ from Workbox's `Queue.replayRequests()`, and why:
 * - an entry leaves the store only after the server answered (Workbox deletes
 *   it first, so a worker stopped mid-send loses it);
 * - only 2xx is delivered; 408/425/429/5xx keep it queued (classify.ts);
 * - a transient failure stops the drain with order kept, and the next attempt
 *   waits for a backoff (or `Retry-After`) instead of the browser's 5 minutes;
 * - a permanent refusal marks that message failed and the drain goes on;
 * - a head that fails at the network level while the API answers is set
 *   aside after a few tries, not waited on for the whole retention time.
 */
import { failedAnswer, queuedAnswer } from './page-answers.js';
import type { Announcer } from './announcer.js';
import type { Outcome } from './classify.js';
import type { LoopReport, LoopStop, PassControl } from './drain.js';
import { parentState, withParentAnswer } from './dependents.js';
import { sideBySide } from './lanes.js';
import type { LedgerRecord } from './ledger.js';
import { createdAtOf, entryProblem, laneOf, messageIdOf, namespaceOf, type QueueEntry } from './request-queue.js';
import { Sender, type SendDeps } from './send.js';
import type { Services } from './services.js';
import { Settler, type PassState, type SettleDeps } from './settle.js';
import { isExpired, monotonicMs, wallNowMs } from './timing.js';

export type { PassState } from './settle.js';

/** Entries read per IndexedDB round trip; the drain never holds more than this in memory. */
const BATCH_SIZE = 32;
/** Expired entries behind a stuck head are found by a sweep, at most this often. */
const SWEEP_INTERVAL_MS = 60_000;

/** What a pass uses: the send and settle steps' slices, and the sync registration it arms and disarms. */
export type LoopDeps = SendDeps & SettleDeps & Pick<Services, 'armSync' | 'disarmSync'>;

export class DrainLoop {
  readonly #deps: LoopDeps;
  /** The send step (send.ts) and the settle step (settle.ts), which submit.ts uses too. */
  readonly sender: Sender;
  readonly settler: Settler;
  #lastSweepAtMs = -Infinity;

  constructor(deps: LoopDeps) {
    this.#deps = deps;
    this.sender = new Sender(deps);
    this.settler = new Settler(deps, this.sender);
  }

  newPass(control: PassControl, records = new Map<string, LedgerRecord>()): PassState {
    return {
      control,
      report: { trigger: control.trigger, delivered: 0, failed: 0, remaining: 0, stoppedBy: 'empty' },
      records,
      waiting: new Set(),
      handled: new Set(),
      seen: new Set(),
      answered: false,
      writes: [],
    };
  }

  readonly pass = async (control: PassControl): Promise<LoopReport> => {
    const { ledger, sessions, queue, options } = this.#deps;
    const [records] = await Promise.all([ledger.all(), sessions.prune()]);
    const pass = this.newPass(control, records);
    // A parent's answer is kept for its children, at most for the retention time, by when they expire too.
    for (const record of records.values()) {
      if (record.status === 'delivered' && isExpired(record.updatedAtMs, wallNowMs(), options.retentionMinutes)) pass.writes.push(ledger.delete(record.id));
    }
    const { report } = pass;
    /** The last entry looked at: entries left behind (waiting) are not read again. */
    let afterId: number | undefined;
    for (;;) {
      const batch = await queue.head(BATCH_SIZE, afterId);
      if (batch.length === 0) break;
      afterId = batch.at(-1)!.id;
      // Each lane's entries in queue order; lanes side by side, at most
      // `lanesAtOnce` at a time.
      // One lane (no `lane` option) that waits: nothing behind its head may
      // go, so the pass stops reading there. With lanes it reads on, for the
      // heads of the other lanes.
      const ours = batch.filter((entry) => entry.queueName === queue.name);
      for (const entry of ours) pass.seen.add(messageIdOf(entry));
      const lanes = new Map<string, QueueEntry[]>();
      for (const entry of ours) lanes.set(laneOf(entry), [...(lanes.get(laneOf(entry)) ?? []), entry]);
      await sideBySide([...lanes], options.lanesAtOnce, ([lane, entries]) => this.#lane(pass, lane, entries));
      const allWait = !options.lane && [...lanes.keys()].every((lane) => control.stopped.has(lane));
      // Once per batch, not per message: the sends did not wait for them, and
      // the pass holds at most a batch of them (a 10,000-message drain would
      // otherwise keep 10,000 promises until it ends).
      await Promise.all(pass.writes.splice(0));
      if (allWait || report.stoppedBy === 'yield' || report.stoppedBy === 'offline') break;
    }
    // Stopped before the end (an outage, offline, a backoff): what lies behind was not looked at.
    if (report.stoppedBy !== 'empty' && report.stoppedBy !== 'yield') await this.#sweepBehind(pass, afterId);
    return this.endPass(pass);
  };

  /** One lane's entries of a batch, in order: a lane that stops keeps the rest of its entries waiting, behind its head. */
  async #lane(pass: PassState, lane: string, entries: QueueEntry[]): Promise<void> {
    const { sessions, queue, trace } = this.#deps;
    const { control, records, waiting } = pass;
    for (const entry of entries) {
      const id = messageIdOf(entry);
      const namespace = namespaceOf(entry);
      const problem = entryProblem(entry);
      if (problem !== undefined) {
        await this.settler.fail(pass, entry, id, 'corrupt', problem);
        continue;
      }
      const record = records.get(id);
      if ((record !== undefined && record.status !== 'queued') || pass.handled.has(id)) {
        // A stop between "ledger says failed (or relayed)" and "remove the entry", or a
        // second entry of an id this pass already sent: finish it, never send.
        await queue.remove(entry);
        continue;
      }
      if (isExpired(createdAtOf(entry), wallNowMs(), this.#deps.options.retentionMinutes)) {
        await this.settler.expire(pass, entry, id);
        continue;
      }
      // Its lane's head failed or waits in this pass: order within the lane is kept.
      if (control.stopped.has(lane)) continue;
      if (waiting.has(namespace) || !sessions.isPresent(namespace) || sessions.isPaused(namespace)) {
        // Replayed only as its owner: its user's page is not open (or owes
        // us credentials). Later messages of that namespace wait too, so
        // FIFO holds within it; other namespaces go on.
        if (!waiting.has(namespace)) trace(id, `queued because no page of namespace '${namespace}' is open or it owes credentials`);
        waiting.add(namespace);
        if (control.waiter()?.id === id) control.answer(id);
        continue;
      }
      const after = entry.metadata?.after;
      let parent: { id: string; answer: unknown } | undefined;
      if (after !== undefined) {
        const state = parentState(after, pass.seen.has(after) && !pass.handled.has(after), records.get(after), this.#deps.parents);
        if (state.kind === 'failed') {
          await this.#setAsideChild(pass, entry, id, state.detail);
          continue;
        }
        if (state.kind === 'waiting') {
          // Its lane waits behind it, in order; the parent's delivery asks for one more pass (settle.ts).
          trace(id, `queued because its parent ${after} is not delivered yet`);
          control.stopped.add(lane);
          if (control.waiter()?.id === id) control.answer(id);
          continue;
        }
        parent = { id: after, answer: state.answer };
      }
      const stop = control.stop(lane);
      if (stop) {
        if (stop !== 'yield') trace(id, `queued because the drain stopped: ${stop}`);
        this.stopLane(pass, lane, stop);
        continue;
      }
      let prepared: Request | undefined | Outcome;
      try {
        prepared = await this.sender.prepare(entry, id, namespace);
      } catch (error) {
        // A record that passes `entryProblem` may still not make a Request
        // (a GET with a body, an invalid header name or mode, another
        // scheme). Sending it would fail the same way on every drain, as a
        // transient `network` error that keeps the queue stuck behind it.
        await this.settler.fail(pass, entry, id, 'corrupt', `cannot make a request of it (${error})`);
        continue;
      }
      if (prepared === undefined) {
        await this.settler.awaitCredentials(pass, entry, id, namespace, record?.attempts ?? 0);
        control.answer(id, queuedAnswer(id, 'auth'));
        waiting.add(namespace);
        continue;
      }
      if (parent !== undefined && prepared instanceof Request) {
        const filled = await withParentAnswer(prepared, parent.id, parent.answer);
        if (typeof filled === 'string') {
          await this.#setAsideChild(pass, entry, id, filled);
          continue;
        }
        prepared = filled;
      }
      const waiter = control.waiter();
      // Older messages of its lane first: it is queued.
      if (waiter?.lane === lane && waiter.id !== id) control.answer(undefined);
      const outcome = prepared instanceof Request ? await this.sender.attempt(control, prepared, id, namespace, record, lane) : prepared;
      if (await this.settler.settle(pass, entry, id, namespace, record, outcome)) this.stopLane(pass, lane, 'transient');
    }
  }

  /** A child whose parent failed (or whose answer lacks a value): failed, and its page told so if it waits for it. */
  async #setAsideChild(pass: PassState, entry: QueueEntry, id: string, detail: string): Promise<void> {
    await this.settler.fail(pass, entry, id, 'parent-failed', detail);
    if (pass.control.waiter()?.id === id) pass.control.answer(id, failedAnswer(id, 'parent-failed', detail));
  }

  /**
   * A lane waits for the rest of this pass. The report says the first lane's
   * stop (transient and backoff both arm the timer for every lane that
   * waits), or yield and offline, which end the pass for every lane.
   */
  stopLane({ report, control }: PassState, lane: string, stop: LoopStop): void {
    control.stopped.add(lane);
    if (report.stoppedBy === 'empty' || stop === 'yield' || stop === 'offline') report.stoppedBy = stop;
  }

  /** Waits for the pass's writes, then says how it ended and arranges the next try. */
  async endPass({ control, report, waiting, writes }: PassState): Promise<LoopReport> {
    await Promise.all(writes);
    if (report.stoppedBy === 'empty' && waiting.size > 0) report.stoppedBy = 'waiting';
    if (report.stoppedBy !== 'empty') {
      report.remaining = await this.#deps.queue.count();
      if (report.stoppedBy !== 'yield') {
        const retryAtMs = control.retryAtMs();
        if ((report.stoppedBy === 'transient' || report.stoppedBy === 'backoff') && retryAtMs !== undefined) report.retryAtMs = retryAtMs;
        // Registering the tag that is firing makes Chromium fire it again at
        // once: the sync handler decides instead (throw to be retried, or re-arm
        // on the last chance; see wiring.ts).
        if (report.trigger !== 'sync') await this.#deps.armSync();
      }
    } else {
      this.#deps.disarmSync();
    }
    if (report.stoppedBy !== 'yield') this.#deps.announce.drain(report as Parameters<Announcer['drain']>[0]);
    // Messages a relay holds are asked about after each pass (not awaited: GETs beside the queue, relayed.ts).
    void this.#deps.relayed.check();
    return report;
  }

  /**
   * Expired entries behind a head that cannot be sent (an outage) would
   * otherwise stay `queued` until the head moves: a sweep reads the rest of
   * the queue after the place the pass stopped, at most once a minute. The
   * pass checked the entries before it; the sweep runs after it, so the head
   * is tried without waiting for a read of the whole queue, and it reads in
   * batches, so it never holds more than a batch of bodies (10,000 queued
   * 16 kB messages were 160 MB in the worker at once).
   */
  async #sweepBehind(pass: PassState, afterId: number | undefined): Promise<void> {
    const { queue, options } = this.#deps;
    if (monotonicMs() - this.#lastSweepAtMs < SWEEP_INTERVAL_MS) return;
    this.#lastSweepAtMs = monotonicMs();
    for (;;) {
      // A user action waits for the lock: it goes first, the sweep comes again in a minute.
      if (pass.control.stop('') === 'yield') return;
      const batch = await queue.head(BATCH_SIZE, afterId);
      if (batch.length === 0) return;
      for (const entry of batch) {
        afterId = entry.id;
        const id = messageIdOf(entry);
        if (entry.queueName !== queue.name || entryProblem(entry) !== undefined || pass.records.get(id)?.status === 'failed') continue;
        if (isExpired(createdAtOf(entry), wallNowMs(), options.retentionMinutes)) await this.settler.expire(pass, entry, id);
      }
    }
  }
}

