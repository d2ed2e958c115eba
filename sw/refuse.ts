/**
 * A worker whose outbox configuration cannot be used still installs: failing
 * script evaluation would give the page only "ServiceWorker script evaluation
 * failed", and an own worker would lose its other routes with it. The outbox
 * keeps nothing and intercepts nothing (the site's requests go to the network
 * as they are), and answers every page's command with the error, so
 * `createOutbox()` rejects with `OutboxConfigError` in these words.
 */
import { OutboxConfigError, serializeError } from './protocol/errors.js';
import { isOutboxMessage } from './protocol/messages.js';

/** The error as an `OutboxConfigError` (a ready-made worker's query reader may throw others). */
export function asConfigError(cause: unknown): OutboxConfigError {
  return cause instanceof OutboxConfigError ? cause : new OutboxConfigError(cause instanceof Error ? cause.message : String(cause));
}

/** Logs the error and answers every page's command with it, for the worker's life. */
export function answerWithConfigError(error: OutboxConfigError): void {
  console.error(error.message);
  self.addEventListener('message', (event) => {
    const message = event as MessageEvent;
    if (isOutboxMessage(message.data)) message.ports[0]?.postMessage({ ok: false, error: serializeError(error) });
  });
}

/**
 * Runs `start` (an outbox's installation); options it cannot use come back as
 * the error, already answered to every page, so the caller stands aside.
 * Other errors (a bug, a second installation) are thrown as they are.
 */
export function startOrStandAside<T>(start: () => T): T | OutboxConfigError {
  try {
    return start();
  } catch (error) {
    if (!(error instanceof OutboxConfigError)) throw error;
    answerWithConfigError(error);
    return error;
  }
}
