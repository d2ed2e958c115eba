// The bench's worker scripts are plain JavaScript with `self` as their service
// worker scope. TypeScript's WebWorker lib types `self` as a WorkerGlobalScope
// and has no Background Sync; these add what a service worker scope has, and
// what instrument.js hangs on it, so the scripts type-check as written.
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
  /** A count and the milliseconds spent, summed. */
  interface BenchCounter { n: number; ms: number }
  /** What `self.__benchStats()` returns (instrument.js). */
  interface BenchWorkerStats {
    since: number;
    wallMs: number;
    tx: Record<string, BenchCounter>;
    fetch: BenchCounter;
    lockWait: BenchCounter;
    lockHeld: BenchCounter;
    broadcast: BenchCounter;
    syncRegister: BenchCounter;
    respond: BenchCounter & { p50: number | null; p95: number | null };
    messages: { n: number };
  }
}

export {};
