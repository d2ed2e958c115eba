/**
 * outbox for service workers: `import { installOutbox } from 'outbox/sw'`.
 */
export { installOutbox } from './install-outbox.js';
export type { OutboxWorker } from './wiring.js';
export { outboxHandler, type OutboxRouteHandler } from './handler.js';
export type { BypassedBy } from './protocol/warnings.js';
export { DEFAULT_OPTIONS, type OutboxWorkerOptions } from './options.js';
export type { LaneRule } from './lanes.js';
export { installAppShell, DEFAULT_SHELL_TIMEOUT_MS, type AppShell, type AppShellOptions } from './shell.js';
// The retry policy, shared with outbox-server's relay (one copy: server/src/retry-policy.js).
export { classifyStatus, parseRetryAfterMs, backoffDelayMs, retryDelayMs, MAX_RETRY_AFTER_MS, type Verdict } from '../server/src/retry-policy.js';
export type {
  DrainReport,
  DrainStop,
  DrainTrigger,
  LaneBlock,
  MessageStatus,
  PendingMessage,
  Reason,
  StatusUpdate,
} from './protocol/statuses.js';
export type { ChangeOutcome, ChangeResult, SessionCredentials } from './protocol/messages.js';
