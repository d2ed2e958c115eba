// The tests' worker scripts are plain JavaScript with `self` as their service
// worker scope. TypeScript's WebWorker lib types `self` as a WorkerGlobalScope;
// these add what a service worker scope has, and what Workbox's build puts
// there (`__WB_MANIFEST`), so the scripts type-check as written.
declare global {
  interface WorkerGlobalScope {
    readonly clients: Clients;
    readonly registration: ServiceWorkerRegistration;
    skipWaiting(): Promise<void>;
    /** The precache manifest a Workbox build injects. */
    __WB_MANIFEST: (string | { url: string; revision: string | null })[];
  }
  interface WorkerGlobalScopeEventMap {
    install: ExtendableEvent;
    activate: ExtendableEvent;
    fetch: FetchEvent;
  }
}

export {};
