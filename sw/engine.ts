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
import { queuedAnswer, storageFailure } from './answers.js';
import type { Announcer } from './announcer.js';
import { backoffDelayMs, classifyStatus, httpReason, parseRetryAfterMs } from './classify.js';
import { Exclusive } from './exclusive.js';
import type { Ledger, LedgerRecord } from './ledger.js';
import type { ResolvedOptions } from './options.js';
import { IDEMPOTENCY_KEY_HEADER, readDetail, type DrainReport, type DrainStop, type DrainTrigger, type Reason } from './protocol/messages.js';
import { KeyStore } from './keys.js';
import { createdAtOf, entryProblem, messageIdOf, namespaceOf, type EntryMetadata, type QueueEntry, type RequestQueue } from './request-queue.js';
import { Sessions } from './sessions.js';

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
  namespace: string;
  resolve: (response: Response) => void;
}

/** `yield`: a user action is waiting for the queue; the drain steps aside and resumes after it. */
type LoopStop = DrainStop | 'yield';
type LoopReport = Omit<DrainReport, 'stoppedBy'> & { stoppedBy: LoopStop };
type RequestData = QueueEntry['requestData'];

/** What one pass of the drain carries from message to message. */
interface Pass {
  report: LoopReport;
  notes: Map<string, LedgerRecord>;
  /** Namespaces whose messages wait (no page of theirs open, or no credentials). */
  waiting: Set<string>;
  /** Removals of delivered entries, issued but not awaited (see #settle). */
  writes: Promise<unknown>[];
}

/** A new message on its way into the store. */
export interface PendingMessage {
  /** Resolves to the entry's id once the store committed; rejects when IndexedDB refused it. */
  stored: Promise<number>;
  /** The stored form (body sealed under `encrypt`): read it only after `stored` resolved. */
  requestData: RequestData;
  metadata: EntryMetadata;
  /** Makes the request as the page sent it (secret headers included), for a first attempt that goes straight out. */
  live: () => Request;
}

export class Engine {
  readonly options: ResolvedOptions;
  readonly queue: RequestQueue;
  readonly ledger: Ledger;
  readonly announce: Announcer;
  readonly exclusive: Exclusive;
  readonly sessions = new Sessions();
  readonly keys = new KeyStore();
  /** Secret headers of messages sent in this worker's life, by message id: memory only, never stored. */
  readonly #secrets = new Map<string, { namespace: string; headers: Record<string, string>; atMs: number }>();
  /** Set by the installer: asks the browser for a `sync` event (no-op without Background Sync). */
  armSync: () => Promise<void> = async () => undefined;

  #draining: Promise<DrainReport> | undefined;
  #waiter: Waiter | undefined;
  /** Bumped after every push, so a drain that found the queue empty can tell whether it still is. */
  #pushes = 0;
  /** `#pushes` when the drain last read the queue. */
  #pushesRead = 0;
  #syncArmed = false;
  #sendingId: string | undefined;
  /** True while a drain runs its loop (it holds the lock and is not waiting for it). */
  #looping = false;
  #failures = 0;
  #lastFailureAtMs = 0;
  #nextAttemptAtMs = 0;
  #retryAfterUntilMs = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The backoff timer fired while a drain was running (joining it would do nothing if it is ending). */
  #timerFired = false;
  #lastSweepAtMs = 0;
  /** Nothing is queued, as far as this worker knows: set by a drain that emptied the queue, cleared by any message that stays. */
  #knownEmpty = false;

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

  /** A message entered the queue: nothing sent later may go straight past it. */
  stored(): void {
    this.#knownEmpty = false;
    this.#pushes += 1;
  }

  /** Keeps a message's secret headers in memory for its attempts in this worker's life. */
  holdSecrets(id: string, namespace: string, headers: Record<string, string>): void {
    this.#secrets.set(id, { namespace, headers, atMs: Date.now() });
  }

  dropSecrets(id: string): void {
    this.#secrets.delete(id);
  }

  /** The stored request with its body decrypted (for `list()`); the body is absent when the key is gone. */
  async readableBody(requestData: RequestData | undefined, metadata: QueueEntry['metadata']): Promise<RequestData | undefined> {
    const iv = metadata?.iv;
    if (!requestData || !iv || !(requestData.body instanceof ArrayBuffer)) return requestData;
    const body = await this.keys.open(metadata?.namespace ?? '', requestData.body, { iv });
    const { body: _sealed, ...rest } = requestData;
    return body ? { ...rest, body } : (rest as RequestData);
  }

