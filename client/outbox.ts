/**
 * The page side: sends through the worker, follows every message's status
 * (from every tab), and tells the worker when delivery is worth trying.
 */
import { InvalidMessageError, InvalidNamespaceError, NoServiceWorkerError } from '../sw/protocol/errors.js';
import {
  AFTER_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  idProblem,
  isUnderApi,
  NAMESPACE_HEADER,
  namespaceProblem,
  namespaceToHeader,
  NOTHING_KEPT,
  OUTBOX_STATUS_HEADER,
  PROTOCOL,
  RELAY_HEADER,
  type Broadcast,
  type ChangeOutcome,
  type DrainReport,
  type Hello,
  type OutboxAnswer,
  type PendingMessage,
  type Reason,
  type SessionCredentials,
  type StatusUpdate,
} from '../sw/protocol/messages.js';
import { readDetail } from '../shared/detail.js';
import { Connection, isNotAnswered } from './connection.js';
import { HealthProbe } from './health.js';
import { normalizeClientOptions, type CredentialsSource, type OutboxClientOptions, type ResolvedClientOptions } from './options.js';
import { request } from './rpc.js';

/** What `send` resolves to. It never rejects for a network failure. `T`: the body's type. */
export interface SendResult<T = Body> {
  id: string;
  /**
   * `delivered`: the server took it. `relayed`: a relay (`outbox-relay`)
   * holds it, off this device; the API does not have it yet. `queued`: kept,
   * will be sent. `failed`: see `reason`.
   */
  status: 'delivered' | 'relayed' | 'queued' | 'failed';
  reason?: Reason;
  detail?: string;
  /** The server's own answer, when it gave one (delivered, or refused). */
  response?: Response;
  /**
   * The body that was passed to `send`, handed back when the outbox kept
   * nothing (reasons `storage`, `too-large`, `no-worker`, `network`), so the
   * page can keep the text for the user (e.g. put it back in the input).
   */
  body?: T;
}


/** What a listener receives: a status change, or the news that a message was discarded. */
export type OutboxEvent =
  | StatusUpdate
  // `reason` and `detail` are declared (never set) so `event.reason` reads on the whole union.
  | { id: string; namespace: string; status: 'discarded'; attempts: number; updatedAtMs: number; reason?: undefined; detail?: undefined };
export type OutboxListener = (event: OutboxEvent) => void;

/**
 * What `send` takes: a plain object or array (sent as JSON; `object` so that a
 * site's own interfaces fit), or anything `fetch` takes as a body.
 */
export type Body = BodyInit | object | null | undefined;

/** `send`'s options: a `fetch` init, and `after`, the id of a message this one waits for (docs/attachments.md). */
export interface SendInit extends RequestInit {
  /**
   * Send this message only once message `after` is delivered, with the
   * placeholders of its JSON body (`{ $outbox: after, path: 'url' }`) replaced
   * by values of that message's JSON answer. If that message fails, this one
   * fails with reason `parent-failed`; retrying it retries this one too;
   * discarding it discards this one.
   */
  after?: string;
}

export class Outbox {
  readonly #registration: ServiceWorkerRegistration;
  readonly #options: ResolvedClientOptions;
  readonly #channel: BroadcastChannel;
  /** The paths the worker takes POSTs under (`undefined`: a worker too old to say). */
  readonly #apiPaths: readonly string[] | undefined;
  /** Statuses this page waits on: `relayed` too when the worker follows it to `delivered`. */
  readonly #pending: ReadonlySet<string>;
  readonly #listeners = new Set<OutboxListener>();
  /**
   * With `persist: true`, the browser's answer to `navigator.storage.persist()`:
   * `true` granted, `false` not. A promise, not awaited by `createOutbox`:
   * Firefox asks the user, and settles when they answer. `undefined` when not asked.
   */
  declare persisted: Promise<boolean> | undefined;
  /**
   * The way to the API as this page knows it: online, offline, or unreachable
   * (the network is up, the API does not answer), and since when.
   *
   * @example
   * outbox.connection.subscribe((c) => {
   *   banner.textContent = c.state === 'online' ? '' : `Sending paused since ${new Date(c.downSinceMs).toLocaleTimeString()}`;
   * });
   */
  readonly connection = new Connection();
  /** Ids this page knows to be waiting: the probe runs while there are any, or while the API is down. */
  readonly #waiting = new Set<string>();
  readonly #probe: HealthProbe | undefined;
  readonly #onOnline = (): void => {
    // The browser's word covers the network, not the API: the probe asks it at once.
    this.connection.observe(this.#probe ? 'checking' : 'online');
    this.#probe?.start();
    void this.#flushQuietly('online');
  };
  readonly #onOffline = (): void => this.connection.observe('offline');
  /**
   * Says again who this page is: a worker that started knows no sessions, and
   * a new version that took over (`controllerchange`) was not the one this page
   * declared to when it announced itself.
   */
  readonly #redeclare = (): void => void this.#declare().catch(() => undefined);
  #namespace: string;
  #credentials: CredentialsSource | undefined;
  /** The credentials last handed to the worker, so a 401 with the same ones does not loop. */
  #declared: string | undefined;

