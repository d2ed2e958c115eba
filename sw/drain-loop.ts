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
import { failedAnswer, queuedAnswer } from './answers.js';
import type { Announcer } from './announcer.js';
import { outcomeOf, type Outcome } from './classify.js';
import type { LoopReport, LoopStop, PassControl } from './drain.js';
import { sideBySide } from './lanes.js';
import { open } from './keys.js';
import type { LedgerRecord } from './ledger.js';
import { askServer } from './lookup.js';
import type { Parts } from './parts.js';
import { IDEMPOTENCY_KEY_HEADER, RELAY_HEADER, type Reason } from './protocol/messages.js';
import { createdAtOf, entryProblem, laneOf, messageIdOf, namespaceOf, toRequest, type QueueEntry } from './request-queue.js';
import { isExpired, monotonicMs, wallNowMs } from './timing.js';

/** Entries read per IndexedDB round trip; the drain never holds more than this in memory. */
const BATCH_SIZE = 32;
/** Expired entries behind a stuck head are found by a sweep, at most this often. */
const SWEEP_INTERVAL_MS = 60_000;

type RequestData = QueueEntry['requestData'];

/** What one pass carries from message to message. */
export interface PassState {
  control: PassControl;
  report: LoopReport;
  notes: Map<string, LedgerRecord>;
  /** Namespaces whose messages wait (no page of theirs open, or no credentials). */
  waiting: Set<string>;
  /** Ids sent or set aside in this pass: another entry of one (a duplicate an older version stored) is removed unsent. */
  handled: Set<string>;
  /** The server answered something in this pass: evidence the API is up. */
  answered: boolean;
  /** Removals of delivered entries, issued but not awaited (see settle). */
  writes: Promise<unknown>[];
}

export type LoopDeps = Omit<Parts, 'loop' | 'drain' | 'exclusive'>;

export class DrainLoop {
  readonly #deps: LoopDeps;
  #lastSweepAtMs = -Infinity;

  constructor(deps: LoopDeps) {
    this.#deps = deps;
  }

  newPass(control: PassControl, notes = new Map<string, LedgerRecord>()): PassState {
    return {
      control,
      report: { trigger: control.trigger, delivered: 0, failed: 0, remaining: 0, stoppedBy: 'empty' },
      notes,
      waiting: new Set(),
      handled: new Set(),
      answered: false,
      writes: [],
    };
  }

