/**
 * The drain's life, as one state value with its transitions in this file.
 * What one pass does with the queue is drain-loop.ts; the first attempt that
 * goes straight out is submit.ts; the failure streak it reads is timing.ts.
 *
 * | state              | event                                        | next                                      |
 * |--------------------|----------------------------------------------|-------------------------------------------|
 * | idle               | run(trigger)                                 | waiting-for-lock                          |
 * | backing-off(until) | run(trigger): a trigger, or a new message    | waiting-for-lock (timer cleared)          |
 * | backing-off(until) | the timer fires at `until`                   | waiting-for-lock (trigger `timer`)        |
 * | waiting-for-lock   | the lock is ours (Web Lock + this worker's chain) | draining                             |
 * | draining(sending)  | a lane's attempt starts / is answered        | draining(sending + id / − id)             |
 * | draining           | changed(): a message stored, a user resumed  | draining, one re-run pending              |
 * | draining           | a command waits for the lock (`yield`)       | waiting-for-lock, same run                |
 * | draining           | pass ends (not offline), re-run pending      | waiting-for-lock, a new run (`submit`)    |
 * | draining           | pass ends transient or backoff               | backing-off(until the soonest lane's next try) |
 * | draining           | pass ends otherwise, or IndexedDB threw      | idle                                      |
 *
 * `run` while waiting-for-lock or draining joins the run: one drain at a
 * time, whatever started it. A run may carry one waiter: the page whose new
 * message it will reach next, answered with the server's answer (or 202).
 *
 * Lanes (lanes.ts) are data of these states, not states of their own: a
 * pass sends one message per lane at a time, side by side (`sending` holds
 * the ids on the wire, one per lane), and each lane has its own failure streak, so
 * one lane's backoff or `Retry-After` holds only that lane. With one lane
 * (the default) this is the drain it always was.
 *
 * Deadlines are monotonic (timing.ts): a timer that fires finds its own
 * deadline passed, and re-arms when it fires a little early, so the queue
 * cannot stall on a wall-clock step.
 */
import { queuedAnswer } from './page-answers.js';
import type { OriginLock } from './origin-lock.js';
import type { DrainReport, DrainStop, DrainTrigger, LaneBlock, Reason } from './protocol/statuses.js';
import { afterFailure, mayTry, monotonicMs, wallNowMs, type Streak } from './timing.js';

/** `yield`: a user action is waiting for the queue; the drain steps aside and resumes after it. */
export type LoopStop = DrainStop | 'yield';
export type LoopReport = Omit<DrainReport, 'stoppedBy'> & { stoppedBy: LoopStop };

/** A page waiting for its own new message's answer. */
export interface Waiter {
  id: string;
  namespace: string;
  lane: string;
  /** Its store: a 202 is given only once it resolved (the message is on disk), a `storage` failure if it rejected. */
  stored: Promise<unknown>;
  resolve: (response: Response) => void;
}

interface Run {
  trigger: DrainTrigger;
  done: Promise<DrainReport>;
  waiter: Waiter | undefined;
  /** A message was stored after this run's pass read the queue: at most one more pass. */
  rerun: boolean;
  /** The lanes that wait in its current pass (PassControl.stopped). */
  stopped: Set<string>;
}

type DrainState =
  | { kind: 'idle' }
  | { kind: 'backing-off'; untilMs: number; timer: ReturnType<typeof setTimeout> }
  | { kind: 'waiting-for-lock'; run: Run }
  /** `sending`: the ids on the wire, at most one per lane. */
  | { kind: 'draining'; run: Run; sending: ReadonlySet<string> };

/** A lane's failure streak, and the failure that started its wait (for `blockedBy`). */
type LaneStreak = Streak & { reason: Reason };

/** What a pass may see and change of the drain it runs in. */
export interface PassControl {
  readonly trigger: DrainTrigger;
  /** Lanes whose head failed or must wait in this pass: the rest of each waits behind it. The timer is armed for these. */
  readonly stopped: Set<string>;
  /** Why not to send the lane's next message now, or `undefined` to go ahead. */
  stop(lane: string): LoopStop | undefined;
  /** An attempt of `id` starts (`true`) or is answered (`false`). */
  sending(id: string, onWire: boolean): void;
  /** Answers the run's waiter: for message `id` only (`undefined`: whichever it is, with 202). */
  answer(id: string | undefined, response?: Response): void;
  waiter(): Waiter | undefined;
  failed(lane: string, reason: Reason, retryAfterMs: number | undefined): void;
  succeeded(lane: string): void;
  /** Something this pass did lets a message it passed over go now (a parent delivered): one more pass. */
  rerun(): void;
  /** When the worker will try the lane again by itself (epoch ms; no lane: the soonest), after a failure. */
  retryAtMs(lane?: string): number | undefined;
}