  /** @internal Use `createOutbox()`. */
  constructor(registration: ServiceWorkerRegistration, hello: Hello, options: ResolvedClientOptions) {
    this.#registration = registration;
    this.#options = options;
    this.#namespace = options.namespace;
    this.#credentials = options.credentials;
    this.#channel = new BroadcastChannel(hello.channel);
    this.#apiPaths = hello.apiPaths;
    this.#pending = new Set(hello.followsRelayed ? ['queued', 'sending', 'relayed'] : ['queued', 'sending']);
    this.#channel.onmessage = ({ data }: MessageEvent<Broadcast>) => this.#receive(data);
    if (options.health !== undefined) {
      this.#probe = new HealthProbe(
        options.health,
        { minIntervalMs: options.healthMinIntervalMs, maxIntervalMs: options.healthIntervalMs },
        (status) => {
          if (status === undefined || status >= 500) this.connection.observe({ notAnswered: status === undefined ? 'network' : `http-${status}` });
          else this.connection.observe('answered');
          if (status !== undefined && status < 300) void this.#flushQuietly('probe');
          this.#probeWhileNeeded();
        },
      );
    }
    // Chromium fires no `online` event inside a worker: the page's is the one to pass on.
    addEventListener('online', this.#onOnline);
    addEventListener('offline', this.#onOffline);
    navigator.serviceWorker.addEventListener('controllerchange', this.#redeclare);
  }

  /**
   * Sends `body` as a POST to `url`. A plain object or array is sent as JSON.
   * The `Idempotency-Key` header, if `init` sets one, is the message id;
   * otherwise a new UUID is.
   *
   * `init.signal` is not passed on: once `send` is called the message is the
   * outbox's (it may be stored and on the wire before any abort could reach
   * the worker), so the send resolves with the worker's answer (`queued` at the
   * latest once stored) and never hands back a body the worker will still
   * send. What the page is told is what the worker will do.
   *
   * Rejects with `InvalidMessageError`, before anything is stored or sent,
   * for a message no worker would keep as it is: an `Idempotency-Key` of more
   * than 200 characters, or a URL outside the worker's `api` (a plain
   * `fetch` is the way to send those).
   *
   * `T` types the body (and the copy handed back when nothing was kept).
   *
   * @example
   * const { id, status } = await outbox.send('/api/chat', { text: 'hello' });
   * if (status === 'queued') showBadge(id, 'Queued');
   * await outbox.send<ChatMessage>('/api/chat', { text: 'typed' });
   */
  async send<T extends Body = Body>(url: string, body?: T, init: SendInit = {}): Promise<SendResult<T>> {
    const result: SendResult<T> = await this.#send(url, body, init);
    // Nothing was stored (quota, IndexedDB failing, over maxBody, no worker):
    // hand the body back rather than let the text vanish with a failed badge.
    if (result.status === 'failed' && result.reason !== undefined && NOTHING_KEPT.has(result.reason)) result.body = body;
    return result;
  }

  async #send(url: string, body: Body, { after, ...init }: SendInit): Promise<SendResult<never>> {
    const headers = new Headers(init.headers);
    const id = headers.get(IDEMPOTENCY_KEY_HEADER) ?? crypto.randomUUID();
    // The worker would refuse it (never swap it: the page would follow an id nobody sends).
    const badId = idProblem(id);
    if (badId !== undefined) throw new InvalidMessageError(`send: ${badId}`);
    // Outside the worker's api nothing keeps the message: a 503 there could never be retried.
    const target = new URL(url, location.href);
    if (this.#apiPaths !== undefined && !isUnderApi(target, location.origin, this.#apiPaths)) {
      throw new InvalidMessageError(`send: ${target.href} is not under the worker's api (${this.#apiPaths.join(', ')}); nothing would keep it`);
    }
    headers.set(IDEMPOTENCY_KEY_HEADER, id);
    if (after !== undefined) {
      const badAfter = idProblem(after);
      if (badAfter !== undefined) throw new InvalidMessageError(`send: after: ${badAfter}`);
      headers.set(AFTER_HEADER, after);
    }
    if (this.#namespace !== '') headers.set(NAMESPACE_HEADER, namespaceToHeader(this.#namespace));
    let payload = body as BodyInit | null | undefined;
    if (isJsonValue(body)) {
      payload = JSON.stringify(body);
      if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    }
    if (!navigator.serviceWorker.controller) {
      // Without a controller the request would bypass the outbox and could be lost.
      return { id, status: 'failed', reason: 'no-worker', detail: 'no worker controls this page' };
    }
    let response: Response | undefined;
    let lastError: unknown;
    // The worker answers every request it takes, so a rejection means it was
    // stopped mid-request; the same key makes the second try safe.
    for (let tries = 0; tries < 2 && !response; tries += 1) {
      try {
        response = await fetch(url, { ...init, method: 'POST', headers, body: payload ?? null, signal: null });
      } catch (error) {
        lastError = error;
      }
    }
    if (!response) return { id, status: 'failed', reason: 'network', detail: String(lastError) };
    return this.#resultOf(id, response);
  }

  async #resultOf(id: string, response: Response): Promise<SendResult<never>> {
    if (response.headers.has(OUTBOX_STATUS_HEADER)) {
      const answer = (await response.json()) as OutboxAnswer;
      this.#learn(answer.status, answer.reason);
      this.#await(id, answer.status);
      return withOptional({ id, status: answer.status }, answer.reason, answer.detail);
    }
    // The worker passes on what the API answered (a 5xx here means no worker took it).
    this.#learn(response.ok ? 'delivered' : 'failed', `http-${response.status}`);
    // A relay's own 202 carries its marker: off this device, not yet at the API.
    if (response.ok) {
      const status = response.headers.has(RELAY_HEADER) ? 'relayed' : 'delivered';
      this.#await(id, status);
      return { id, status, response };
    }
    // The worker passes a refusal through; a 5xx here means no worker took it.
    return withOptional({ id, status: 'failed', response }, `http-${response.status}`, await readDetail(response));
  }

  /**
   * Calls `listener` for every status change of every message of this origin,
   * whichever tab sent it. Returns the function that stops it.
   *
   * @example
   * const stop = outbox.subscribe(({ id, status, reason }) => render(id, status, reason));
   */
  subscribe(listener: OutboxListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Messages not yet delivered (queued, sending, failed), oldest first. It
   * comes from IndexedDB, so it survives reloads and is the same in every tab.
   *
   * `T` names the type of the parsed JSON bodies (`body`), which the site sent.
   *
   * @example
   * for (const m of await outbox.list()) render(m.id, m.status, m.bodyText);
   * const mine = await outbox.list<{ text: string }>(); // mine[0]?.body?.text is a string
   */
  async list<T = unknown>(): Promise<PendingMessage<T>[]> {
    const messages = await this.#request({ type: 'list', namespace: this.#namespace });
    for (const message of messages) this.#await(message.id, message.status);
    // The body is the site's own JSON, parsed as it was sent: the site names its type.
    return messages as PendingMessage<T>[];
  }

  /**
   * Queues a failed message again (with its original id), and tries it now.
   * Rejects with `UnknownMessageError` for an id the outbox does not hold.
   */
  async retry(id: string): Promise<StatusUpdate> {
    const update = await this.#request({ type: 'retry', id, namespace: this.#namespace });
    this.#waiting.add(id);
    this.#probe?.start();
    return update;
  }

  /**
   * Changes the body of a message not yet delivered; it keeps its id and its
   * place. Resolves with what became of it:
   * - `'done'`: changed before the server could have it; every tab hears a
   *   status update with `edited: true` (`list()` has the new body).
   * - `'in-flight'`: it is on the wire, or a try went out and no answer came
   *   back (the server may hold it): nothing changed.
   * - `'too-late'`: delivered (or discarded) already.
   *
   * The last edit wins; `cancel` wins over edits. A plain object or array is
   * sent as JSON, as with `send`. Rejects with `InvalidMessageError` for a
   * body over the worker's `maxBody`.
   *
   * @example
   * if ((await outbox.edit(id, { text: 'fixed the typo' })) !== 'done') showNote(id, 'Already sent');
   */
  async edit(id: string, body: Body): Promise<ChangeOutcome> {
    const json = isJsonValue(body);
    const request = new Request(location.href, {
      method: 'POST',
      body: json ? JSON.stringify(body) : ((body as BodyInit | null | undefined) ?? null),
      headers: json ? { 'Content-Type': 'application/json' } : {},
    });
    const contentType = request.headers.get('Content-Type') ?? '';
    const { outcome } = await this.#request({ type: 'edit', id, namespace: this.#namespace, body: await request.arrayBuffer(), contentType });
    return outcome;
  }

  /**
   * Takes back a message not yet delivered: `'done'` when it was removed
   * before the server could have it (every tab hears it as discarded),
   * `'in-flight'` or `'too-late'` as for `edit`, and then nothing changed.
   *
   * @example
   * const outcome = await outbox.cancel(id);
   * if (outcome !== 'done') showNote(id, 'Too late to cancel');
   */
  async cancel(id: string): Promise<ChangeOutcome> {
    const { outcome } = await this.#request({ type: 'cancel', id, namespace: this.#namespace });
    return outcome;
  }

  /** Forgets a queued or failed message: it is never sent. Rejects with `UnknownMessageError` for an unknown id. */
  async discard(id: string): Promise<void> {
    await this.#request({ type: 'discard', id, namespace: this.#namespace });
  }

  /** The namespace (user) this page sends as. */
  get namespace(): string {
    return this.#namespace;
  }

  /**
   * Switches user: later sends, statuses and `list()` belong to `namespace`.
   * The previous user's queued messages stay (and wait for a page of theirs)
   * unless you `purge()` them first, as a sign-out should.
   *
   * @example
   * await outbox.purge();                       // sign-out: alice's queued messages are gone
   * await outbox.setNamespace('bob', { authorization: `Bearer ${bobToken}` });
   *
   * Rejects with `InvalidNamespaceError`, changing nothing, for a namespace
   * that is not a string of at most 200 characters. Any such string works
   * (`'山田'`, an e-mail address, spaces kept).
   */
  async setNamespace(namespace: string, credentials?: CredentialsSource): Promise<void> {
    const problem = namespaceProblem(namespace);
    if (problem !== undefined) throw new InvalidNamespaceError(`setNamespace: ${problem}`);
    this.#namespace = namespace;
    this.#credentials = credentials;
    this.#waiting.clear();
    this.#declared = undefined;
    await this.#declare();
    await this.list();
  }

  /** Hands fresh credentials to the worker (after a token refresh, or when it asked with reason `auth`). */
  async setCredentials(credentials: CredentialsSource): Promise<void> {
    this.#credentials = credentials;
    this.#declared = undefined;
    await this.#declare();
  }

  /**
   * Deletes every queued and failed message of a namespace (this page's by
   * default) and its encryption key. A purged message is never sent afterwards.
   * Resolves with how many messages were removed.
   */
  async purge(namespace: string = this.#namespace): Promise<number> {
    const { removed } = await this.#request({ type: 'purge', namespace });
    return removed;
  }

  /** Tells the worker who this page is, with the current credentials. @internal */
  async declare(force = false): Promise<void> {
    await this.#declare(force);
  }

  async #declare(force = true): Promise<void> {
    const source = this.#credentials;
    const credentials: SessionCredentials | undefined = typeof source === 'function' ? await source() : source;
    const fingerprint = JSON.stringify([this.#namespace, credentials ?? null]);
    // Asked again (401) but nothing new to hand over: saying the same thing would only earn another 401.
    if (!force && fingerprint === this.#declared) return;
    this.#declared = fingerprint;
    await this.#request({ type: 'session', namespace: this.#namespace, ...(credentials ? { credentials } : {}) });
  }

  /** Asks the worker to send what is queued now. Resolves with what the drain did. */
  flush(): Promise<DrainReport> {
    return this.#request({ type: 'flush', trigger: 'manual' });
  }

  /** Stops listening and probing. The worker and the queue carry on. */
  close(): void {
    removeEventListener('online', this.#onOnline);
    removeEventListener('offline', this.#onOffline);
    navigator.serviceWorker.removeEventListener('controllerchange', this.#redeclare);
    this.#probe?.stop();
    this.#channel.close();
    this.#listeners.clear();
  }

  /** A flush started by the page itself: its failure is not the caller's problem. */
  async #flushQuietly(trigger: 'online' | 'probe'): Promise<DrainReport | undefined> {
    try {
      return await this.#request({ type: 'flush', trigger });
    } catch {
      return undefined;
    }
  }

  #request<C extends Parameters<typeof request>[1]>(command: C) {
    return request(this.#registration, command, this.#options.requestTimeoutMs);
  }

  #receive(message: Broadcast): void {
    if (message?.protocol !== PROTOCOL) return;
    if (message.type === 'drain') {
      const { stoppedBy, delivered } = message.report;
      if (delivered > 0) this.connection.observe('answered');
      if (stoppedBy === 'transient' || stoppedBy === 'backoff') this.#probe?.start();
      return;
    }
    // Another route took a chat API POST: loud in every page, never silent.
    if (message.type === 'bypassed') return console.warn(message.text);
    if (message.type === 'started') {
      this.#redeclare();
      return;
    }
    if (message.type === 'store-lost') {
      void this.#reconcileLost();
      return;
    }
    // The worker's decision log is for the devtools panel (outbox/devtools), which listens itself.
    if (message.type === 'trace') return;
    // Any user's message tells this page about the API, which is everyone's.
    if (message.type === 'status') this.#learn(message.update.status, message.update.reason);
    // Another user's messages are not this page's business.
    if (message.type === 'removed' ? message.namespace !== this.#namespace : message.update.namespace !== this.#namespace) return;
    if (message.type === 'removed') {
      this.#emit({ id: message.id, namespace: message.namespace, status: 'discarded', attempts: 0, updatedAtMs: Date.now() });
      return;
    }
    const event = message.update;
    if (event.status === 'queued' && event.reason === 'auth' && typeof this.#credentials === 'function') {
      void this.#declare(false).catch(() => undefined);
    }
    this.#emit(event);
  }

  /** What a message's status says about the API: an HTTP answer that is not a 5xx, or none. */
  #learn(status: OutboxEvent['status'], reason: Reason | undefined): void {
    if (reason !== undefined && isNotAnswered(reason)) this.connection.observe({ notAnswered: reason });
    else if (status === 'delivered' || status === 'relayed' || (status === 'failed' && reason?.startsWith('http-'))) this.connection.observe('answered');
  }

  /** The probe runs while a message waits, or until the API answers again. */
  #probeWhileNeeded(): void {
    if (this.#waiting.size === 0 && this.connection.get().state === 'online') this.#probe?.stop();
  }

  /** Starts the probe for a message that waits (queued, or relayed and followed by the worker). */
  #await(id: string, status: string): void {
    if (!this.#pending.has(status)) return;
    this.#waiting.add(id);
    this.#probe?.start();
  }

  #emit(event: OutboxEvent): void {
    if (this.#pending.has(event.status)) this.#waiting.add(event.id);
    else this.#waiting.delete(event.id);
    this.#probeWhileNeeded();
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        // One listener that throws must not keep the others from hearing.
        reportError(error);
      }
    }
  }

  /**
   * The browser closed the worker's database by itself (site data cleared, a
   * disk error): the messages this page waited for that the queue no longer
   * holds are gone. Each is told `failed` with reason `storage` (nothing kept),
   * so the page offers its own copy again instead of a badge that waits for ever.
   */
  async #reconcileLost(): Promise<void> {
    let held: Set<string>;
    try {
      held = new Set((await this.#request({ type: 'list', namespace: this.#namespace })).map((message) => message.id));
    } catch {
      return;
    }
    for (const id of [...this.#waiting]) {
      if (held.has(id)) continue;
      const detail = 'lost: the browser removed the stored queue (site data cleared, or a disk error)';
      this.#emit({ id, namespace: this.#namespace, status: 'failed', reason: 'storage', detail, attempts: 0, updatedAtMs: Date.now() });
    }
  }
}

/**
 * Registers the outbox worker (or uses the one registered, or adopts the
 * `registration` it is given) and resolves once it controls the page.
 *
 * @example
 * import { createOutbox } from 'outbox/client';
 * const outbox = await createOutbox({ serviceWorker: '/sw.js?api=/api/chat', health: '/api/health' });
 * // Your own worker built as an ES module:
 * const own = await createOutbox({ serviceWorker: '/service-worker.js', type: 'module' });
 */
export async function createOutbox(options: OutboxClientOptions = {}): Promise<Outbox> {
  const resolved = normalizeClientOptions(options);
  // Outside a browser (server-side rendering, Node) there is no `navigator`: the same named error, not a ReferenceError.
  if (!globalThis.navigator?.serviceWorker) {
    throw new NoServiceWorkerError('No service worker: not a browser, or not https');
  }
  const registration =
    resolved.registration ??
    (await navigator.serviceWorker.register(resolved.serviceWorker, {
      type: resolved.type,
      ...(resolved.scope !== undefined ? { scope: resolved.scope } : {}),
    }));
  await takeControl(registration, resolved);
  const hello = await request(registration, { type: 'hello' }, resolved.requestTimeoutMs);
  const outbox = new Outbox(registration, hello, resolved);
  // Inline rather than storage.ts's persistStorage(): dist/client.js has a 3 KiB budget.
  if (options.persist) outbox.persisted = navigator.storage?.persist?.().catch(() => false);
  await outbox.declare(true);
  // Messages left queued by an earlier visit: start probing for them. Not
  // awaited: list() reads every stored body, and a page must not wait on the
  // queue's length to start (10,000 queued messages of 16 kB took 5 s).
  void outbox.list().catch(() => undefined);
  return outbox;
}

/** Waits until a worker controls the page; after a hard reload, asks the active worker to claim it. */
async function takeControl(registration: ServiceWorkerRegistration, options: ResolvedClientOptions): Promise<void> {
  const container = navigator.serviceWorker;
  if (container.controller) return;
  const controlled = new Promise<void>((resolve) => container.addEventListener('controllerchange', () => resolve(), { once: true }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NoServiceWorkerError(`The worker '${options.serviceWorker}' did not take control within ${options.controlTimeoutMs} ms`)),
      options.controlTimeoutMs,
    );
  });
  try {
    await Promise.race([
      (async () => {
        await container.ready;
        if (!container.controller) {
          // A worker that is active but not controlling (hard reload, or one that does not claim) is asked to.
          await request(registration, { type: 'claim' }, options.requestTimeoutMs).catch(() => undefined);
          if (!container.controller) await controlled;
        }
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function isJsonValue(body: unknown): body is Record<string, unknown> | unknown[] {
  if (typeof body !== 'object' || body === null) return false;
  const proto = Object.getPrototypeOf(body) as unknown;
  // An array or a plain object; a FormData, Blob or URLSearchParams has a prototype of its own.
  return Array.isArray(body) || proto === Object.prototype || proto === null;
}

function withOptional(result: SendResult<never>, reason: Reason | undefined, detail: string | undefined): SendResult<never> {
  if (reason !== undefined) result.reason = reason;
  if (detail !== undefined) result.detail = detail;
  return result;
}
