/**
 * The drain: sends queued messages oldest first, one at a time, and decides
 * each message's fate from the server's answer.
 *
 * Where we differ from Workbox's `Queue.replayRequests()`, and why:
 * - an entry leaves the store only after the server answered (Workbox deletes
 *   it first, so a worker stopped mid-send loses it);
 * - only 2xx is delivered; 408/425/429/5xx keep it queued (classify.ts);
 * - a transient failure stops the drain with order kept, and the next attempt
 *   waits for a backoff (or `Retry-After`) instead of the browser's 5 minutes;
 * - a permanent refusal marks that message failed and the drain goes on;
 * - one drain at a time (exclusive.ts), whatever started it.
 */
import { StorableRequest } from 'workbox-background-sync';
import { queuedAnswer } from './answers.js';
import type { Announcer } from './announcer.js';
import { backoffDelayMs, classifyStatus, httpReason, parseRetryAfterMs } from './classify.js';
import { Exclusive } from './exclusive.js';
import type { Ledger, LedgerRecord } from './ledger.js';
import type { ResolvedOptions } from './options.js';
import { IDEMPOTENCY_KEY_HEADER, readDetail, type DrainReport, type DrainStop, type DrainTrigger, type Reason } from './protocol/messages.js';
import { createdAtOf, entryProblem, messageIdOf, type QueueEntry, type RequestQueue } from './request-queue.js';

/** Entries read per IndexedDB round trip; the drain never holds more than this in memory. */
const BATCH_SIZE = 32;
/** Expired entries behind a stuck head are found by a sweep, at most this often. */
const SWEEP_INTERVAL_MS = 60_000;

type Outcome =
  | { verdict: 'delivered'; response: Response }
  | { verdict: 'rejected'; response: Response; reason: Reason; detail?: string }
  | { verdict: 'transient'; reason: Reason; retryAfterMs?: number };

interface Waiter {
  id: string;
  resolve: (response: Response) => void;
}

/** `yield`: a user action is waiting for the queue; the drain steps aside and resumes after it. */
type LoopStop = DrainStop | 'yield';
type LoopReport = Omit<DrainReport, 'stoppedBy'> & { stoppedBy: LoopStop };

export class Engine {
  readonly options: ResolvedOptions;
  readonly queue: RequestQueue;
  readonly ledger: Ledger;
  readonly announce: Announcer;
  readonly exclusive: Exclusive;
  /** Set by the installer: asks the browser for a `sync` event (no-op without Background Sync). */
  armSync: () => Promise<void> = async () => undefined;

  #draining: Promise<DrainReport> | undefined;
  #waiter: Waiter | undefined;
  /** Bumped after every push, so a drain that found the queue empty can tell whether it still is. */
  #pushes = 0;
  #syncArmed = false;
  #sendingId: string | undefined;
  #failures = 0;
  #lastFailureAtMs = 0;
  #nextAttemptAtMs = 0;
  #retryAfterUntilMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastSweepAtMs = 0;

  constructor(options: ResolvedOptions, queue: RequestQueue, ledger: Ledger, announce: Announcer) {
    this.options = options;
    this.queue = queue;
    this.ledger = ledger;
    this.announce = announce;
    this.exclusive = new Exclusive(`outbox:${options.queueName}`);
  }

  /** The id on the wire right now, if any (shown as `sending` by `list()`). */
  get sendingId(): string | undefined {
    return this.#sendingId;
  }

  /** The browser fired our sync: the registration is used up, the next push must arm a new one. */
  syncFired(): void {
    this.#syncArmed = false;
  }

  /** Called after a new message was stored. Answers the page with the server's answer, or 202. */
  async submitted(id: string): Promise<{ response: Response; done: Promise<unknown> }> {
    this.#pushes += 1;
    const gate = this.#gate('submit', Date.now());
    if (this.#draining || gate) {
      // Something is ahead of it, or it is too soon to try: it waits its turn.
      this.announce.status({ id, status: 'queued', attempts: 0 });
      const done = gate ? this.#armSyncOnce() : this.#draining!;
      return { response: queuedAnswer(id), done };
    }
    const answered = new Promise<Response>((resolve) => {
      this.#waiter = { id, resolve };
    });
    const done = this.drain('submit');
    return { response: await answered, done };
  }

