// The bench's worker scripts are plain JavaScript with `self` as their service
// worker scope. TypeScript's WebWorker lib types `self` as a WorkerGlobalScope
// and has no Background Sync; these add what a service worker scope has, and
// what instrument.js hangs on it, so the scripts type-check as written.
import type { BenchWorkerStats } from './bench-stats.js';

declare global {
  interface WorkerGlobalScope {
    readonly clients: Clients;
    readonly registration: ServiceWorkerRegistration;
    skipWaiting(): Promise<void>;
    /** Background Sync's constructor; absent where the engine has no Background Sync. */
    readonly SyncManager?: typeof SyncManager;
    /** instrument.js: the counters since the last reset (profile.mjs reads them over CDP). */
    __benchStats?: (reset?: boolean) => BenchWorkerStats;
  }
  interface WorkerGlobalScopeEventMap {
    install: ExtendableEvent;
    activate: ExtendableEvent;
    fetch: FetchEvent;
    message: ExtendableMessageEvent;
  }
  interface SyncManager {
    register(tag: string): Promise<void>;
  }
  var SyncManager: { prototype: SyncManager };
  interface FetchEvent {
    /** instrument.js: when the event reached the worker (performance.now()), set by its first fetch listener. */
    __t0?: number;
  }
}

export {};
