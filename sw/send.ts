/**
 * The send step: a stored message made into the request to send (decrypted,
 * its secret headers back, through `beforeReplay`), put on the wire, and its
 * answer classified (classify.ts). With a lookup (lookup.ts) a message whose
 * last answer was lost is asked about first, and every send is written down
 * before it goes out.
 */
import { outcomeOf, type Outcome } from './classify.js';
import type { PassControl } from './drain.js';
import { open } from './keys.js';
import { mayBeOnServer, type LedgerRecord } from './ledger.js';
import { askServer } from './lookup.js';
import type { Services } from './services.js';
import { IDEMPOTENCY_KEY_HEADER } from './protocol/http.js';
import { toRequest, type QueueEntry } from './request-queue.js';
import { wallNowMs } from './timing.js';

type RequestData = QueueEntry['requestData'];

/** What sending needs of the installation. */
export type SendDeps = Pick<Services, 'announce' | 'options' | 'trace' | 'ledger' | 'sessions' | 'secrets' | 'keys'>;

export class Sender {
  readonly #deps: SendDeps;

  constructor(deps: SendDeps) {
    this.#deps = deps;
  }

  /**
   * The request on the wire; its answer classified. Never throws. With a
   * lookup: a message whose last answer was lost is asked about first (and
   * not sent again when the server has it), and the send is written down
   * before it goes out, so a worker stopped mid-request knows at its next
   * start that the answer was lost.
   */
  async attempt(control: PassControl, request: Request, id: string, namespace: string, prior: LedgerRecord | undefined, lane: string): Promise<Outcome> {
    const { announce, options, trace, ledger } = this.#deps;
    const { lookupUrl } = options;
    control.sending(id, true);
    const attempts = (prior?.attempts ?? 0) + 1;
    if (lookupUrl !== undefined) {
      // Any try without an answer, not only the last: a 503 after a lost answer says nothing of the first try.
      const known = mayBeOnServer(prior) ? await askServer(lookupUrl, request.headers, options.timeoutMs) : undefined;
      if (known !== undefined) {
        trace(id, `asked the server (lookup): ${known.verdict}${'reason' in known ? ` (${known.reason})` : ''}`);
        control.sending(id, false);
        return known;
      }
      const nowMs = wallNowMs();
      const base: LedgerRecord = prior ?? { id, queueName: options.queueName, status: 'queued', attempts: 0, url: request.url, createdAtMs: nowMs, updatedAtMs: nowMs, namespace: namespace || undefined };
      await ledger.put({ ...base, onWireAtMs: nowMs });
    }
    trace(id, `sent (attempt ${attempts})`);
    announce.status({ id, namespace, lane: lane || undefined, status: 'sending', attempts, reason: prior?.reason });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    try {
      // `follow`, whatever the page asked: a redirect shows as `response.redirected` (classify.ts).
      const response = await fetch(request, { signal: controller.signal, redirect: 'follow' });
      const outcome = await outcomeOf(response, attempts > 1, self.location.origin);
      // Cloned here, while nothing has read the body: the page gets `response`
      // (the straight path answers it before settling), and a clone taken
      // after that throws "body already used" (dependents.ts reads the copy).
      if (outcome.verdict === 'delivered') outcome.answerCopy = response.clone();
      return outcome;
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
  async endpointAnswers(entry: QueueEntry): Promise<boolean> {
    try {
      await fetch(String(entry.requestData.url), { method: 'HEAD', redirect: 'manual', cache: 'no-store', signal: AbortSignal.timeout(this.#deps.options.timeoutMs) });
      return true;
    } catch {
      return false;
    }
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
  async prepare(entry: QueueEntry, id: string, namespace: string): Promise<Request | undefined | Outcome> {
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