  /**
   * Called with a new message whose store has started (`pending.stored`).
   * Answers the page with the server's answer, or 202 once it is stored, or a
   * `storage` failure when it could not be.
   */
  async submitted(id: string, namespace: string, pending: PendingMessage): Promise<{ response: Response; done: Promise<unknown> }> {
    if (this.#canGoStraight(namespace)) return this.#goStraight(id, namespace, pending);
    try {
      await pending.stored;
    } catch (error) {
      this.#secrets.delete(id);
      return { response: storageFailure(id, error), done: Promise.resolve() };
    }
    this.stored();
    const gate = this.#gate('submit', Date.now());
    // A drain that holds the lock and has nothing on the wire (it is between
    // messages, or finishing the one before this) reaches this message next,
    // or answers 202 as soon as it sends an older one: join it, so a message
    // sent right after another gets the server's answer, not a 202 while
    // nothing is ahead of it. A drain waiting for the lock (another version
    // of the worker is draining) or mid-send could keep the page waiting: 202.
    const joinable = this.#looping && this.#sendingId === undefined && this.#waiter === undefined;
    if ((this.#draining && !joinable) || gate) {
      // Something is ahead of it, or it is too soon to try: it waits its turn.
      this.announce.status({ id, namespace, status: 'queued', attempts: 0 });
      const done = gate ? this.#armSyncOnce() : this.#draining!;
      return { response: queuedAnswer(id), done };
    }
    const answered = new Promise<Response>((resolve) => {
      this.#waiter = { id, namespace, resolve };
    });
    const done = this.drain('submit');
    return { response: await answered, done };
  }

  /**
   * Runs a drain, or joins the one running. A failed send does not reject (the
   * report says what happened); IndexedDB failing does.
   */
  drain(trigger: DrainTrigger): Promise<DrainReport> {
    this.#draining ??= this.#exclusively(trigger, () => this.#loop(trigger));
    return this.#draining;
  }

  /** Runs `first`, then drain passes while they yield, under the lock; then looks for work left behind. */
  async #exclusively(trigger: DrainTrigger, first: () => Promise<LoopReport>): Promise<DrainReport> {
    let report: LoopReport | undefined;
    let pass = first;
    try {
      for (;;) {
        report = await this.exclusive.run(async () => {
          this.#looping = true;
          try {
            return await pass();
          } finally {
            this.#looping = false;
          }
        });
        if (report.stoppedBy !== 'yield') break;
        pass = () => this.#loop(trigger);
      }
      return report as DrainReport;
    } finally {
      this.#draining = undefined;
      const timerFired = this.#timerFired;
      this.#timerFired = false;
      if (report?.stoppedBy === 'empty' && this.#pushes !== this.#pushesRead) {
        // A message was stored after the loop last read the queue and its
        // page was told to wait for this drain (or joined it): one more
        // pass, or it would sit queued until the next trigger. Its waiter,
        // if any, is answered by that pass.
        this.#background('submit');
      } else {
        this.#answerWaiter();
        // The backoff timer fired while this drain was ending (a short
        // backoff, or a slow IndexedDB/registerSync in the drain's tail):
        // joining it did nothing, and no other timer is set. Its turn now.
        if (timerFired) this.#background('timer');
      }
    }
  }

  /**
   * The queue is empty and nothing stands in the way: send at once, while the
   * store is still being written. A message that is not delivered is answered
   * only once its store committed, so it loses nothing it would not lose
   * otherwise: a worker stopped before then makes the page's fetch reject,
   * which the client re-sends with the same key. A delivered one is answered
   * as soon as the server said so.
   */
  #canGoStraight(namespace: string): boolean {
    return (
      this.#knownEmpty &&
      !this.#draining &&
      this.exclusive.waiting === 0 &&
      this.#gate('submit', Date.now()) === undefined &&
      this.sessions.isPresent(namespace) &&
      !this.sessions.isPaused(namespace)
    );
  }

  async #goStraight(id: string, namespace: string, pending: PendingMessage): Promise<{ response: Response; done: Promise<unknown> }> {
    const answered = new Promise<Response>((resolve) => {
      this.#waiter = { id, namespace, resolve };
    });
    // Under the lock, like any drain: nobody else may read the new entry and send it too.
    const done = (this.#draining = this.#exclusively('submit', () => this.#straightPass(id, namespace, pending)));
    return { response: await answered, done };
  }

