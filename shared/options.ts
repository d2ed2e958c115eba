/**
 * Checks shared by the worker's and the client's option parsing. Not part of
 * the wire format, so it lives outside `sw/protocol/`.
 */

import { OutboxConfigError } from '../sw/protocol/errors.js';

/** Rejects a non-positive or non-finite number option with a message naming it; `??` keeps 0 from becoming a default. */
export function positiveOption(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new OutboxConfigError(`outbox: option '${name}' must be a positive number, got ${value}`);
  }
  return value;
}
