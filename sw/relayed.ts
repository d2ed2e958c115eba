/**
 * Relayed is not delivered. A message an `outbox-relay` took (its own 202,
 * `Outbox-Relay: queued`) is off this device but not yet at the API. With a
 * lookup (`lookupUrl`), the worker keeps it in the ledger as `relayed`, with
 * its request, and asks the relay about it until the relay says the upstream
 * stored it (`delivered`) or gave up on it (`failed`, retryable: the request
 * is still here). Without a lookup, `relayed` is where it ends, as before.
 *
 *   relayed ──lookup: completed 2xx──────────► delivered (the ledger record goes)
 *      │   ├─lookup: failed / completed 4xx──► failed   (a ledger `failed` record: retry sends it again)
 *      │   └─held, unknown, no answer────────► relayed  (asked again later: 2 s, doubling, at most 5 min)
 *
 * When: after every drain pass (a page's health probe, `online`, a flush, a
 * new message: so it is polled while a page is open), and on this worker's
 * own timer while it lives. Only GETs: it never touches the queue, so it
 * runs beside the drain, not under its lock.
 */
import type { LedgerRecord } from './ledger.js';
import { askServer } from './lookup.js';
import type { Services } from './services.js';
import { RELAY_HEADER } from './protocol/http.js';
import { backoffDelayMs } from '../server/src/retry-policy.js';
import { wallNowMs } from './timing.js';

const FIRST_CHECK_MS = 2_000;
const MAX_CHECK_INTERVAL_MS = 5 * 60_000;

type RelayedDeps = Pick<Services, 'ledger' | 'announce' | 'trace' | 'sessions' | 'options'>;

export class RelayedWatch {
  readonly #deps: RelayedDeps;
  #checking: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(deps: RelayedDeps) {
    this.#deps = deps;
  }

  /** The record that follows a message the relay took: `relayed`, with its request (for a retry if the relay gives up). */
  relayedRecord(record: LedgerRecord, requestData: LedgerRecord['requestData'], metadata: LedgerRecord['metadata'], seq: number): LedgerRecord {
    const nowMs = wallNowMs();
    return { ...record, status: 'relayed', requestData, metadata, seq, checks: 0, nextCheckAtMs: nowMs + FIRST_CHECK_MS, updatedAtMs: nowMs };
  }

  /** Asks about every relayed message that is due; one check at a time (a second caller joins it). */
  check(): Promise<void> {
    if (this.#deps.options.lookupUrl === undefined) return Promise.resolve();
    this.#checking ??= this.#checkDue().finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  async #checkDue(): Promise<void> {
    const relayed = [...(await this.#deps.ledger.all()).values()].filter((record) => record.status === 'relayed');
    let nextAtMs = Infinity;
    for (const record of relayed) {
      const due = (record.nextCheckAtMs ?? 0) <= wallNowMs();
      nextAtMs = Math.min(nextAtMs, (due ? await this.#ask(record) : record.nextCheckAtMs) ?? Infinity);
    }
    // Asked again by this worker while it lives; a page's probe (through a drain) asks too.
    clearTimeout(this.#timer);
    if (Number.isFinite(nextAtMs)) this.#timer = setTimeout(() => void this.check(), Math.max(0, nextAtMs - wallNowMs()));
  }

  /** Asks about one message; resolves with when to ask again, or `undefined` once it is settled. */
  async #ask(record: LedgerRecord): Promise<number | undefined> {
    const { ledger, announce, trace, sessions, options } = this.#deps;
    const namespace = record.namespace ?? '';
    const headers = new Headers((record.requestData?.headers ?? {}) as Record<string, string>);
    // The relay scopes the key by the credentials it came with: the page's current ones stand in for the stripped header.
    const authorization = sessions.credentialsOf(namespace)?.authorization;
    if (authorization !== undefined && !headers.has('authorization')) headers.set('authorization', authorization);
    const outcome = await askServer(options.lookupUrl!, headers, options.timeoutMs);
    const base = { id: record.id, namespace, lane: record.metadata?.lane || undefined, attempts: record.attempts };
    if (outcome?.verdict === 'delivered' && !outcome.response.headers.has(RELAY_HEADER)) {
      // Discarded or purged meanwhile: nobody is told it was delivered.
      if (!(await ledger.replace(record, undefined))) return undefined;
      trace(record.id, 'delivered (the relay says the API stored it)');
      announce.status({ ...base, status: 'delivered' });
      return undefined;
    }
    if (outcome?.verdict === 'rejected') {
      if (!(await ledger.replace(record, { ...record, status: 'failed', reason: outcome.reason, detail: outcome.detail, updatedAtMs: wallNowMs() }))) return undefined;
      trace(record.id, `set aside: the relay gave up on it (${outcome.reason})`);
      announce.status({ ...base, status: 'failed', reason: outcome.reason, detail: outcome.detail });
      return undefined;
    }
    // Held, unknown, or no answer: ask again later.
    const checks = (record.checks ?? 0) + 1;
    const nextCheckAtMs = wallNowMs() + backoffDelayMs(checks + 1, FIRST_CHECK_MS, MAX_CHECK_INTERVAL_MS);
    await ledger.replace(record, { ...record, checks, nextCheckAtMs, updatedAtMs: wallNowMs() });
    return nextCheckAtMs;
  }
}