  async #straightPass(id: string, namespace: string, pending: PendingMessage): Promise<LoopReport> {
    const report: LoopReport = { trigger: 'submit', delivered: 0, failed: 0, remaining: 0, stoppedBy: 'empty' };
    const outcome = await this.#attempt(pending.live(), id, namespace, undefined);
    // Delivered: the page may have the server's answer before the store
    // commits. A copy that commits afterwards is removed below; one that
    // outlives a stopped worker is replayed with the same key and deduplicated.
    if (outcome.verdict === 'delivered') this.#answerWaiter(id, outcome.response);
    let entryId: number;
    try {
      entryId = await pending.stored;
    } catch (error) {
      // Not stored. A delivered message needs no copy; any other must not be answered 202.
      this.#secrets.delete(id);
      this.#answerWaiter(id, outcome.verdict === 'transient' ? storageFailure(id, error) : outcome.response);
      if (outcome.verdict === 'delivered') this.#succeeded();
      return report;
    }
    const entry: QueueEntry = {
      id: entryId,
      queueName: this.options.queueName,
      timestamp: pending.metadata.createdAtMs,
      requestData: pending.requestData,
      metadata: pending.metadata,
    };
    const pass: Pass = { report, notes: new Map(), waiting: new Set(), writes: [] };
    if (await this.#settle(pass, entry, id, namespace, undefined, outcome)) report.stoppedBy = 'transient';
    return this.#endPass(pass);
  }

