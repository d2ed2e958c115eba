// Bench page: the same shape of call for every worker, so the only difference is the worker.
// ours (and baseline: ours at an earlier commit, BENCH_BASELINE): the outbox client; recipe/floor/none: a plain fetch POST with a JSON body and an Idempotency-Key.
const PAD = ' '.padEnd(80, 'lorem ipsum dolor sit amet ');
/** @typedef {'ours' | 'baseline' | 'recipe' | 'floor' | 'none'} WorkerKind */
/** @typedef {'delivered' | 'relayed' | 'queued' | 'failed' | 'error'} SendStatus */
/** @typedef {{ id: string, status: SendStatus }} Sent */
/** What seq, conc and batched return: the ids sent, a count per status, latencies (ms) and the run's total (ms). */
/** @typedef {{ ids: string[], statuses: Partial<Record<SendStatus, number>>, lat: number[], totalMs: number }} RunSummary */
/** @typedef {import('/client.js').DrainReport & { at: number }} ReceivedDrainReport */

/** @type {WorkerKind | null} */
let kind = null;
/** @type {import('/client.js').Outbox | null} */
let outbox = null;
// ours: the worker's drain reports (BroadcastChannel 'outbox:<queue>'), to tell which trigger drained.
/** @type {ReceivedDrainReport[]} */
const drainReports = [];
/** @param {Response} r @returns {SendStatus} */
const statusOf = (r) => (r.status === 202 ? 'queued' : r.ok ? 'delivered' : 'failed');

async function waitControlled() {
  if (navigator.serviceWorker.controller) return;
  await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
}

/** @param {string} message @returns {never} */
function fail(message) { throw new Error(message); }

/** @param {string} runId @param {number} i @returns {Promise<Sent>} */
async function sendOne(runId, i) {
  const body = { text: `bench ${runId} #${i}${PAD}` };
  if (kind === 'ours' || kind === 'baseline') {
    const r = await (outbox ?? fail('sendOne: bench.setup() has not made the outbox yet')).send('/api/chat', body);
    return { id: r.id, status: r.status };
  }
  const id = `${runId}-${i}`;
  try {
    const r = await fetch('/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': id },
      body: JSON.stringify(body),
    });
    await r.arrayBuffer();
    return { id, status: statusOf(r) };
  } catch (e) {
    // The Workbox recipe queues the request (fetchDidFail) and then rejects the page's fetch.
    return { id, status: kind === 'recipe' ? 'queued' : 'error' };
  }
}

/** @param {Sent[]} results @param {number[]} lat @param {number} totalMs @returns {RunSummary} */
function summarize(results, lat, totalMs) {
  /** @type {RunSummary['statuses']} */
  const statuses = {};
  for (const r of results) statuses[r.status] = (statuses[r.status] || 0) + 1;
  return { ids: results.map((r) => r.id), statuses, lat, totalMs };
}

/** @param {string} dbName @param {string} storeName @returns {Promise<unknown[]>} */
function idbGetAll(dbName, storeName) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open(dbName);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const d = open.result;
      if (!d.objectStoreNames.contains(storeName)) { d.close(); resolve([]); return; }
      const req = d.transaction(storeName, 'readonly').objectStore(storeName).getAll();
      req.onsuccess = () => { d.close(); resolve(req.result); };
      req.onerror = () => { d.close(); reject(req.error); };
    };
  });
}

export const bench = {
  /** @param {{ kind: WorkerKind, outbox?: import('/client.js').OutboxClientOptions }} opts */
  async setup(opts) {
    kind = opts.kind;
    if (kind === 'ours' || kind === 'baseline') {
      const { createOutbox } = await import('/client.js');
      outbox = await createOutbox(opts.outbox);
      window.outbox = outbox;
      const bc = new BroadcastChannel('outbox:outbox');
      bc.onmessage = (e) => { if (e.data?.type === 'drain') drainReports.push({ at: Date.now(), ...e.data.report }); };
    } else if (kind === 'recipe' || kind === 'floor') {
      await navigator.serviceWorker.register('/sw.js');
      await navigator.serviceWorker.ready;
      await waitControlled();
    }
    return { kind, controlled: !!navigator.serviceWorker.controller };
  },
  sendOne,
  /** @param {string} runId @param {number} n */
  async seq(runId, n, start = 0) {
    const results = [], lat = [];
    const t0 = performance.now();
    for (let i = start; i < start + n; i++) {
      const s = performance.now();
      results.push(await sendOne(runId, i));
      lat.push(performance.now() - s);
    }
    return summarize(results, lat, performance.now() - t0);
  },
  /** @param {string} runId @param {number} n */
  async conc(runId, n, start = 0) {
    /** @type {number[]} */
    const lat = new Array(n);
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: n }, async (_, k) => {
      const r = await sendOne(runId, start + k);
      lat[k] = performance.now() - t0;
      return r;
    }));
    return summarize(results, lat, performance.now() - t0);
  },
  // n sends in batches of `batch` started at once (fast way to fill a big queue).
  /** @param {string} runId @param {number} n @param {number} batch @returns {Promise<RunSummary>} */
  async batched(runId, n, batch) {
    /** @type {string[]} */
    const ids = [];
    /** @type {RunSummary['statuses']} */
    const statuses = {};
    const t0 = performance.now();
    for (let start = 0; start < n; start += batch) {
      const rs = await Promise.all(Array.from({ length: Math.min(batch, n - start) }, (_, k) => sendOne(runId, start + k)));
      for (const r of rs) { ids.push(r.id); statuses[r.status] = (statuses[r.status] || 0) + 1; }
    }
    return { ids, statuses, lat: [], totalMs: performance.now() - t0 };
  },
  async list() {
    const t0 = performance.now();
    let n;
    if (kind === 'ours' || kind === 'baseline') n = (await (outbox ?? fail('list: bench.setup() has not made the outbox yet')).list()).length;
    else if (kind === 'recipe') n = (await idbGetAll('workbox-background-sync', 'requests')).length;
    else if (kind === 'floor') n = (await idbGetAll('floor', 'q')).length;
    else n = 0;
    return { n, ms: performance.now() - t0 };
  },
  // The floor worker's bench-only replay (see workers/floor.js).
  /** @returns {Promise<{ ok: true, n: number } | { ok: false, error: string }>} */
  floorReplay() {
    return new Promise((resolve, reject) => {
      const controller = navigator.serviceWorker.controller;
      if (!controller) { reject(new Error('floorReplay: no worker controls the bench page')); return; }
      const ch = new MessageChannel();
      ch.port1.onmessage = (e) => resolve(e.data);
      controller.postMessage({ type: 'bench-replay' }, [ch.port2]);
    });
  },
  // Reports since `sinceMs` (Date.now()), with their time relative to `refMs`.
  /** @param {number} sinceMs */
  drainReports(sinceMs, refMs = sinceMs) {
    return drainReports.filter((r) => r.at >= sinceMs).map(({ at, trigger, stoppedBy, delivered, failed, remaining }) => ({ atMs: at - refMs, trigger, stoppedBy, delivered, failed, remaining }));
  },
  async flush() { if (outbox) await outbox.flush(); },
};
window.bench = bench;
window.benchReady = true;
