// Timing instrumentation prepended (esbuild banner) to the debug builds of the workers that
// e2e/bench/profile.mjs profiles. Never part of dist/. Counts and times, inside the worker:
// IndexedDB transactions (creation -> complete), fetch, Web Lock waits, BroadcastChannel posts,
// sync registrations, and each FetchEvent from dispatch to its respondWith() settling.
// Read (and reset) with `self.__benchStats(true)`.
/** @typedef {import('./bench-stats.js').BenchCounter} BenchCounter */
/** @typedef {import('./bench-stats.js').BenchWorkerStats} BenchWorkerStats */
/** @typedef {Omit<BenchWorkerStats, 'wallMs' | 'respond'> & { respond: BenchCounter & { list: number[] } }} LiveStats */
(() => {
  const now = () => performance.now();
  /** @type {LiveStats} */
  let stats;
  const reset = () => {
    stats = { since: now(), tx: {}, fetch: { n: 0, ms: 0 }, lockWait: { n: 0, ms: 0 }, lockHeld: { n: 0, ms: 0 }, broadcast: { n: 0, ms: 0 }, syncRegister: { n: 0, ms: 0 }, respond: { n: 0, ms: 0, list: [] }, messages: { n: 0 } };
  };
  reset();
  /** @param {BenchCounter} o @param {number} ms */
  const add = (o, ms) => { o.n++; o.ms += ms; };

  const origTx = IDBDatabase.prototype.transaction;
  /** @type {(this: IDBDatabase, names: string | string[], mode?: IDBTransactionMode, opts?: IDBTransactionOptions) => IDBTransaction} */
  const transaction = function (names, mode, opts) {
    const tx = origTx.call(this, names, mode, opts);
    const key = `${this.name}:${[names].flat().join('+')}:${mode || 'readonly'}`;
    const t0 = now();
    const done = () => add((stats.tx[key] ||= { n: 0, ms: 0 }), now() - t0);
    tx.addEventListener('complete', done);
    tx.addEventListener('abort', done);
    return tx;
  };
  IDBDatabase.prototype.transaction = transaction;

  const origFetch = self.fetch;
  self.fetch = function (...args) {
    const t0 = now();
    const p = origFetch.apply(this, args);
    p.then(() => add(stats.fetch, now() - t0), () => add(stats.fetch, now() - t0));
    return p;
  };

  if (self.navigator.locks) {
    const locks = self.navigator.locks;
    const origReq = locks.request.bind(locks);
    /** @type {(name: string, a: LockOptions | LockGrantedCallback<unknown>, b?: LockGrantedCallback<unknown>) => Promise<unknown>} */
    const request = function (name, a, b) {
      const cb = typeof a === 'function' ? a : b;
      const opts = typeof a === 'function' ? undefined : a;
      if (!cb) return Promise.reject(new TypeError('LockManager.request: no callback')); // as the platform rejects
      const t0 = now();
      /** @param {Lock | null} lock */
      const wrapped = async (lock) => {
        const t1 = now();
        add(stats.lockWait, t1 - t0);
        try { return await cb(lock); } finally { add(stats.lockHeld, now() - t1); }
      };
      return opts ? origReq(name, opts, wrapped) : origReq(name, wrapped);
    };
    // One function for LockManager.request's two overloads (with and without options).
    locks.request = /** @type {LockManager['request']} */ (request);
  }

  const origPost = BroadcastChannel.prototype.postMessage;
  /** @param {unknown} m */
  BroadcastChannel.prototype.postMessage = function (m) {
    const t0 = now();
    try { return origPost.call(this, m); } finally { add(stats.broadcast, now() - t0); }
  };

  if (self.SyncManager) {
    const origReg = SyncManager.prototype.register;
    /** @param {string} tag */
    SyncManager.prototype.register = function (tag) {
      const t0 = now();
      const p = origReg.call(this, tag);
      p.then(() => add(stats.syncRegister, now() - t0), () => add(stats.syncRegister, now() - t0));
      return p;
    };
  }

  const origRespond = FetchEvent.prototype.respondWith;
  /** @param {Response | PromiseLike<Response>} p */
  FetchEvent.prototype.respondWith = function (p) {
    const t0 = this.__t0 ?? now();
    Promise.resolve(p).then(() => { const ms = now() - t0; add(stats.respond, ms); stats.respond.list.push(ms); }, () => {});
    return origRespond.call(this, p);
  };
  // Added before the worker's own listeners: marks when the event reached the worker.
  self.addEventListener('fetch', (e) => { e.__t0 = now(); });
  self.addEventListener('message', () => { stats.messages.n++; });

  self.__benchStats = (doReset) => {
    /** @type {LiveStats} */
    const copy = JSON.parse(JSON.stringify(stats));
    const { list, ...respond } = copy.respond;
    const l = list.sort((a, b) => a - b);
    /** @type {BenchWorkerStats} */
    const s = { ...copy, wallMs: now() - copy.since, respond: { ...respond, p50: l[Math.floor(l.length * 0.5)] ?? null, p95: l[Math.floor(l.length * 0.95)] ?? null } };
    if (doReset) reset();
    return s;
  };
})();