  readonly pass = async (control: PassControl): Promise<LoopReport> => {
    const { ledger, sessions, queue, options } = this.#deps;
    const [notes] = await Promise.all([ledger.all(), sessions.prune()]);
    const pass = this.newPass(control, notes);
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
    const { control, report, notes, waiting } = pass;
    for (const entry of entries) {
      const id = messageIdOf(entry);
      const namespace = namespaceOf(entry);
      const problem = entryProblem(entry);
      if (problem !== undefined) {
        await this.fail(pass, entry, id, 'corrupt', problem);
        continue;
      }
      const note = notes.get(id);
      if (note?.status === 'failed' || note?.status === 'relayed' || pass.handled.has(id)) {
        // A stop between "ledger says failed (or relayed)" and "remove the entry", or a
        // second entry of an id this pass already sent: finish it, never send.
        await queue.remove(entry);
        continue;
      }
      if (isExpired(createdAtOf(entry), wallNowMs(), this.#deps.options.retentionMinutes)) {
        await this.#expire(pass, entry, id);
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
      const stop = control.stop(lane);
      if (stop) {
        if (stop !== 'yield') trace(id, `queued because the drain stopped: ${stop}`);
        this.stopLane(pass, lane, stop);
        continue;
      }
      let prepared: Request | undefined | Outcome;
      try {
        prepared = await this.#prepare(entry, id, namespace);
      } catch (error) {
        // A record that passes `entryProblem` may still not make a Request
        // (a GET with a body, an invalid header name or mode, another
        // scheme). Sending it would fail the same way on every drain, as a
        // transient `network` error that keeps the queue stuck behind it.
        await this.fail(pass, entry, id, 'corrupt', `cannot make a request of it (${error})`);
        continue;
      }
      if (prepared === undefined) {
        await this.#awaitCredentials(pass, entry, id, namespace, note?.attempts ?? 0);
        control.answer(id, queuedAnswer(id, 'auth'));
        waiting.add(namespace);
        continue;
      }
      const waiter = control.waiter();
      // Older messages of its lane first: it is queued.
      if (waiter?.lane === lane && waiter.id !== id) control.answer(undefined);
      const outcome = prepared instanceof Request ? await this.attempt(control, prepared, id, namespace, note, lane) : prepared;
      if (await this.settle(pass, entry, id, namespace, note, outcome)) this.stopLane(pass, lane, 'transient');
    }
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

  /**
   * Records what an answer means for one message. Returns `true` when the
   * drain must stop there (a transient failure: order is kept).
   */
  async settle(pass: PassState, entry: QueueEntry, id: string, namespace: string, note: LedgerRecord | undefined, outcome: Outcome): Promise<boolean> {
    const { queue, ledger, sessions, secrets, announce, trace, options } = this.#deps;
    const { control, report, notes, waiting } = pass;
    const attempts = (note?.attempts ?? 0) + 1;
    const lane = laneOf(entry);
    if (outcome.verdict !== 'transient') pass.answered = true;
    if (outcome.verdict === 'auth') {
      // Not this message's fault: the credentials (or the cookie session) are
      // stale. It waits, with the rest of its namespace, for fresh ones.
      sessions.pause(namespace);
      secrets.dropNamespace(namespace);
      await this.#awaitCredentials(pass, entry, id, namespace, attempts);
      // The message is kept: the page hears `queued` (reason auth), not the
      // server's 401, which the client would report as a failed message.
      control.answer(id, queuedAnswer(id, 'auth'));
      waiting.add(namespace);
      return false;
    }
    if (outcome.verdict === 'delivered') {
      // The page may have its answer now; the bookkeeping below is ours.
      control.answer(id, outcome.response);
      control.succeeded(lane);
      // A relay's own 202 (its marker header): off this device, not yet at the API.
      const status = outcome.response.headers.has(RELAY_HEADER) ? 'relayed' : 'delivered';
      if (status === 'relayed' && options.lookupUrl !== undefined) {
        // Followed until the relay says the API has it (relayed.ts): the record first, then the entry goes (as fail).
        await ledger.put(this.#deps.relayed.relayedRecord(noteFor(entry, id, attempts, undefined, options.queueName), entry.requestData, entry.metadata, entry.id));
        pass.writes.push(queue.remove(entry));
      } else {
        // Not awaited before the next send: the server has the message, and a
        // stop before these commit only means a replay with the same key.
        pass.writes.push(queue.remove(entry));
        // With a lookup every send left an on-the-wire note (attempt), also a first one.
        if (note || options.lookupUrl !== undefined) pass.writes.push(ledger.delete(id));
      }
      notes.delete(id);
      pass.handled.add(id);
      secrets.drop(id);
      trace(id, status);
      announce.status({ id, namespace, lane: lane || undefined, status, attempts });
      report.delivered += 1;
      return false;
    }
    if (outcome.verdict === 'rejected') {
      control.succeeded(lane); // the server answered: it is up, so no backoff for the next one
      // Recorded before the page hears of it, so its next list() shows the failure.
      await this.fail(pass, entry, id, outcome.reason, outcome.detail, attempts);
      // A redirect's final answer is some other page's: the page would read its 200 as delivery.
      control.answer(id, outcome.response.redirected ? failedAnswer(id, outcome.reason, outcome.detail) : outcome.response);
      return false;
    }
    const record: LedgerRecord = { ...noteFor(entry, id, attempts, outcome.reason, options.queueName), detail: outcome.detail, strikes: note?.strikes, firstStrikeAtMs: note?.firstStrikeAtMs };
    if (outcome.reason === 'network' && (pass.answered || (control.trigger === 'probe' && (await this.#endpointAnswers(entry))))) {
      // The chat endpoint answers (another message in this pass, or a HEAD of
      // this message's own URL right now) but this message never gets
      // through: a redirect CORS refuses, a route that drops it. Waited on, it
      // would hold every message behind it for the whole retention time. A
      // health probe that succeeds is only the hint to look: health and chat
      // are often served by different processes, and a chat-only outage must
      // keep its messages queued, in order, not set them aside.
      record.strikes = (record.strikes ?? 0) + 1;
      record.firstStrikeAtMs ??= wallNowMs();
      const { setAsideAfterTries, setAsideAfterMs } = options;
      if (record.strikes >= setAsideAfterTries || (record.strikes > 1 && wallNowMs() - record.firstStrikeAtMs >= setAsideAfterMs)) {
        const detail = `network error on ${record.strikes} tries while the API answered`;
        await this.fail(pass, entry, id, 'unreachable', detail, attempts);
        return false;
      }
    }
    await ledger.put(record);
    notes.set(id, record);
    control.failed(lane, outcome.reason, outcome.retryAfterMs);
    const retryAtMs = control.retryAtMs(lane);
    trace(id, `backing off until ${retryAtMs === undefined ? '?' : new Date(retryAtMs).toISOString()} (${outcome.reason})`);
    announce.status({ id, namespace, lane: lane || undefined, status: 'queued', attempts, reason: outcome.reason, detail: outcome.detail });
    control.answer(id, queuedAnswer(id, outcome.reason));
    return true;
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
        // on the last chance; see install.ts).
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
   * The request on the wire; its answer classified. Never throws. With a
   * lookup: a message whose last answer was lost is asked about first (and
   * not sent again when the server has it), and the send is written down
   * before it goes out, so a worker stopped mid-request knows at its next
   * start that the answer was lost.
   */
  async attempt(control: PassControl, request: Request, id: string, namespace: string, note: LedgerRecord | undefined, lane: string): Promise<Outcome> {
    const { announce, options, trace, ledger } = this.#deps;
    const { lookupUrl } = options;
    control.sending(id, true);
    const attempts = (note?.attempts ?? 0) + 1;
    if (lookupUrl !== undefined) {
      const answerLost = note !== undefined && (note.onWireAtMs !== undefined || note.reason === 'network' || note.reason === 'timeout');
      const known = answerLost ? await askServer(lookupUrl, request.headers, options.timeoutMs) : undefined;
      if (known !== undefined) {
        trace(id, `asked the server (lookup): ${known.verdict}${'reason' in known ? ` (${known.reason})` : ''}`);
        control.sending(id, false);
        return known;
      }
      const nowMs = wallNowMs();
      const base: LedgerRecord = note ?? { id, queueName: options.queueName, status: 'queued', attempts: 0, url: request.url, createdAtMs: nowMs, updatedAtMs: nowMs, namespace: namespace || undefined };
      await ledger.put({ ...base, onWireAtMs: nowMs });
    }
    trace(id, `sent (attempt ${attempts})`);
    announce.status({ id, namespace, lane: lane || undefined, status: 'sending', attempts, reason: note?.reason });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    try {
      // `follow`, whatever the page asked: a redirect shows as `response.redirected` (classify.ts).
      const response = await fetch(request, { signal: controller.signal, redirect: 'follow' });
      return await outcomeOf(response, attempts > 1, self.location.origin);
    } catch {
      return { verdict: 'transient', reason: controller.signal.aborted ? 'timeout' : 'network' };
    } finally {
      clearTimeout(timer);
      control.sending(id, false);
    }
  }

  /**
   * Whether the message's own endpoint answers at all (any HTTP status, even
   * 404 or 405): a HEAD of its URL, without a body, within the send timeout.
   * A fetch from the worker itself does not pass through its fetch handler.
   */
  async #endpointAnswers(entry: QueueEntry): Promise<boolean> {
    try {
      await fetch(String(entry.requestData.url), { method: 'HEAD', redirect: 'manual', cache: 'no-store', signal: AbortSignal.timeout(this.#deps.options.timeoutMs) });
      return true;
    } catch {
      return false;
    }
  }

  /** Moves a message to `failed`, keeping its request for `retry`. Ledger first: see ledger.ts. */
  async fail(pass: PassState, entry: QueueEntry, id: string, reason: Reason, detail: string | undefined, attempts?: number): Promise<void> {
    const { ledger, queue, secrets, announce, trace, options } = this.#deps;
    const record: LedgerRecord = {
      ...noteFor(entry, id, attempts ?? pass.notes.get(id)?.attempts ?? 0, reason, options.queueName),
      status: 'failed',
      requestData: entry.requestData,
      metadata: entry.metadata,
      detail,
      seq: entry.id,
    };
    await ledger.put(record);
    await queue.remove(entry);
    pass.notes.set(id, record);
    pass.handled.add(id);
    pass.report.failed += 1;
    secrets.drop(id);
    trace(id, `set aside: ${reason}${detail !== undefined ? ` (${detail})` : ''}`);
    announce.status({ id, namespace: record.namespace ?? '', lane: laneOf(entry) || undefined, status: 'failed', attempts: record.attempts, reason, detail });
  }

  #expire(pass: PassState, entry: QueueEntry, id: string): Promise<void> {
    return this.fail(pass, entry, id, 'expired', `not delivered within ${this.#deps.options.retentionMinutes} minutes`);
  }

  /** The stored request with its body decrypted (for `list()`); the body is absent when the key is gone. */
  async readableBody(requestData: RequestData | undefined, metadata: QueueEntry['metadata']): Promise<RequestData | undefined> {
    const iv = metadata?.iv;
    if (!requestData || !iv || !(requestData.body instanceof ArrayBuffer)) return requestData;
    const { body: sealed, ...rest } = requestData;
    const body = await open(this.#deps.keys, metadata?.namespace ?? '', sealed as ArrayBuffer, { iv });
    return body ? { ...rest, body } : (rest as RequestData);
  }

  /**
   * The stored request, ready to send: decrypted, with its secret headers
   * back (from this worker's memory, or the namespace's session credentials),
   * through `beforeReplay`. `undefined` when it needs credentials nobody has
   * handed over; a transient `hook` outcome when `beforeReplay` threw (a token
   * endpoint down for a moment is not a corrupt record); throws when the
   * record cannot make a request.
   */
  async #prepare(entry: QueueEntry, id: string, namespace: string): Promise<Request | undefined | Outcome> {
    const { sessions, secrets, options } = this.#deps;
    let requestData = entry.requestData;
    if (entry.metadata?.iv) {
      requestData = (await this.readableBody(requestData, entry.metadata))!;
      if (!(requestData.body instanceof ArrayBuffer)) throw new Error('its encryption key is gone (purged)');
    }
    const request = rebuildRequest(requestData, id);
    let missing = false;
    const session = sessions.credentialsOf(namespace);
    const secret = secrets.get(id);
    const held = secret?.headers;
    // Whichever the page handed over last wins. A message's own live header is
    // newer than credentials declared at page load (a site that refreshed its
    // token and sends with it must not be replayed with the stale one: 401,
    // paused); credentials handed over after the message was sent (a refresh,
    // a new sign-in after a 401) are newer than its header.
    const heldFirst = secret !== undefined && secret.atMs > sessions.credentialsAtMs(namespace);
    for (const name of entry.metadata?.strippedHeaders ?? []) {
      const fromSession = name === 'authorization' ? session?.authorization : undefined;
      const value = heldFirst ? held?.[name] ?? fromSession : fromSession ?? held?.[name];
      if (value === undefined) missing = true;
      else request.headers.set(name, value);
    }
    if (!options.beforeReplay) return missing ? undefined : request;
    try {
      return await options.beforeReplay(request, { id, namespace });
    } catch (error) {
      return { verdict: 'transient', reason: 'hook', detail: `beforeReplay: ${error}`.slice(0, 300) };
    }
  }

  /** Marks a message `queued` with reason `auth` (once, not on every drain). */
  async #awaitCredentials(pass: PassState, entry: QueueEntry, id: string, namespace: string, attempts: number): Promise<void> {
    const { ledger, announce, trace, options } = this.#deps;
    const known = pass.notes.get(id);
    if (known?.reason === 'auth' && known.attempts === attempts) return;
    const record = noteFor(entry, id, attempts, 'auth', options.queueName);
    await ledger.put(record);
    pass.notes.set(id, record);
    trace(id, 'queued because it waits for credentials (auth)');
    announce.status({ id, namespace, status: 'queued', attempts, reason: 'auth' });
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
        if (entry.queueName !== queue.name || entryProblem(entry) !== undefined || pass.notes.get(id)?.status === 'failed') continue;
        if (isExpired(createdAtOf(entry), wallNowMs(), options.retentionMinutes)) await this.#expire(pass, entry, id);
      }
    }
  }
}

/** The stored request, ready to send; throws when the record cannot make one. */
function rebuildRequest(requestData: RequestData, id: string): Request {
  // A re-sent message carries its original Idempotency-Key: it is in the stored headers.
  const request = toRequest(requestData);
  const { protocol } = new URL(request.url);
  if (protocol !== 'https:' && protocol !== 'http:') throw new TypeError(`cannot send to a ${protocol} URL`);
  // Adopted entries of the plain recipe have no key yet: their id becomes it.
  if (!request.headers.has(IDEMPOTENCY_KEY_HEADER)) request.headers.set(IDEMPOTENCY_KEY_HEADER, id);
  return request;
}

/** The ledger note of a queued message that was tried. */
export function noteFor(entry: QueueEntry, id: string, attempts: number, reason: Reason | undefined, queueName: string): LedgerRecord {
  return {
    id,
    queueName,
    status: 'queued',
    attempts,
    reason,
    url: String(entry.requestData?.url ?? ''),
    createdAtMs: createdAtOf(entry),
    updatedAtMs: wallNowMs(),
    namespace: namespaceOf(entry) || undefined,
  };
}
