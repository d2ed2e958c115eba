/**
 * The outbox inside one worker: its parts wired together (services.ts and the drain), and the
 * narrow methods the fetch handler and the page's commands go through. The
 * parts: drain.ts (the drain's state), drain-loop.ts (one pass over the
 * queue), submit.ts (a new message's way in), timing.ts (backoff and
 * clocks), secrets.ts (secret headers in memory), actions.ts (list, retry,
 * discard, purge), request-queue.ts and ledger.ts (storage).
 */
import { discard, list, purge, retry } from './actions.js';
import { storageFailure } from './page-answers.js';
import { Announcer } from './announcer.js';
import { applyChange, type Change } from './changes.js';
import { ArrivalOrder } from './arrival-order.js';
import { adoptParent, Parents } from './dependents.js';
import { Drain } from './drain.js';
import { DrainLoop } from './drain-loop.js';
import { OriginLock } from './origin-lock.js';
import { KeyStore, seal } from './keys.js';
import { Ledger } from './ledger.js';
import type { ResolvedOptions } from './options.js';
import type { Services } from './services.js';
import { InvalidMessageError } from './protocol/errors.js';
import type { DrainReport, DrainTrigger, PendingMessage as ListedMessage, StatusUpdate } from './protocol/statuses.js';
import type { ChangeResult, SessionCredentials } from './protocol/messages.js';
import { RelayedWatch } from './relayed.js';
import { RequestQueue } from './request-queue.js';
import { HeldSecrets } from './secrets.js';
import { Sessions } from './sessions.js';
import { submit, type ArrivingMessage, type Submitted } from './submit.js';
import { tracer, type Tracing } from './trace.js';

export type { ArrivingMessage } from './submit.js';

/**
 * Everything one installation is made of: the services (services.ts) and the
 * drain's parts. Only the engine holds it whole; each module it hands it to
 * declares the slice it takes (SendDeps, SettleDeps, LoopDeps, SubmitDeps,
 * ActionDeps, RelayedDeps).
 */
type Parts = Services & {
  /** Follows messages a relay holds until it says they were delivered (with a lookup). */
  relayed: RelayedWatch;
  /** Messages this worker knows others were sent `after` (dependents.ts). */
  parents: Parents;
  loop: DrainLoop;
  drain: Drain;
};

export class Engine {
  readonly options: ResolvedOptions;
  readonly announce: Announcer;
  /** The decision log, switched on at run time (trace.ts). */
  readonly tracing: Tracing;
  /** New messages take their queue position in the order they arrived. */
  readonly arrival = new ArrivalOrder();
  readonly #parts: Parts;
  /** Set by the installer: asks the browser for a `sync` event (no-op without Background Sync). */
  #registerSync: () => Promise<void> = async () => undefined;
  /** One registration per outage is enough: registering on every push costs an IPC per message. */
  #syncArmed = false;