  async #loop(trigger: DrainTrigger): Promise<LoopReport> {
    const report: LoopReport = { trigger, delivered: 0, failed: 0, remaining: 0, stoppedBy: 'empty' };
    const [notes] = await Promise.all([this.ledger.all(), this.sessions.prune()]);
    await this.#sweepIfDue(notes);
    /** Namespaces whose messages wait (no page of theirs open, or no credentials): skipped, in order. */
    const waiting = new Set<string>();
    const pass: Pass = { report, notes, waiting, writes: [] };
    /** The last entry looked at: entries left behind (waiting) are not read again. */
    let afterId: number | undefined;
    outer: for (;;) {
      const pushesBefore = this.#pushes;
      this.#pushesRead = pushesBefore;
      const batch = await this.queue.head(BATCH_SIZE, afterId);
      if (batch.length === 0) {
        // A message stored while we read would otherwise wait for the next trigger.
        if (this.#pushes !== pushesBefore) continue;
        break;
      }
      for (const entry of batch) {
        afterId = entry.id;
        const id = messageIdOf(entry);
        const namespace = namespaceOf(entry);
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
        if (waiting.has(namespace) || !this.sessions.isPresent(namespace) || this.sessions.isPaused(namespace)) {
          // Replayed only as its owner: its user's page is not open (or owes
          // us credentials). Later messages of that namespace wait too, so
          // FIFO holds within it; other namespaces go on.
          waiting.add(namespace);
          if (this.#waiter?.id === id) this.#answerWaiter();
          continue;
        }
        const stop = this.exclusive.waiting > 0 ? 'yield' : this.#gate(trigger, Date.now());
        if (stop) {
          report.stoppedBy = stop;
          break outer;
        }
        let request: Request | undefined;
        try {
          request = await this.#prepare(entry, id, namespace);
        } catch (error) {
          // A record that passes `entryProblem` may still not make a Request
          // (a GET with a body, an invalid header name or mode, another
          // scheme). Sending it would fail the same way on every drain, as a
          // transient `network` error that keeps the queue stuck behind it.
          await this.#fail(entry, id, 'corrupt', `the stored request cannot be rebuilt (${String(error)})`, notes);
          report.failed += 1;
          continue;
        }
        if (request === undefined) {
          await this.#awaitCredentials(entry, id, namespace, note?.attempts ?? 0, notes);
          this.#answerWaiter(id, queuedAnswer(id, 'auth'));
          waiting.add(namespace);
          continue;
        }
        if (this.#waiter && this.#waiter.id !== id) this.#answerWaiter(); // older messages first: it is queued
        const outcome = await this.#attempt(request, id, namespace, note);
        if (await this.#settle(pass, entry, id, namespace, note, outcome)) {
          report.stoppedBy = 'transient';
          break outer;
        }
      }
      // Once per batch, not per message: the sends did not wait for them, and
      // the pass holds at most a batch of them (a 10,000-message drain would
      // otherwise keep 10,000 promises until it ends).
      await Promise.all(pass.writes.splice(0));
    }
    if (report.stoppedBy === 'empty' && waiting.size === 0 && this.#pushes === this.#pushesRead) this.#knownEmpty = true;
    return this.#endPass(pass);
  }

  /**
   * Records what an answer means for one message. Returns `true` when the
   * drain must stop there (a transient failure: order is kept).
   */
  async #settle(pass: Pass, entry: QueueEntry, id: string, namespace: string, note: LedgerRecord | undefined, outcome: Outcome): Promise<boolean> {
    const { report, notes, waiting } = pass;
    const attempts = (note?.attempts ?? 0) + 1;
    if (outcome.verdict === 'rejected' && outcome.response.status === 401) {
      // Not this message's fault: the credentials are stale. It waits, with
      // the rest of its namespace, for fresh ones instead of failing.
      this.sessions.pause(namespace);
      for (const [secretId, secret] of this.#secrets) if (secret.namespace === namespace) this.#secrets.delete(secretId);
      await this.#awaitCredentials(entry, id, namespace, attempts, notes);
      // The message is kept: the page hears `queued` (reason auth), not the
      // server's 401, which the client would report as a failed message.
      this.#answerWaiter(id, queuedAnswer(id, 'auth'));
      this.#knownEmpty = false;
      waiting.add(namespace);
      return false;
    }
    if (outcome.verdict === 'delivered') {
      // The page may have its answer now; the bookkeeping below is ours.
      this.#answerWaiter(id, outcome.response);
      this.#succeeded();
      // Not awaited before the next send: the server has the message, and a
      // stop before these commit only means a replay with the same key.
      pass.writes.push(this.queue.remove(entry.id));
      if (note) pass.writes.push(this.ledger.delete(id));
      notes.delete(id);
      this.#secrets.delete(id);
      this.announce.status({ id, namespace, status: 'delivered', attempts });
      report.delivered += 1;
      return false;
    }
    if (outcome.verdict === 'rejected') {
      this.#succeeded(); // the server answered: it is up, so no backoff for the next one
      // Recorded before the page hears of it, so its next list() shows the failure.
      await this.#fail(entry, id, outcome.reason, outcome.detail, notes, attempts);
      this.#answerWaiter(id, outcome.response);
      report.failed += 1;
      return false;
    }
    const record = noteFor(entry, id, attempts, outcome.reason, this.options.queueName);
    await this.ledger.put(record);
    notes.set(id, record);
    this.#knownEmpty = false;
    this.#failed(outcome.retryAfterMs);
    this.announce.status({ id, namespace, status: 'queued', attempts, reason: outcome.reason });
    this.#answerWaiter(id, queuedAnswer(id));
    return true;
  }

  /** Waits for the pass's writes, then says how it ended and arranges the next try. */
  async #endPass({ report, waiting, writes }: Pass): Promise<LoopReport> {
    await Promise.all(writes);
    if (report.stoppedBy === 'empty' && waiting.size > 0) report.stoppedBy = 'waiting';
    if (report.stoppedBy !== 'empty') {
      report.remaining = await this.queue.count();
      if (report.stoppedBy !== 'yield') {
        if (report.stoppedBy === 'transient' || report.stoppedBy === 'backoff') report.retryAtMs = this.#nextAttemptAtMs;
        // Registering the tag that is firing makes Chromium fire it again at
        // once: the sync handler decides instead (throw to be retried, or re-arm
        // on the last chance; see install.ts).
        if (report.trigger !== 'sync') await this.#armSyncOnce();
      }
    } else {
      this.#syncArmed = false;
    }
    if (report.stoppedBy !== 'yield') this.announce.drain(report as DrainReport);
    return report;
  }

  /**
   * Why not to send now, or `undefined` to go ahead.
   * After a failure, `online`, `probe`, `sync` and `manual` are evidence that
   * the server may be back and may try after `retryBaseMs`; the timer, worker
   * start and new messages wait for the backoff. Nothing tries before the server's `Retry-After`.
   */
  #gate(trigger: DrainTrigger, nowMs: number): DrainStop | undefined {
    if (self.navigator.onLine === false) return 'offline';
    if (nowMs < this.#retryAfterUntilMs) return 'backoff';
    if (this.#failures === 0) return undefined;
    // A person pressing "send now" counts as evidence too; a flood of flushes
    // still makes at most one attempt per retryBaseMs (they join one drain).
    const evidence = trigger === 'online' || trigger === 'probe' || trigger === 'sync' || trigger === 'manual';
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
    this.#timer = setTimeout(() => {
      if (this.#draining) this.#timerFired = true;
      else this.#background('timer');
    }, delayMs);
  }

  /** A drain nobody awaits: a storage failure is reported, not left as an unhandled rejection. */
  #background(trigger: DrainTrigger): void {
    this.drain(trigger).catch((error: unknown) => console.error(`outbox: ${trigger} drain failed`, error));
  }

  /** For callers that do not wait on the drain they ask for. */
  kick(trigger: DrainTrigger): void {
    this.#background(trigger);
  }

  #succeeded(): void {
    this.#failures = 0;
    this.#retryAfterUntilMs = 0;
    this.#nextAttemptAtMs = 0;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * The stored request, ready to send: decrypted, with its secret headers
   * back (from this worker's memory, or the namespace's session credentials),
   * through `beforeReplay`. `undefined` when it needs credentials nobody has
   * handed over; throws when the record cannot make a request.
   */
  async #prepare(entry: QueueEntry, id: string, namespace: string): Promise<Request | undefined> {
    let requestData = entry.requestData;
    if (entry.metadata?.iv) {
      requestData = (await this.readableBody(requestData, entry.metadata))!;
      if (!(requestData.body instanceof ArrayBuffer)) throw new Error('its encryption key is gone (purged), so it cannot be read');
    }
    const request = rebuildRequest(requestData, id);
    let missing = false;
    const session = this.sessions.credentialsOf(namespace);
    const secret = this.#secrets.get(id);
    const held = secret?.headers;
    // Whichever the page handed over last wins. A message's own live header is
    // newer than credentials declared at page load (a site that refreshed its
    // token and sends with it must not be replayed with the stale one: 401,
    // paused); credentials handed over after the message was sent (a refresh,
    // a new sign-in after a 401) are newer than its header.
    const heldFirst = secret !== undefined && secret.atMs > this.sessions.credentialsAtMs(namespace);
    for (const name of entry.metadata?.strippedHeaders ?? []) {
      const fromSession = name === 'authorization' ? session?.authorization : undefined;
      const value = heldFirst ? held?.[name] ?? fromSession : fromSession ?? held?.[name];
      if (value === undefined) missing = true;
      else request.headers.set(name, value);
    }
    if (this.options.beforeReplay) return this.options.beforeReplay(request, { id, namespace });
    return missing ? undefined : request;
  }

