/**
 * The settle step: what an answer means for one message, written down in
 * the order that keeps a stop at any instant safe (ledger.ts): delivered
 * (the entry goes), relayed (followed by relayed.ts with a lookup), refused
 * or set aside (`failed`, its request kept for `retry`), waiting for
 * credentials (`queued`, reason `auth`), or a transient failure that stops
 * its lane with order kept.
 */
import { failedAnswer, queuedAnswer } from './page-answers.js';
import type { Outcome } from './classify.js';
import type { LoopReport, PassControl } from './drain.js';
import { isLostAnswer, mayBeOnServer, type LedgerRecord } from './ledger.js';
import type { Parents } from './dependents.js';
import type { RelayedWatch } from './relayed.js';
import type { Services } from './services.js';
import { RELAY_HEADER } from './protocol/http.js';
import { type Reason } from './protocol/statuses.js';
import { createdAtOf, laneOf, namespaceOf, type QueueEntry } from './request-queue.js';
import { readAnswer } from './dependents.js';
import type { Sender } from './send.js';
import { wallNowMs } from './timing.js';

/** What one pass carries from message to message. */
export interface PassState {
  control: PassControl;
  report: LoopReport;
  records: Map<string, LedgerRecord>;
  /** Namespaces whose messages wait (no page of theirs open, or no credentials). */
  waiting: Set<string>;
  /** Ids sent or set aside in this pass: another entry of one (a duplicate an older version stored) is removed unsent. */
  handled: Set<string>;
  /** Ids of the entries this pass read: a child's parent among them and not handled is still queued (dependents.ts). */
  seen: Set<string>;
  /** The server answered something in this pass: evidence the API is up. */
  answered: boolean;
  /** Removals of delivered entries, issued but not awaited (see settle). */
  writes: Promise<unknown>[];
}

/** What settling needs of the installation. */
export type SettleDeps = Pick<Services, 'queue' | 'ledger' | 'sessions' | 'secrets' | 'announce' | 'trace' | 'options'> & {
  relayed: RelayedWatch;
  parents: Parents;
};

export class Settler {
  readonly #deps: SettleDeps;
  readonly #sender: Sender;

  constructor(deps: SettleDeps, sender: Sender) {
    this.#deps = deps;
    this.#sender = sender;
  }

  /**
   * The ledger record of a message that was tried, still marked when others
   * wait for its answer (dependents.ts), and marked for good once a try went
   * out and its answer never came back: the server may hold it, whatever
   * later tries were answered (a proxy's 503 says nothing of the first try),
   * so edit and cancel stay `in-flight` (changes.ts).
   */
  #triedRecord(pass: PassState, entry: QueueEntry, id: string, attempts: number, reason: Reason | undefined): LedgerRecord {
    const prior = pass.records.get(id);
    const keepAnswer = this.#keepsAnswer(pass, id);
    const answerLost = mayBeOnServer(prior) || isLostAnswer(reason);
    return { ...triedRecord(entry, id, attempts, reason, this.#deps.options.queueName), ...(keepAnswer ? { keepAnswer } : {}), ...(answerLost ? { answerLost } : {}) };
  }

  /** Others were sent `after` it (dependents.ts): its answer is kept with its delivery. */
  #keepsAnswer(pass: PassState, id: string): boolean {
    return this.#deps.parents.has(id) || pass.records.get(id)?.keepAnswer === true;
  }