export type Pass = (control: PassControl) => Promise<LoopReport>;

export interface DrainSettings {
  retryBaseMs: number;
  retryMaxMs: number;
  /** Told when a waiter is answered 202 by the drain rather than by its own message's attempt. */
  onQueued(waiter: Waiter): void;
  /** The answer for a waiter whose message IndexedDB refused. */
  onRefused(waiter: Waiter, error: unknown): Response;
}

export class Drain {
  #state: DrainState = { kind: 'idle' };
  /** Each lane's failure streak: data the transitions read, not a state of its own (timing.ts). */
  readonly #streaks = new Map<string, LaneStreak>();
  readonly #lock: OriginLock;
  readonly #loop: Pass;
  readonly #settings: DrainSettings;
  /** Waiting for the next run to end (`nextEnd`). */
  readonly #endListeners = new Set<(stop: LoopStop | undefined) => void>();

  constructor(lock: OriginLock, loop: Pass, settings: DrainSettings) {
    this.#lock = lock;
    this.#loop = loop;
    this.#settings = settings;
  }

  /** Whether `id` is on the wire right now (`list()` shows it as `sending`). */
  isSending(id: string): boolean {
    return this.#state.kind === 'draining' && this.#state.sending.has(id);
  }

  /** Why the lane waits, and until when (epoch ms), while it backs off after a failure. */
  blockedBy(lane: string): LaneBlock | undefined {
    const streak = this.#streaks.get(lane);
    return streak && { reason: streak.reason, untilMs: wallMs(streak.nextAttemptAtMs) };
  }