  /** Marks a message `queued` with reason `auth` (once, not on every drain). */
  async #awaitCredentials(entry: QueueEntry, id: string, namespace: string, attempts: number, notes: Map<string, LedgerRecord>): Promise<void> {
    if (notes.get(id)?.reason === 'auth' && notes.get(id)?.attempts === attempts) return;
    const record = noteFor(entry, id, attempts, 'auth', this.options.queueName);
    await this.ledger.put(record);
    notes.set(id, record);
    this.announce.status({ id, namespace, status: 'queued', attempts, reason: 'auth' });
  }

  async #attempt(request: Request, id: string, namespace: string, note: LedgerRecord | undefined): Promise<Outcome> {
    this.#sendingId = id;
    this.announce.status({ id, namespace, status: 'sending', attempts: (note?.attempts ?? 0) + 1, ...(note?.reason ? { reason: note.reason } : {}) });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
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
    if (entry.metadata) record.metadata = entry.metadata;
    if (detail !== undefined) record.detail = detail;
    await this.ledger.put(record);
    await this.queue.remove(entry.id);
    notes.set(id, record);
    this.#secrets.delete(id);
    this.announce.status({ id, namespace: record.namespace ?? '', status: 'failed', attempts: record.attempts, reason, ...(detail !== undefined ? { detail } : {}) });
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
    if (!response) this.announce.status({ id: waiter.id, namespace: waiter.namespace, status: 'queued', attempts: 0 });
  }
}

/** The stored request, ready to send; throws when the record cannot make one. */
function rebuildRequest(requestData: RequestData, id: string): Request {
  // A re-sent message carries its original Idempotency-Key: it is in the stored headers.
  const request = new StorableRequest(requestData).toRequest();
  const { protocol } = new URL(request.url);
  if (protocol !== 'https:' && protocol !== 'http:') throw new TypeError(`cannot send to a ${protocol} URL`);
  // Adopted entries of the plain recipe have no key yet: their id becomes it.
  if (!request.headers.has(IDEMPOTENCY_KEY_HEADER)) request.headers.set(IDEMPOTENCY_KEY_HEADER, id);
  return request;
}

/** The ledger note of a queued message that was tried. */
function noteFor(entry: QueueEntry, id: string, attempts: number, reason: Reason, queueName: string): LedgerRecord {
  const record: LedgerRecord = {
    id,
    queueName,
    status: 'queued',
    attempts,
    reason,
    url: String(entry.requestData?.url ?? ''),
    createdAtMs: createdAtOf(entry),
    updatedAtMs: Date.now(),
  };
  const namespace = namespaceOf(entry);
  if (namespace !== '') record.namespace = namespace;
  return record;
}
