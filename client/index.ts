/**
 * outbox for pages: `import { createOutbox } from 'outbox/client'`.
 */
export { createOutbox, Outbox, type OutboxEvent, type OutboxListener, type SendResult } from './outbox.js';
export { DEFAULT_CLIENT_OPTIONS, type OutboxClientOptions } from './options.js';
export {
  NoServiceWorkerError,
  OutboxProtocolError,
  OutboxTimeoutError,
  UnknownMessageError,
  isOutboxError,
} from '../sw/protocol/errors.js';
export type { DrainReport, MessageStatus, PendingMessage, Reason, StatusUpdate } from '../sw/protocol/messages.js';