  constructor(options: ResolvedOptions) {
    this.options = options;
    const announce = (this.announce = new Announcer(options.queueName));
    const tracing = (this.tracing = tracer(options.debug, announce));
    const trace = tracing.trace;
    const lock = new OriginLock(`outbox:${options.queueName}`);
    const parts = {
      options,
      announce,
      trace,
      lock,
      queue: new RequestQueue(options.queueName, () => announce.storeLost()),
      ledger: new Ledger(options.queueName),
      sessions: new Sessions(),
      secrets: new HeldSecrets(),
      keys: new KeyStore(),
      parents: new Parents(),
      armSync: async () => {
        if (this.#syncArmed) return;
        this.#syncArmed = true;
        await this.#registerSync();
      },
      disarmSync: () => this.syncFired(),
    } as Omit<Parts, 'loop' | 'drain' | 'relayed'> as Parts;
    parts.relayed = new RelayedWatch(parts);
    parts.loop = new DrainLoop(parts);
    parts.drain = new Drain(lock, parts.loop.pass, {
      retryBaseMs: options.retryBaseMs,
      retryMaxMs: options.retryMaxMs,
      onQueued: ({ id, namespace, lane }) => {
        trace(id, 'queued because older messages go first');
        announce.status({ id, namespace, lane: lane || undefined, status: 'queued', attempts: 0 });
      },
      onRefused: ({ id }, error) => {
        parts.secrets.drop(id);
        return storageFailure(id, error);
      },
    });
    this.#parts = parts;
  }

  /** Wires Background Sync: `register` asks the browser for a `sync` event. */
  useSync(register: () => Promise<void>): void {
    this.#registerSync = register;
  }

  /** The browser fired our sync: the registration is used up, the next stop must arm a new one. */
  syncFired(): void {
    this.#syncArmed = false;
  }

  /** Re-arms the sync registration even if this worker armed one (the browser's last chance passed). */
  rearmSync(): Promise<void> {
    this.#syncArmed = true;
    return this.#registerSync();
  }

  /** Keeps a message's secret headers in memory for its attempts in this worker's life. */
  holdSecrets(id: string, namespace: string, headers: Record<string, string>): void {
    this.#parts.secrets.hold(id, namespace, headers);
  }

  /** Seals a body for storage under `encrypt` (not in the lean build: worker.ts). */
  seal(namespace: string, body: ArrayBuffer): ReturnType<typeof seal> {
    return seal(this.#parts.keys, namespace, body);
  }

  /** Starts storing a new message. */
  store(requestData: ArrivingMessage['requestData'], metadata: ArrivingMessage['metadata']): ArrivingMessage['stored'] {
    return this.#parts.queue.push(requestData, metadata);
  }

  /** A child names its parent (`after`): whether the outbox knows it; marks it to keep its answer (dependents.ts). */
  adoptParent(parentId: string): Promise<boolean> {
    return adoptParent(this.#parts, parentId);
  }

  /** A new message whose store has started: see submit.ts. */
  submitted(id: string, namespace: string, lane: string, pending: ArrivingMessage): Promise<Submitted> {
    return submit(this.#parts, id, namespace, lane, pending);
  }

  /** Runs a drain, or joins the one running. */
  drain(trigger: DrainTrigger): Promise<DrainReport> {
    return this.#parts.drain.run(trigger);
  }

  /** How the next drain ends, or `'timeout'` (see Drain.nextEnd). */
  nextDrainEnd(timeoutMs: number): ReturnType<Drain['nextEnd']> {
    return this.#parts.drain.nextEnd(timeoutMs);
  }

  /** For callers that do not wait on the drain they ask for. */
  kick(trigger: DrainTrigger): void {
    this.#parts.drain.kick(trigger);
  }

  /** A page (or a message it sent) says who it is; credentials, if any, are held in memory. */
  declare(clientId: string, namespace: string, credentials?: SessionCredentials, resume = false): void {
    const { sessions } = this.#parts;
    sessions.declare(clientId, namespace, credentials);
    if (!resume) return;
    // Only pages declare (not sends), and the client declares once per page
    // load, switch, credentials change or new worker, so a dead session earns
    // one more 401, not a loop.
    sessions.resume(namespace);
    // This user's messages may have been waiting for their page or credentials.
    this.#parts.drain.changed();
    this.kick('online');
  }

  /**
   * A page asks for delivery now (`flush`): a person ("send now"), the
   * browser back online, or the health probe answering. An `auth` pause ends
   * otherwise only when a page declares itself again; with a cookie session
   * the user signs in (maybe in another tab) and the browser attaches the new
   * cookie by itself, so no page has anything new to declare and the pause
   * would last until a reload. So a person's flush gives every paused user one
   * more try, and for a site without accounts (`''`) any sign of life does (at
   * most one more 401 per trigger; `online` and `probe` come with the probe's backoff).
   */
  flush(trigger: 'online' | 'probe' | 'manual'): Promise<DrainReport> {
    if (trigger === 'manual') this.#parts.sessions.resumeAll();
    else this.#parts.sessions.resume('');
    this.#parts.drain.changed();
    return this.drain(trigger);
  }

  list(namespace: string): Promise<ListedMessage[]> {
    return list(this.#parts, namespace);
  }

  /** Retry, discard and purge change the queue: they run in the exclusive section, never beside a drain. */
  retry(id: string, namespace: string): Promise<StatusUpdate> {
    // A person's retry tries again at once, also a message waiting out an `auth` pause (see flush).
    this.#parts.sessions.resume(namespace);
    return this.#parts.lock.run(() => retry(this.#parts, id, namespace));
  }

  /**
   * Edit (a new body) or cancel (`undefined`), see changes.ts. A message on
   * the wire now is `in-flight` at once: its answer decides, not the person.
   */
  change(id: string, namespace: string, change: Change): Promise<ChangeResult> {
    if (change && change.body.byteLength > this.options.maxBodyBytes) {
      return Promise.reject(new InvalidMessageError(`edit: ${change.body.byteLength} bytes; at most ${this.options.maxBodyBytes}`));
    }
    if (this.#parts.drain.isSending(id)) return Promise.resolve({ id, outcome: 'in-flight' });
    return this.#parts.lock.run(async () => ({ id, outcome: await applyChange(this.#parts, id, namespace, change) }));
  }

  discard(id: string, namespace: string): Promise<{ id: string }> {
    return this.#parts.lock.run(() => discard(this.#parts, id, namespace));
  }

  purge(namespace: string): Promise<{ namespace: string; removed: number }> {
    return this.#parts.lock.run(() => purge(this.#parts, namespace));
  }
}
