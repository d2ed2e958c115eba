/**
 * The `debug` option (`?debug=1` for the ready-made worker): each decision
 * about a message, with its id and the reason, in the worker's console.
 * Every call site is written `OUTBOX_FULL && trace(…)`, so the lean build drops
 * the calls and their strings (build-flags.ts).
 */
export type Trace = (id: string, decision: string) => void;

export function tracer(on: boolean): Trace {
  return on ? (id, decision) => console.info(`outbox ${id}: ${decision}`) : () => undefined;
}
