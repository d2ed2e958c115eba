/**
 * The page side: sends through the worker, follows every message's status
 * (from every tab), and tells the worker when delivery is worth trying.
 * Shaping a message and reading its answer: outgoing.ts. Listeners, waiting
 * ids, the connection and the probe: following.ts. `createOutbox`: create.ts.
 */
import { InvalidNamespaceError } from '../sw/protocol/errors.js';
import { namespaceProblem } from '../sw/protocol/http.js';
import {
  NOTHING_KEPT,
  type DrainReport,
  type PendingMessage,
  type StatusUpdate,
} from '../sw/protocol/statuses.js';
import {
  PROTOCOL,
  type Broadcast,
  type ChangeOutcome,
  type Hello,
  type SessionCredentials,
} from '../sw/protocol/messages.js';
import { Following } from './following.js';
import type { CredentialsSource, ResolvedClientOptions } from './options.js';
import { encodeBody, post, readAnswer, shape } from './outgoing.js';
import { request } from './rpc.js';
import type { Body, OutboxListener, SendInit, SendResult } from './types.js';

export class Outbox {
  readonly #registration: ServiceWorkerRegistration;
  readonly #options: ResolvedClientOptions;
  readonly #channel: BroadcastChannel;
  /** The paths the worker takes POSTs under (`undefined`: a worker too old to say). */
  readonly #apiPaths: readonly string[] | undefined;
  readonly #following: Following;
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
  readonly connection;
  readonly #onOnline = (): void => {
    // The browser's word covers the network, not the API: the probe asks it at once.
    this.connection.observe(this.#following.probe ? 'checking' : 'online');
    this.#following.probe?.start();
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
    const health = options.health === undefined ? undefined : {
      url: options.health,
      schedule: { minIntervalMs: options.healthMinIntervalMs, maxIntervalMs: options.healthIntervalMs },
    };
    this.#following = new Following(hello.followsRelayed === true, health, () => void this.#flushQuietly('probe'));
    this.connection = this.#following.connection;
    this.#channel.onmessage = ({ data }: MessageEvent<Broadcast>) => this.#receive(data);
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

  async #send(url: string, body: Body, init: SendInit): Promise<SendResult<never>> {
    const { id, init: shaped } = shape(url, body, init, { apiPaths: this.#apiPaths, namespace: this.#namespace });
    if (!navigator.serviceWorker.controller) {
      // Without a controller the request would bypass the outbox and could be lost.
      return { id, status: 'failed', reason: 'no-worker', detail: 'no worker controls this page' };
    }
    const response = await post(url, shaped);
    if ('error' in response) return { id, status: 'failed', reason: 'network', detail: String(response.error) };
    const result = await readAnswer(id, response);
    this.#following.learn(result.status, result.reason);
    this.#following.await(id, result.status);
    return result;
  }

  /**
   * Calls `listener` for every status change of every message of this origin,
   * whichever tab sent it. Returns the function that stops it.
   *
   * @example
   * const stop = outbox.subscribe(({ id, status, reason }) => render(id, status, reason));
   */
  subscribe(listener: OutboxListener): () => void {
    return this.#following.subscribe(listener);
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
    for (const message of messages) this.#following.await(message.id, message.status);
    // The body is the site's own JSON, parsed as it was sent: the site names its type.
    return messages as PendingMessage<T>[];
  }

  /**
   * Queues a failed message again (with its original id), and tries it now.
   * Rejects with `UnknownMessageError` for an id the outbox does not hold.
   */
  async retry(id: string): Promise<StatusUpdate> {
    const update = await this.#request({ type: 'retry', id, namespace: this.#namespace });
    this.#following.await(id, 'queued');
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
    const { outcome } = await this.#request({ type: 'edit', id, namespace: this.#namespace, ...(await encodeBody(body)) });
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
    this.#following.waiting.clear();
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
    this.#channel.close();
    this.#following.close();
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
      if (stoppedBy === 'transient' || stoppedBy === 'backoff') this.#following.probe?.start();
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
    if (message.type === 'status') this.#following.learn(message.update.status, message.update.reason);
    // Another user's messages are not this page's business.
    if (message.type === 'removed' ? message.namespace !== this.#namespace : message.update.namespace !== this.#namespace) return;
    if (message.type === 'removed') {
      this.#following.emit({ id: message.id, namespace: message.namespace, status: 'discarded', attempts: 0, updatedAtMs: Date.now() });
      return;
    }
    const event = message.update;
    if (event.status === 'queued' && event.reason === 'auth' && typeof this.#credentials === 'function') {
      void this.#declare(false).catch(() => undefined);
    }
    this.#following.emit(event);
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
    for (const id of [...this.#following.waiting]) {
      if (held.has(id)) continue;
      const detail = 'lost: the browser removed the stored queue (site data cleared, or a disk error)';
      this.#following.emit({ id, namespace: this.#namespace, status: 'failed', reason: 'storage', detail, attempts: 0, updatedAtMs: Date.now() });
    }
  }
}