  /**
   * Records what an answer means for one message. Returns `true` when the
   * drain must stop there (a transient failure: order is kept).
   */
  async settle(pass: PassState, entry: QueueEntry, id: string, namespace: string, prior: LedgerRecord | undefined, outcome: Outcome): Promise<boolean> {
    const { queue, ledger, sessions, secrets, announce, trace, options } = this.#deps;
    const { control, report, records, waiting } = pass;
    const attempts = (prior?.attempts ?? 0) + 1;
    const lane = laneOf(entry);
    if (outcome.verdict !== 'transient') pass.answered = true;
    if (outcome.verdict === 'auth') {
      // Not this message's fault: the credentials (or the cookie session) are
      // stale. It waits, with the rest of its namespace, for fresh ones.
      sessions.pause(namespace);
      secrets.dropNamespace(namespace);
      await this.awaitCredentials(pass, entry, id, namespace, attempts);
      // The message is kept: the page hears `queued` (reason auth), not the
      // server's 401, which the client would report as a failed message.
      control.answer(id, queuedAnswer(id, 'auth'));
      waiting.add(namespace);
      return false;
    }
    if (outcome.verdict === 'delivered') {
      // A relay's own 202 (its marker header): off this device, not yet at the API.
      const status = outcome.response.headers.has(RELAY_HEADER) ? 'relayed' : 'delivered';
      const isParent = status === 'delivered' && this.#keepsAnswer(pass, id);
      // The copy taken on arrival (send.ts), not a clone now: the page may be reading the response already.
      const answer = status === 'delivered' && outcome.answerCopy ? readAnswer(outcome.answerCopy) : undefined;
      if (!isParent) void answer?.then((value) => this.#deps.parents.remember(id, value));
      // The page may have its answer now; the bookkeeping below is ours.
      control.answer(id, outcome.response);
      control.succeeded(lane);
      if (isParent) {
        // Its answer on disk before anything after it is sent (dependents.ts); then the entry goes.
        const record: LedgerRecord = { ...this.#triedRecord(pass, entry, id, attempts, undefined), status: 'delivered', answer: await answer };
        await ledger.put(record);
        pass.writes.push(queue.remove(entry));
        records.set(id, record);
        // A child met earlier in this pass (another lane) waited for it: one more pass sends it.
        control.rerun();
      } else if (status === 'relayed' && options.lookupUrl !== undefined) {
        // Followed until the relay says the API has it (relayed.ts): the record first, then the entry goes (as fail).
        await ledger.put(this.#deps.relayed.relayedRecord(this.#triedRecord(pass, entry, id, attempts, undefined), entry.requestData, entry.metadata, entry.id));
        pass.writes.push(queue.remove(entry));
      } else {
        // Not awaited before the next send: the server has the message, and a
        // stop before these commit only means a replay with the same key.
        pass.writes.push(queue.remove(entry));
        // With a lookup every send left an on-the-wire record (attempt), also a first one.
        if (prior || options.lookupUrl !== undefined) pass.writes.push(ledger.delete(id));
      }
      if (!isParent) records.delete(id);
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
    const record: LedgerRecord = { ...this.#triedRecord(pass, entry, id, attempts, outcome.reason), detail: outcome.detail, strikes: prior?.strikes, firstStrikeAtMs: prior?.firstStrikeAtMs };
    if (outcome.reason === 'network' && (pass.answered || (control.trigger === 'probe' && (await this.#sender.endpointAnswers(entry))))) {
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
    records.set(id, record);
    control.failed(lane, outcome.reason, outcome.retryAfterMs);
    const retryAtMs = control.retryAtMs(lane);
    trace(id, `backing off until ${retryAtMs === undefined ? '?' : new Date(retryAtMs).toISOString()} (${outcome.reason})`);
    announce.status({ id, namespace, lane: lane || undefined, status: 'queued', attempts, reason: outcome.reason, detail: outcome.detail });
    control.answer(id, queuedAnswer(id, outcome.reason));
    return true;
  }

  /** Moves a message to `failed`, keeping its request for `retry`. Ledger first: see ledger.ts. */
  async fail(pass: PassState, entry: QueueEntry, id: string, reason: Reason, detail: string | undefined, attempts?: number): Promise<void> {
    const { ledger, queue, secrets, announce, trace, options } = this.#deps;
    const record: LedgerRecord = {
      ...this.#triedRecord(pass, entry, id, attempts ?? pass.records.get(id)?.attempts ?? 0, reason),
      status: 'failed',
      requestData: entry.requestData,
      metadata: entry.metadata,
      detail,
      seq: entry.id,
    };
    await ledger.put(record);
    await queue.remove(entry);
    pass.records.set(id, record);
    pass.handled.add(id);
    pass.report.failed += 1;
    secrets.drop(id);
    trace(id, `set aside: ${reason}${detail !== undefined ? ` (${detail})` : ''}`);
    announce.status({ id, namespace: record.namespace ?? '', lane: laneOf(entry) || undefined, status: 'failed', attempts: record.attempts, reason, detail });
  }

  expire(pass: PassState, entry: QueueEntry, id: string): Promise<void> {
    return this.fail(pass, entry, id, 'expired', `not delivered within ${this.#deps.options.retentionMinutes} minutes`);
  }

  /** Marks a message `queued` with reason `auth` (once, not on every drain). */
  async awaitCredentials(pass: PassState, entry: QueueEntry, id: string, namespace: string, attempts: number): Promise<void> {
    const { ledger, announce, trace, options } = this.#deps;
    const known = pass.records.get(id);
    if (known?.reason === 'auth' && known.attempts === attempts) return;
    const record = this.#triedRecord(pass, entry, id, attempts, 'auth');
    await ledger.put(record);
    pass.records.set(id, record);
    trace(id, 'queued because it waits for credentials (auth)');
    announce.status({ id, namespace, status: 'queued', attempts, reason: 'auth' });
  }
}

/** The ledger record of a queued message that was tried. */
export function triedRecord(entry: QueueEntry, id: string, attempts: number, reason: Reason | undefined, queueName: string): LedgerRecord {
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