  /** Runs a drain, or joins the one running. Never rejects for a failed send; the report says what happened. */
  drain(trigger: DrainTrigger): Promise<DrainReport> {
    this.#draining ??= (async () => {
      try {
        let report: LoopReport;
        do {
          report = await this.exclusive.run(() => this.#loop(trigger));
        } while (report.stoppedBy === 'yield');
        return report as DrainReport;
      } finally {
        this.#draining = undefined;
        this.#answerWaiter();
      }
    })();
    return this.#draining;
  }

  async #loop(trigger: DrainTrigger): Promise<LoopReport> {
    const report: LoopReport = { trigger, delivered: 0, failed: 0, remaining: 0, stoppedBy: 'empty' };
    const notes = await this.ledger.all();
    await this.#sweepIfDue(notes);
    outer: for (;;) {
      const pushesBefore = this.#pushes;
      const batch = await this.queue.head(BATCH_SIZE);
      if (batch.length === 0) {
        // A message stored while we read would otherwise wait for the next trigger.
        if (this.#pushes !== pushesBefore) continue;
        break;
      }
      for (const entry of batch) {
        const id = messageIdOf(entry);
        const problem = entryProblem(entry);
        if (problem !== undefined) {
          await this.#fail(entry, id, 'corrupt', problem, notes);
          report.failed += 1;
          continue;
        }
        const note = notes.get(id);
        if (note?.status === 'failed') {
          // A stop between "ledger says failed" and "remove the entry": finish it, never send.
          await this.queue.remove(entry.id);
          continue;
        }
        if (this.#expired(entry, Date.now())) {
          await this.#fail(entry, id, 'expired', `not delivered within ${this.options.retentionMinutes} minutes`, notes);
          report.failed += 1;
          continue;
        }
        const stop = this.exclusive.waiting > 0 ? 'yield' : this.#gate(trigger, Date.now());
        if (stop) {
          report.stoppedBy = stop;
          break outer;
        }
        if (this.#waiter && this.#waiter.id !== id) this.#answerWaiter(); // older messages first: it is queued
        const outcome = await this.#attempt(entry, id, note);
        if (outcome.verdict === 'delivered') {
          // The page may have its answer now; the bookkeeping below is ours.
          this.#answerWaiter(id, outcome.response);
          this.#succeeded();
          await this.queue.remove(entry.id);
          if (note) await this.ledger.delete(id);
          notes.delete(id);
          this.announce.status({ id, status: 'delivered', attempts: (note?.attempts ?? 0) + 1 });
          report.delivered += 1;
        } else if (outcome.verdict === 'rejected') {
          this.#succeeded(); // the server answered: it is up, so no backoff for the next one
          // Recorded before the page hears of it, so its next list() shows the failure.
          await this.#fail(entry, id, outcome.reason, outcome.detail, notes, (note?.attempts ?? 0) + 1);
          this.#answerWaiter(id, outcome.response);
          report.failed += 1;
        } else {
          const attempts = (note?.attempts ?? 0) + 1;
          const record = noteFor(entry, id, attempts, outcome.reason, this.options.queueName);
          await this.ledger.put(record);
          notes.set(id, record);
          this.#failed(outcome.retryAfterMs);
          this.announce.status({ id, status: 'queued', attempts, reason: outcome.reason });
          this.#answerWaiter(id, queuedAnswer(id));
          report.stoppedBy = 'transient';
          break outer;
        }
      }
    }
    if (report.stoppedBy !== 'empty') {
      report.remaining = await this.queue.count();
      if (report.stoppedBy !== 'yield') {
        if (report.stoppedBy !== 'offline') report.retryAtMs = this.#nextAttemptAtMs;
        // Registering the tag that is firing makes Chromium fire it again at
        // once: the sync handler decides instead (throw to be retried, or re-arm
        // on the last chance; see install.ts).
        if (trigger !== 'sync') await this.#armSyncOnce();
      }
    } else {
      this.#syncArmed = false;
    }
    if (report.stoppedBy !== 'yield') this.announce.drain(report as DrainReport);
    return report;
  }

  /**
   * Why not to send now, or `undefined` to go ahead.
   * After a failure, `online`, `probe` and `sync` are evidence that the server
   * may be back and may try after `retryBaseMs`; anything else waits for the
   * backoff. Nothing tries before the server's `Retry-After`.
   */
  #gate(trigger: DrainTrigger, nowMs: number): DrainStop | undefined {
    if (self.navigator.onLine === false) return 'offline';
    if (nowMs < this.#retryAfterUntilMs) return 'backoff';
    if (this.#failures === 0) return undefined;
    const evidence = trigger === 'online' || trigger === 'probe' || trigger === 'sync';
    const earliestMs = evidence ? this.#lastFailureAtMs + this.options.retryBaseMs : this.#nextAttemptAtMs;
    return nowMs < earliestMs ? 'backoff' : undefined;
  }

  #failed(retryAfterMs: number | undefined): void {
    const nowMs = Date.now();
    this.#failures += 1;
    this.#lastFailureAtMs = nowMs;
    const delayMs = Math.max(backoffDelayMs(this.#failures, this.options.retryBaseMs, this.options.retryMaxMs), retryAfterMs ?? 0);
    this.#nextAttemptAtMs = nowMs + delayMs;
    this.#retryAfterUntilMs = retryAfterMs === undefined ? 0 : nowMs + retryAfterMs;
    // A timer only helps while the worker lives; the page's probe and the sync
    // event cover the time after the browser stopped it.
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.drain('timer'), delayMs);
  }

  #succeeded(): void {
    this.#failures = 0;
    this.#retryAfterUntilMs = 0;
    this.#nextAttemptAtMs = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #attempt(entry: QueueEntry, id: string, note: LedgerRecord | undefined): Promise<Outcome> {
    this.#sendingId = id;
    this.announce.status({ id, status: 'sending', attempts: (note?.attempts ?? 0) + 1, ...(note?.reason ? { reason: note.reason } : {}) });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      // A re-sent message carries its original Idempotency-Key: it is in the stored headers.
      const request = new StorableRequest(entry.requestData).toRequest();
      // Adopted entries of the plain recipe have no key yet: their id becomes it.
      if (!request.headers.has(IDEMPOTENCY_KEY_HEADER)) request.headers.set(IDEMPOTENCY_KEY_HEADER, id);
      const response = await fetch(request, { signal: controller.signal });
      const verdict = classifyStatus(response.status);
      if (verdict === 'delivered') return { verdict, response };
      if (verdict === 'rejected') {
        const detail = await readDetail(response);
        return { verdict, response, reason: httpReason(response.status), ...(detail ? { detail } : {}) };
      }
      const retryAfterMs = parseRetryAfterMs(response.headers.get('Retry-After'), Date.now());
      return { verdict, reason: httpReason(response.status), ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    } catch {
      return { verdict: 'transient', reason: controller.signal.aborted ? 'timeout' : 'network' };
    } finally {
      clearTimeout(timer);
      this.#sendingId = undefined;
    }
  }

  /** Moves a message to `failed`, keeping its request for `retry`. Ledger first: see ledger.ts. */
  async #fail(entry: QueueEntry, id: string, reason: Reason, detail: string | undefined, notes: Map<string, LedgerRecord>, attempts?: number): Promise<void> {
    const record: LedgerRecord = {
      ...noteFor(entry, id, attempts ?? notes.get(id)?.attempts ?? 0, reason, this.options.queueName),
      status: 'failed',
      requestData: entry.requestData,
    };
    if (detail !== undefined) record.detail = detail;
    await this.ledger.put(record);
    await this.queue.remove(entry.id);
    notes.set(id, record);
    this.announce.status({ id, status: 'failed', attempts: record.attempts, reason, ...(detail !== undefined ? { detail } : {}) });
  }

  #expired(entry: QueueEntry, nowMs: number): boolean {
    return nowMs - createdAtOf(entry) > this.options.retentionMinutes * 60_000;
  }

  /**
   * Expired entries behind a head that cannot be sent would otherwise stay
   * `queued` until the head moves; notes whose entry is gone (a stop between
   * "entry removed" and "note removed" on delivery) are cleaned.
   */
  async #sweepIfDue(notes: Map<string, LedgerRecord>): Promise<void> {
    const nowMs = Date.now();
    if (nowMs - this.#lastSweepAtMs < SWEEP_INTERVAL_MS) return;
    this.#lastSweepAtMs = nowMs;
    const entries = await this.queue.all();
    const queued = new Set<string>();
    for (const entry of entries) {
      const id = messageIdOf(entry);
      queued.add(id);
      if (entryProblem(entry) === undefined && notes.get(id)?.status !== 'failed' && this.#expired(entry, nowMs)) {
        await this.#fail(entry, id, 'expired', `not delivered within ${this.options.retentionMinutes} minutes`, notes);
      }
    }
    for (const [id, note] of notes) {
      if (note.status === 'queued' && !queued.has(id)) {
        await this.ledger.delete(id);
        notes.delete(id);
      }
    }
  }

  /**
   * One `sync` registration per outage is enough; registering on every push
   * costs an IPC per message. Re-armed whenever entries remain, so the queue
   * never stalls after the browser's last-chance attempt.
   */
  async #armSyncOnce(): Promise<void> {
    if (this.#syncArmed) return;
    this.#syncArmed = true;
    await this.armSync();
  }

  /** Gives the page its answer: the server's for its own message, else 202 queued. */
  #answerWaiter(id?: string, response?: Response): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    if (id !== undefined && waiter.id !== id) return;
    this.#waiter = undefined;
    waiter.resolve(response ?? queuedAnswer(waiter.id));
    if (!response) this.announce.status({ id: waiter.id, status: 'queued', attempts: 0 });
  }
}

/** The ledger note of a queued message that was tried. */
function noteFor(entry: QueueEntry, id: string, attempts: number, reason: Reason, queueName: string): LedgerRecord {
  return {
    id,
    queueName,
    status: 'queued',
    attempts,
    reason,
    url: String(entry.requestData?.url ?? ''),
    createdAtMs: createdAtOf(entry),
    updatedAtMs: Date.now(),
  };
}
