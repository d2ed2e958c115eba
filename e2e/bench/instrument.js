// Timing instrumentation prepended (esbuild banner) to the debug builds of the workers that
// e2e/bench/profile.mjs profiles. Never part of dist/. Counts and times, inside the worker:
// IndexedDB transactions (creation -> complete), fetch, Web Lock waits, BroadcastChannel posts,
// sync registrations, and each FetchEvent from dispatch to its respondWith() settling.
// Read (and reset) with `self.__benchStats(true)`.
(() => {
  const now = () => performance.now();
  let stats;
  const reset = () => {
    stats = { since: now(), tx: {}, fetch: { n: 0, ms: 0 }, lockWait: { n: 0, ms: 0 }, lockHeld: { n: 0, ms: 0 }, broadcast: { n: 0, ms: 0 }, syncRegister: { n: 0, ms: 0 }, respond: { n: 0, ms: 0, list: [] }, messages: { n: 0 } };
  };
  reset();
  const add = (o, ms) => { o.n++; o.ms += ms; };

  const origTx = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (names, mode, opts) {
    const tx = origTx.call(this, names, mode, opts);
    const key = `${this.name}:${[].concat(names).join('+')}:${mode || 'readonly'}`;
    const t0 = now();
    const done = () => { stats.tx[key] ||= { n: 0, ms: 0 }; add(stats.tx[key], now() - t0); };
    tx.addEventListener('complete', done);
    tx.addEventListener('abort', done);
    return tx;
  };

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
    locks.request = function (name, a, b) {
      const cb = typeof a === 'function' ? a : b;
      const opts = typeof a === 'function' ? undefined : a;
      const t0 = now();
      const wrapped = async (lock) => {
        const t1 = now();
        add(stats.lockWait, t1 - t0);
        try { return await cb(lock); } finally { add(stats.lockHeld, now() - t1); }
      };
      return opts ? origReq(name, opts, wrapped) : origReq(name, wrapped);
    };
  }

  const origPost = BroadcastChannel.prototype.postMessage;
  BroadcastChannel.prototype.postMessage = function (m) {
    const t0 = now();
    try { return origPost.call(this, m); } finally { add(stats.broadcast, now() - t0); }
  };

  if (self.SyncManager) {
    const origReg = SyncManager.prototype.register;
    SyncManager.prototype.register = function (tag) {
      const t0 = now();
      const p = origReg.call(this, tag);
      p.then(() => add(stats.syncRegister, now() - t0), () => add(stats.syncRegister, now() - t0));
      return p;
    };
  }

  const origRespond = FetchEvent.prototype.respondWith;
  FetchEvent.prototype.respondWith = function (p) {
    const t0 = this.__t0 ?? now();
    Promise.resolve(p).then(() => { const ms = now() - t0; add(stats.respond, ms); stats.respond.list.push(ms); }, () => {});
    return origRespond.call(this, p);
  };
  // Added before the worker's own listeners: marks when the event reached the worker.
  self.addEventListener('fetch', (e) => { e.__t0 = now(); });
  self.addEventListener('message', () => { stats.messages.n++; });

  self.__benchStats = (doReset) => {
    const s = JSON.parse(JSON.stringify(stats));
    s.wallMs = now() - s.since;
    const l = s.respond.list.sort((a, b) => a - b);
    s.respond.p50 = l[Math.floor(l.length * 0.5)] ?? null;
    s.respond.p95 = l[Math.floor(l.length * 0.95)] ?? null;
    delete s.respond.list;
    if (doReset) reset();
    return s;
  };
})();
