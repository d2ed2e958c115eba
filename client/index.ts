/**
 * outbox for pages: `import { createOutbox } from 'outbox/client'`.
 */
export { createOutbox } from './create.js';
export { Outbox } from './outbox.js';
export type { Body as OutboxBody, OutboxEvent, OutboxListener, SendInit, SendResult } from './types.js';
export { DEFAULT_CLIENT_OPTIONS, type CredentialsSource, type OutboxClientOptions } from './options.js';
export {
  InvalidMessageError,
  InvalidNamespaceError,
  NoServiceWorkerError,
  OutboxConfigError,
  OutboxProtocolError,
  OutboxTimeoutError,
  UnknownMessageError,
  isOutboxError,
  type OutboxError,
  type OutboxErrorName,
} from '../sw/protocol/errors.js';
export type {
  DrainReport,
  DrainStop,
  DrainTrigger,
  LaneBlock,
  MessageStatus,
  PendingMessage,
  Reason,
  StatusUpdate,
} from '../sw/protocol/statuses.js';
export type { ChangeOutcome, ChangeResult, SessionCredentials } from '../sw/protocol/messages.js';
export type { ConnectionState } from './connection.js';
