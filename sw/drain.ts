/**
 * The drain's life, as one state value with its transitions in this file.
 * What one pass does with the queue is drain-loop.ts; the first attempt that
 * goes straight out is straight.ts; the failure streak it reads is timing.ts.
 *
 * | state              | event                                        | next                                      |
 * |--------------------|----------------------------------------------|-------------------------------------------|
 * | idle               | run(trigger)                                 | waiting-for-lock                          |
 * | backing-off(until) | run(trigger): a trigger, or a new message    | waiting-for-lock (timer cleared)          |
 * | backing-off(until) | the timer fires at `until`                   | waiting-for-lock (trigger `timer`)        |
 * | waiting-for-lock   | the lock is ours (Web Lock + this worker's chain) | draining                             |
 * | draining           | an attempt starts / is answered              | draining(sending id) / draining           |
 * | draining           | changed(): a message stored, a user resumed  | draining, one re-run pending              |
 * | draining           | a command waits for the lock (`yield`)       | waiting-for-lock, same run                |
 * | draining           | pass ends empty or waiting, re-run pending   | waiting-for-lock, a new run (`submit`)    |
 * | draining           | pass ends transient or backoff               | backing-off(until the streak's next try)  |
 * | draining           | pass ends otherwise, or IndexedDB threw      | idle                                      |
 *
 * `run` while waiting-for-lock or draining joins the run: one drain at a
 * time, whatever started it. A run may carry one waiter: the page whose new
 * message it will reach next, answered with the server's answer (or 202).
 *
 * Deadlines are monotonic (timing.ts): a timer that fires finds its own
 * deadline passed, and re-arms when it fires a little early, so the queue
 * cannot stall on a wall-clock step.
 */
import { queuedAnswer } from './answers.js';
import type { Exclusive } from './exclusive.js';
import type { DrainReport, DrainStop, DrainTrigger } from './protocol/messages.js';
import { afterFailure, mayTry, monotonicMs, wallNowMs, type Streak } from './timing.js';

/** `yield`: a user action is waiting for the queue; the drain steps aside and resumes after it. */
export type LoopStop = DrainStop | 'yield';
export type LoopReport = Omit<DrainReport, 'stoppedBy'> & { stoppedBy: LoopStop };

/** A page waiting for its own new message's answer. */
export interface Waiter {
  id: string;
  namespace: string;
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
}

type DrainState =
  | { kind: 'idle' }
  | { kind: 'backing-off'; untilMs: number; timer: ReturnType<typeof setTimeout> }
  | { kind: 'waiting-for-lock'; run: Run }
  | { kind: 'draining'; run: Run; sendingId: string | undefined };

/** What a pass may see and change of the drain it runs in. */
export interface PassControl {
  readonly trigger: DrainTrigger;
  /** Why not to send the next message now, or `undefined` to go ahead. */
  stop(): LoopStop | undefined;
  sending(id: string | undefined): void;
  /** Answers the run's waiter: for message `id` only (`undefined`: whichever it is, with 202). */
  answer(id: string | undefined, response?: Response): void;
  waiterId(): string | undefined;
  failed(retryAfterMs: number | undefined): void;
  succeeded(): void;
  /** When the worker will try again by itself (epoch ms), after a failure. */
  retryAtMs(): number | undefined;
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
  /** The failure streak: data the transitions read, not a state of its own (timing.ts). */
  #streak: Streak | undefined;
  readonly #exclusive: Exclusive;
  readonly #loop: Pass;
  readonly #settings: DrainSettings;
  /** Waiting for the next run to end (`nextEnd`). */
  readonly #endListeners = new Set<(stop: LoopStop | undefined) => void>();

  constructor(exclusive: Exclusive, loop: Pass, settings: DrainSettings) {
    this.#exclusive = exclusive;
    this.#loop = loop;
    this.#settings = settings;
  }

  /** The id on the wire right now, if any (`list()` shows it as `sending`). */
  get sendingId(): string | undefined {
    return this.#state.kind === 'draining' ? this.#state.sendingId : undefined;
  }

