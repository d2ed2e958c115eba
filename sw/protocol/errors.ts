/**
 * The named errors of outbox. Each has a literal `name`, so a type guard or a
 * `catch` can match on it after the error crossed `postMessage` (which keeps
 * only `name` and `message`; `rebuildError` makes the class again).
 */
import type { SerializedError } from './messages.js';

/** The worker did not answer a command in time (stopped, replaced, or busy). */
export class OutboxTimeoutError extends Error {
  override readonly name = 'OutboxTimeoutError';
  constructor(
    readonly command: string,
    readonly timeoutMs: number,
  ) {
    super(`The outbox worker did not answer '${command}' within ${timeoutMs} ms`);
  }
}

/** No service worker can take the message: unsupported, not registered, or not controlling the page. */
export class NoServiceWorkerError extends Error {
  override readonly name = 'NoServiceWorkerError';
}

/** `retry` or `discard` named an id the outbox does not hold (delivered, discarded, or never sent). */
export class UnknownMessageError extends Error {
  override readonly name = 'UnknownMessageError';
  constructor(
    readonly id: string,
    action = 'find',
  ) {
    super(`Cannot ${action} message '${id}': the outbox holds no such message`);
  }
}

/**
 * `send()` was given a message the outbox would not keep as it is: an
 * `Idempotency-Key` the worker cannot use, or a URL outside the worker's
 * `api`. Nothing was stored or sent; the caller still has the body.
 */
export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';
}

/** A namespace the outbox cannot use (over 200 characters, or not a string); nothing was changed. */
export class InvalidNamespaceError extends Error {
  override readonly name = 'InvalidNamespaceError';
}

/**
 * The worker's configuration cannot be used: a query key of the ready-made
 * worker with a value it cannot take (`retention=1day`), a misspelt key
 * (`retenton`), or an option of an own worker. The worker then keeps nothing
 * (the site's requests go to the network as they are) and answers every page
 * with this error, so `createOutbox()` rejects with it.
 */
export class OutboxConfigError extends Error {
  override readonly name = 'OutboxConfigError';
}

/** A message to the worker was not a command it understands. */
export class OutboxProtocolError extends Error {
  override readonly name = 'OutboxProtocolError';
}

const KNOWN = {
  OutboxTimeoutError,
  NoServiceWorkerError,
  UnknownMessageError,
  OutboxProtocolError,
  InvalidMessageError,
  InvalidNamespaceError,
  OutboxConfigError,
} as const;

export type OutboxErrorName = keyof typeof KNOWN;

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Makes the named class again on the receiving side, keeping the worker's message. */
export function rebuildError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  // The constructors above build their own message from context we no longer
  // have, so rebuild the prototype rather than call them.
  const known = KNOWN[serialized.name as OutboxErrorName];
  if (known) Object.setPrototypeOf(error, known.prototype);
  Object.defineProperty(error, 'name', { value: serialized.name, enumerable: false, configurable: true });
  return error;
}

/** Any of outbox's named errors. */
export type OutboxError = InstanceType<(typeof KNOWN)[OutboxErrorName]>;

/**
 * True when `error` is one of ours (with that name, when one is given),
 * whichever side made it.
 *
 * @example
 * try { await outbox.retry(id); } catch (error) {
 *   if (isOutboxError(error, 'UnknownMessageError')) forget(id);
 *   else if (isOutboxError(error)) showProblem(error.name, error.message);
 *   else throw error;
 * }
 */
export function isOutboxError<N extends OutboxErrorName>(error: unknown, name: N): error is InstanceType<(typeof KNOWN)[N]>;
export function isOutboxError(error: unknown): error is OutboxError;
export function isOutboxError(error: unknown, name?: OutboxErrorName): boolean {
  return error instanceof Error && (name === undefined ? Object.hasOwn(KNOWN, error.name) : error.name === name);
}