  /** When the soonest lane that waits in the run's pass may try again (monotonic ms; Infinity: none waits). */
  #soonestMs(run: Run): number {
    return Math.min(...[...run.stopped].map((lane) => this.#streaks.get(lane)?.nextAttemptAtMs ?? Infinity));
  }

  /** Nothing runs, nothing waits for a timer. */
  get idle(): boolean {
    return this.#state.kind === 'idle';
  }

  get running(): Promise<DrainReport> | undefined {
    return this.#state.kind === 'waiting-for-lock' || this.#state.kind === 'draining' ? this.#state.run.done : undefined;
  }

  /** Why a lane's message must not be tried now (offline, or the lane backing off), or `undefined`. */
  blocked(trigger: DrainTrigger, lane: string): DrainStop | undefined {
    if (self.navigator.onLine === false) return 'offline';
    return mayTry(this.#streaks.get(lane), trigger, monotonicMs(), this.#settings.retryBaseMs) ? undefined : 'backoff';
  }

  /**
   * Runs a drain, or joins the one running (then `pass` and `waiter` are not
   * used: callers that bring their own check `idle` first). A failed send does
   * not reject (the report says what happened); IndexedDB failing does.
   */
  run(trigger: DrainTrigger, pass: Pass = this.#loop, waiter?: Waiter): Promise<DrainReport> {
    const running = this.running;
    if (running) return running;
    const run: Run = { trigger, waiter, rerun: false, stopped: new Set(), done: undefined as unknown as Promise<DrainReport> };
    this.#to({ kind: 'waiting-for-lock', run });
    run.done = this.#underLock(run, pass);
    return run.done;
  }

  /** A drain nobody awaits: a storage failure is reported, not left as an unhandled rejection. */
  kick(trigger: DrainTrigger, waiter?: Waiter): void {
    this.run(trigger, this.#loop, waiter).catch((error: unknown) => console.error(`outbox: ${trigger} drain failed`, error));
  }

  /**
   * A new message, stored, joins the running drain when that drain will reach
   * it without a wait, and no other page waits on it: a run still waiting for
   * the lock (its pass will read the queue from the start), or one that holds
   * it with nothing on the wire (one more pass, in case this one read past
   * it). Then the page gets the server's answer, not a 202 while nothing is
   * ahead of it. A run waiting for the lock is what a pass leaves behind when
   * a message joined it and was answered in it (`rerun`): refusing to join
   * that one answered sends made back to back 202 (faults-drain-races).
   * `undefined`: it waits its turn.
   */
  join(waiter: Waiter): Promise<DrainReport> | undefined {
    const state = this.#state;
    if (state.kind === 'idle' || state.kind === 'backing-off' || state.run.waiter) return undefined;
    if (state.kind === 'draining') {
      if (state.sending.size > 0) return undefined;
      state.run.rerun = true;
    }
    state.run.waiter = waiter;
    return state.run.done;
  }

  /**
   * How the next run ends (`undefined`: IndexedDB threw), or `'timeout'`
   * after `timeoutMs`: for a caller that holds an event open while the
   * drain's own timer retries (wiring.ts, `sync`).
   */
  nextEnd(timeoutMs: number): Promise<LoopStop | undefined | 'timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#endListeners.delete(listener);
        resolve('timeout');
      }, timeoutMs);
      const listener = (stop: LoopStop | undefined): void => {
        clearTimeout(timer);
        resolve(stop);
      };
      this.#endListeners.add(listener);
    });
  }

  /**
   * Something a pass decides on changed behind it: a message entered the
   * queue, or a paused or absent user may now be sent (new credentials, a
   * person's flush or retry). A trigger that finds a drain running joins it,
   * so without this a pass that had already skipped that user's head would
   * end `waiting` and the news would be lost until the next trigger.
   */
  changed(): void {
    if (this.#state.kind === 'draining') this.#state.run.rerun = true;
  }

  /** Every change of state goes through here. */
  #to(next: DrainState): void {
    if (this.#state.kind === 'backing-off') clearTimeout(this.#state.timer);
    this.#state = next;
  }

  async #underLock(run: Run, first: Pass): Promise<DrainReport> {
    let report: LoopReport | undefined;
    let pass = first;
    try {
      for (;;) {
        report = await this.#lock.run(() => {
          this.#to({ kind: 'draining', run, sending: new Set() });
          run.rerun = false;
          run.stopped = new Set();
          return pass(this.#control(run));
        });
        if (report.stoppedBy !== 'yield') break;
        this.#to({ kind: 'waiting-for-lock', run });
        pass = this.#loop;
      }
      return report as DrainReport;
    } finally {
      this.#ended(run, report?.stoppedBy);
    }
  }

  #ended(run: Run, stop: LoopStop | undefined): void {
    // Also after a lane's failure: the new message may be in another lane. In
    // the failed one, the next pass finds the lane waiting and stops at once.
    if (run.rerun && stop !== undefined && stop !== 'offline') {
      // Its waiter, if any, is answered by the next run.
      this.#to({ kind: 'idle' });
      this.kick('submit', run.waiter);
      return;
    }
    const listeners = [...this.#endListeners];
    this.#endListeners.clear();
    for (const listener of listeners) listener(stop);
    this.#answer(run, undefined);
    const untilMs = this.#soonestMs(run);
    if ((stop === 'transient' || stop === 'backoff') && untilMs < Infinity) {
      const timer = setTimeout(() => this.kick('timer'), Math.max(0, untilMs - monotonicMs()));
      this.#to({ kind: 'backing-off', untilMs, timer });
    } else {
      this.#to({ kind: 'idle' });
    }
  }

  #answer(run: Run, id: string | undefined, response?: Response): void {
    const waiter = run.waiter;
    if (!waiter || (id !== undefined && waiter.id !== id)) return;
    run.waiter = undefined;
    if (response) return waiter.resolve(response);
    // "Queued" is a promise that the message is on disk: never said before its
    // store committed, and never when it failed (a pass that threw on a dead
    // connection ends here too).
    waiter.stored.then(
      () => {
        waiter.resolve(queuedAnswer(waiter.id));
        this.#settings.onQueued(waiter);
      },
      (error: unknown) => waiter.resolve(this.#settings.onRefused(waiter, error)),
    );
  }

  #control(run: Run): PassControl {
    const { retryBaseMs, retryMaxMs } = this.#settings;
    return {
      trigger: run.trigger,
      stopped: run.stopped,
      stop: (lane) => (this.#lock.waiting > 0 ? 'yield' : this.blocked(run.trigger, lane)),
      sending: (id, onWire) => {
        const state = this.#state;
        if (state.kind !== 'draining') return;
        const sending = new Set(state.sending);
        if (onWire) sending.add(id);
        else sending.delete(id);
        this.#to({ ...state, sending });
      },
      answer: (id, response) => this.#answer(run, id, response),
      waiter: () => run.waiter,
      failed: (lane, reason, retryAfterMs) => {
        this.#streaks.set(lane, { ...afterFailure(this.#streaks.get(lane), retryAfterMs, monotonicMs(), retryBaseMs, retryMaxMs), reason });
      },
      succeeded: (lane) => void this.#streaks.delete(lane),
      rerun: () => void (run.rerun = true),
      retryAtMs: (lane) => {
        const untilMs = lane === undefined ? this.#soonestMs(run) : this.#streaks.get(lane)?.nextAttemptAtMs;
        // `undefined < Infinity` is false: no streak, no time.
        return (untilMs as number) < Infinity ? wallMs(untilMs as number) : undefined;
      },
    };
  }
}

/** A monotonic deadline as epoch ms, for a person or a page to read (never earlier than now). */
function wallMs(monotonicDeadlineMs: number): number {
  return wallNowMs() + Math.max(0, Math.round(monotonicDeadlineMs - monotonicMs()));
}
