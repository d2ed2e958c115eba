/**
 * The worker's decision log: each decision about a message (queued because …,
 * backing off until …, sent, delivered, set aside), with its id. Switched on
 * at run time, in the worker that runs: by the `debug` option (`?debug=1` for
 * the ready-made worker) for the worker's life, or by a page's `trace` command
 * (the devtools panel, `outbox/devtools`) until a page switches it off or the
 * worker stops. There is no other build to load for it (docs/debugging.md).
 *
 * While on, each line goes to the worker's console and, as a `trace`
 * broadcast, to every window of the origin. Off, a call costs one branch.
 */
import type { Announcer } from './announcer.js';

export type Trace = (id: string, decision: string) => void;

export interface Tracing {
  readonly trace: Trace;
  /** Whether lines are written now. */
  readonly on: boolean;
  /** A page asks for the log (or no longer does); `debug` keeps it on regardless. Returns whether it is on. */
  ask(on: boolean): boolean;
}

export function tracer(debug: boolean, announce: Pick<Announcer, 'trace'>): Tracing {
  let asked = false;
  const tracing = {
    get on() {
      return debug || asked;
    },
    ask(on: boolean) {
      asked = on;
      return tracing.on;
    },
    trace(id: string, decision: string) {
      if (!tracing.on) return;
      console.info(`outbox ${id}: ${decision}`);
      announce.trace(id, decision);
    },
  };
  return tracing;
}
