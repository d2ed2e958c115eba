/**
 * The parts of one outbox installation, built once by the engine (engine.ts)
 * and handed as one object to the modules that work with them.
 */
import type { Announcer } from './announcer.js';
import type { Drain } from './drain.js';
import type { DrainLoop } from './drain-loop.js';
import type { OriginLock } from './origin-lock.js';
import type { KeyStore } from './keys.js';
import type { Ledger } from './ledger.js';
import type { ResolvedOptions } from './options.js';
import type { Parents } from './dependents.js';
import type { RelayedWatch } from './relayed.js';
import type { RequestQueue } from './request-queue.js';
import type { HeldSecrets } from './secrets.js';
import type { Sessions } from './sessions.js';
import type { Trace } from './trace.js';

export interface Parts {
  options: ResolvedOptions;
  queue: RequestQueue;
  ledger: Ledger;
  announce: Announcer;
  sessions: Sessions;
  secrets: HeldSecrets;
  keys: KeyStore;
  lock: OriginLock;
  trace: Trace;
  loop: DrainLoop;
  drain: Drain;
  /** Follows messages a relay holds until it says they were delivered (with a lookup). */
  relayed: RelayedWatch;
  /** Messages this worker knows others were sent `after` (dependents.ts). */
  parents: Parents;
  /** Asks the browser for a `sync` event once per outage (no-op without Background Sync). */
  armSync(): Promise<void>;
  /** The queue is empty: the next outage needs a registration of its own. */
  disarmSync(): void;
}
