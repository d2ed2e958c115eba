/**
 * The services of one outbox installation that hold no drain logic (options,
 * stores, broadcasts, sessions, secrets, keys, the lock, the decision log and
 * the sync registration), built once by the engine (engine.ts).
 *
 * Each module that needs some takes a slice (`Pick<Services, …>`, plus the
 * drain parts it calls, typed by their own modules): what it may touch is
 * readable from its signature. Nothing here imports a module that imports
 * this one, so the types have no import circle.
 */
import type { Announcer } from './announcer.js';
import type { OriginLock } from './origin-lock.js';
import type { KeyStore } from './keys.js';
import type { Ledger } from './ledger.js';
import type { ResolvedOptions } from './options.js';
import type { RequestQueue } from './request-queue.js';
import type { HeldSecrets } from './secrets.js';
import type { Sessions } from './sessions.js';
import type { Trace } from './trace.js';

export interface Services {
  options: ResolvedOptions;
  queue: RequestQueue;
  ledger: Ledger;
  announce: Announcer;
  sessions: Sessions;
  secrets: HeldSecrets;
  keys: KeyStore;
  lock: OriginLock;
  trace: Trace;
  /** Asks the browser for a `sync` event once per outage (no-op without Background Sync). */
  armSync(): Promise<void>;
  /** The queue is empty: the next outage needs a registration of its own. */
  disarmSync(): void;
}