  /** Nothing runs, nothing waits for a timer. */
  get idle(): boolean {
    return this.#state.kind === 'idle';
  }

  get running(): Promise<DrainReport> | undefined {
    return this.#state.kind === 'waiting-for-lock' || this.#state.kind === 'draining' ? this.#state.run.done : undefined;
  }

  /** Why a new message must not be tried now (offline, or backing off), or `undefined`. */
  blocked(trigger: DrainTrigger): DrainStop | undefined {
    if (self.navigator.onLine === false) return 'offline';
    return mayTry(this.#streak, trigger, monotonicMs(), this.#settings.retryBaseMs) ? undefined : 'backoff';
  }

  /**
   * Runs a drain, or joins the one running (then `pass` and `waiter` are not
   * used: callers that bring their own check `idle` first). A failed send does
   * not reject (the report says what happened); IndexedDB failing does.
   */
  run(trigger: DrainTrigger, pass: Pass = this.#loop, waiter?: Waiter): Promise<DrainReport> {
    const running = this.running;
    if (running) return running;
    const run: Run = { trigger, waiter, rerun: false, done: undefined as unknown as Promise<DrainReport> };
    this.#to({ kind: 'waiting-for-lock', run });
    run.done = this.#exclusively(run, pass);
    return run.done;
  }

  /** A drain nobody awaits: a storage failure is reported, not left as an unhandled rejection. */
  kick(trigger: DrainTrigger, waiter?: Waiter): void {
    this.run(trigger, this.#loop, waiter).catch((error: unknown) => console.error(`outbox: ${trigger} drain failed`, error));
  }

  /**
   * A new message, stored, joins the running drain when that drain will reach
   * it without a wait: it holds the lock, has nothing on the wire, and no
   * other page waits on it. Then the page gets the server's answer, not a 202
   * while nothing is ahead of it. `undefined`: it waits its turn.
   */
  join(waiter: Waiter): Promise<DrainReport> | undefined {
    const state = this.#state;
    if (state.kind !== 'draining' || state.sendingId !== undefined || state.run.waiter) return undefined;
    state.run.waiter = waiter;
    state.run.rerun = true;
    return state.run.done;
  }

  /**
   * How the next run ends (`undefined`: IndexedDB threw), or `'timeout'`
   * after `timeoutMs`: for a caller that holds an event open while the
   * drain's own timer retries (install.ts, `sync`).
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

  async #exclusively(run: Run, first: Pass): Promise<DrainReport> {
    let report: LoopReport | undefined;
    let pass = first;
    try {
      for (;;) {
        report = await this.#exclusive.run(() => {
          this.#to({ kind: 'draining', run, sendingId: undefined });
          run.rerun = false;
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
    if (run.rerun && (stop === 'empty' || stop === 'waiting')) {
      // Its waiter, if any, is answered by the next run.
      this.#to({ kind: 'idle' });
      this.kick('submit', run.waiter);
      return;
    }
    const listeners = [...this.#endListeners];
    this.#endListeners.clear();
    for (const listener of listeners) listener(stop);
    this.#answer(run, undefined);
    const streak = this.#streak;
    if (streak && (stop === 'transient' || stop === 'backoff')) {
      const untilMs = streak.nextAttemptAtMs;
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
      stop: () => (this.#exclusive.waiting > 0 ? 'yield' : this.blocked(run.trigger)),
      sending: (sendingId) => {
        if (this.#state.kind === 'draining') this.#to({ ...this.#state, sendingId });
      },
      answer: (id, response) => this.#answer(run, id, response),
      waiterId: () => run.waiter?.id,
      failed: (retryAfterMs) => {
        this.#streak = afterFailure(this.#streak, retryAfterMs, monotonicMs(), retryBaseMs, retryMaxMs);
      },
      succeeded: () => {
        this.#streak = undefined;
      },
      retryAtMs: () => (this.#streak ? wallNowMs() + Math.max(0, Math.round(this.#streak.nextAttemptAtMs - monotonicMs())) : undefined),
    };
  }
}
