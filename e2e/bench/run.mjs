// outbox benchmark: ours vs the plain Workbox recipe vs the floor (least any worker can do),
// plus a page with no worker. A benchmark, not a test: it never fails (exit code 0 whatever the figures).
//
//   npm run bench                  full run (~8 min on 2 cores)
//   BENCH_QUICK=1 npm run bench    reduced sizes (100/1000), one short outage (~2 min)
//   BENCH_ONLY=ours,floor,none     only these (none = the page with no worker; relay = the server relay's throughput;
//                                  longqueue = createOutbox()/list() at 10,000 queued 16 kB messages)
//   BENCH_TRIALS=3                 enqueue/drain trials (default 2, quick 1); medians reported
//   BENCH_WAIT_QUIET=300           wait up to 300 s for the load average to drop below BENCH_QUIET_LOAD (1.0)
//
// Prints a table and writes bench-results.json at the repo root. See e2e/bench/README.md.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import os from 'node:os';
import crypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { startBenchServer } from './server.mjs';
import { buildReferenceWorkers } from './build-workers.mjs';
import { buildBaseline } from './baseline.mjs';
import { attachToServiceWorker, workerHeap } from './cdp.mjs';
import { benchRelay, relayTable } from './relay.mjs';
import { benchLongQueue } from './long-queue.mjs';

/** @typedef {import('./page.js').WorkerKind} Kind */
/** @typedef {import('./page.js').RunSummary} RunSummary */
/** @typedef {import('./page.js').SendStatus} SendStatus */
/** @typedef {import('./server.mjs').BenchServer} BenchServer */
/** @typedef {Awaited<ReturnType<typeof openSession>>} Session */
/** @typedef {ReturnType<typeof latStats>} LatStats */
/** @typedef {ReturnType<typeof import('./page.js').bench.drainReports>} DrainReportRows */
/**
 * What measureStored finds, and what the recovery session adds to it.
 * @typedef {{
 *   n: number, stored: number, firstMs: number | null, lastMs: number | null, complete: boolean, capMs: number, duplicates: number,
 *   inOrder?: boolean, msgPerSec?: number | null, perMessageMs?: number | null, reports?: DrainReportRows,
 *   outageMs?: number, sendStatuses?: RunSummary['statuses'], postsDuringOutage?: number, healthChecksDuringOutage?: number,
 * }} Stored
 */
/** One enqueue/drain trial of one kind (sessionEnqueueDrain). @typedef {{ enqueueSeq?: LatStats, drain?: Stored, enqueueConc?: LatStats, drainAfterConc?: Stored }} TrialResult */
/** @typedef {{ n: number, p50Ms: number | null, p95Ms: number | null, meanMs: number | null, statuses: RunSummary['statuses'] }} OnlineResult */
/** @typedef {Awaited<ReturnType<typeof import('./cdp.mjs').workerHeap>>} Heap */
/**
 * sessionScale's figures.
 * @typedef {{ drainBySize: Record<number, Stored>, heapEmpty?: Heap, heapFull?: Heap, bigQueue?: number,
 *   fill?: { n: number, totalMs: number | null, msgPerSec: number | null, statuses: RunSummary['statuses'] },
 *   list?: { runs: ({ n: number, ms: number } | { error: string })[], ms: number | null, n: number | undefined } }} ScaleResult
 */
/**
 * Everything measured of one kind.
 * @typedef {TrialResult & { online?: OnlineResult, trials?: TrialResult[], drainBySize?: Record<number, Stored>,
 *   recovery?: Record<number, Stored>, recoveryTuned?: Record<number, Stored> & { outbox: OutboxOptions },
 *   longQueue?: Awaited<ReturnType<typeof benchLongQueue>>, scale?: ScaleResult }} KindResult
 */
/** @typedef {import('/client.js').OutboxClientOptions} OutboxOptions */

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const QUICK = process.env.BENCH_QUICK === '1';
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null;

const CFG = {
  quick: QUICK,
  enqueueN: QUICK ? 300 : 1000,        // offline enqueue, sequential and at once; drain size
  onlineN: QUICK ? 100 : 300,          // online cost samples
  warmup: 20,
  scaleSizes: QUICK ? [100, 1000] : [100, 1000, 10000],
  bigBatch: 100,                        // the big queue is filled 100 sends at a time
  outagesMs: QUICK ? [10_000] : [10_000, 20_000, 40_000], // server outages (browser online), ours
  recipeOutageMs: QUICK ? 10_000 : 20_000,                 // the recipe: one (it does not recover)
  outageMessages: 50,                                        // sent at the start of the outage
  tunedRecovery: { outageMs: QUICK ? 10_000 : 20_000, outbox: { serviceWorker: '/sw.js?api=/api/chat', health: '/api/health', healthIntervalMs: 4000 } },
  recoveryCapMs: QUICK ? 30_000 : 60_000,
  oursOutbox: { serviceWorker: '/sw.js?api=/api/chat', health: '/api/health' }, // client defaults otherwise
  flatFactor: 1.5,                      // drain per message at the largest size <= 1.5 x the smallest
  trials: Number(process.env.BENCH_TRIALS || (QUICK ? 1 : 2)), // enqueue/drain trials, medians reported
};

const LAUNCH_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--no-sandbox', '--disable-gpu'];

/** @param {unknown[]} a */
const log = (...a) => console.error('[bench]', ...a);
/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** @param {unknown} error */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/** @param {number[] | null | undefined} arr @param {number} p a percentile, 0 to 100 */
function pct(arr, p) {
  if (!arr || !arr.length) return null;
  const s = [...arr].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? null;
}
/** @param {number | null | undefined} x */
const r1 = (x) => (x == null ? null : Math.round(x * 10) / 10);
/** @param {number | null | undefined} x */
const r2 = (x) => (x == null ? null : Math.round(x * 100) / 100);

async function chromiumPath() {
  const helper = path.join(root, 'e2e/chromium.mjs');
  if (fs.existsSync(helper)) {
    // findChromium() exits the process when it finds nothing; the bench must not fail, so that
    // exit becomes an error here and the fallback below is used.
    const realExit = process.exit;
    process.exit = (code) => { throw new Error(`findChromium() exited with ${code}`); };
    try {
      const mod = await import(pathToFileURL(helper).href);
      if (typeof mod.findChromium === 'function') {
        const p = await mod.findChromium();
        if (p) return p;
      }
    } catch (e) {
      log('e2e/chromium.mjs:', messageOf(e), '- falling back to CHROMIUM_PATH or /usr/bin/chromium');
    } finally {
      process.exit = realExit;
    }
  }
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

// ---------------------------------------------------------------------------------------------

/** @type {import('playwright-core').Browser} */
let browser;
/** @type {Partial<Record<Kind, BenchServer>>} */
const servers = {};

/** @param {boolean} offline */
const NET = (offline) => ({ offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

/**
 * A fresh context on the worker's origin, its page set up, and a CDP session on its worker.
 * Offline is emulated on the page by Playwright and on the worker over our own CDP session
 * (Playwright's own network handling of workers is off, see main()): Playwright updates pages
 * before workers, so on reconnect a page's `online` would reach a worker whose network is still
 * off. Here the worker goes back online first, as both do at once in a real browser.
 */
/** @param {Kind} kind @param {BenchServer} [srv] its server (default: the kind's own) @param {OutboxOptions} [outboxOptions] */
async function openSession(kind, srv = servers[kind], outboxOptions = CFG.oursOutbox) {
  if (!srv) throw new Error(`${kind}: no bench server started for it`);
  srv.api.reset();
  const ctx = await browser.newContext();
  await ctx.grantPermissions(['background-sync'], { origin: srv.url });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => log(kind, 'pageerror', e.message));
  await page.goto(srv.url + '/bench.html');
  await page.waitForFunction(() => window.benchReady === true);
  const opts = { kind, outbox: outboxOptions };
  const setup = await page.evaluate((o) => window.bench.setup(o), opts);
  if (kind !== 'none' && !setup.controlled) throw new Error(`${kind}: page not controlled by its worker`);
  /** @type {import('./cdp.mjs').WorkerSession | null} */
  let sw = null;
  if (kind !== 'none') {
    sw = await attachToServiceWorker(browser, srv.url);
    await sw.send('Network.enable');
  }
  return {
    srv, ctx, page, sw,
    /** @param {boolean} offline */
    async setOffline(offline) {
      if (offline) {
        await ctx.setOffline(true);
        if (sw) await sw.send('Network.emulateNetworkConditions', NET(true));
      } else {
        if (sw) await sw.send('Network.emulateNetworkConditions', NET(false));
        await ctx.setOffline(false);
      }
    },
    async close() {
      if (sw) await sw.detach();
      await ctx.close().catch(() => {});
    },
  };
}

let runSeq = 0;
/** @param {Kind} kind @param {string} what */
const runId = (kind, what) => `${kind}-${what}-${++runSeq}`;

/** @typedef {import('playwright-core').Page} Page */
/** Sequential sends from the page. @param {Page} page @param {string} id @param {number} n */
const seq = (page, id, n) => page.evaluate(({ id, n }) => window.bench.seq(id, n), { id, n });
/** Sends started at once. @param {Page} page @param {string} id @param {number} n */
const conc = (page, id, n) => page.evaluate(({ id, n }) => window.bench.conc(id, n), { id, n });
/** Sends in batches of `b` started at once. @param {Page} page @param {string} id @param {number} n @param {number} b */
const batched = (page, id, n, b) => page.evaluate(({ id, n, b }) => window.bench.batched(id, n, b), { id, n, b });

/**
 * Waits for every id to be stored by the server, after `trigger()` (e.g. going back online).
 * Times are from just before trigger() to the first / last of these ids stored.
 */
/**
 * @param {BenchServer} srv @param {string[]} ids @param {() => Promise<unknown>} trigger @param {number} capMs
 * @param {{ ordered?: boolean }} [options]
 * @returns {Promise<Stored>}
 */
async function measureStored(srv, ids, trigger, capMs, { ordered = true } = {}) {
  const set = new Set(ids);
  let seen = 0;
  const dupBefore = srv.api.duplicates;
  const first = srv.api.waitFor((e) => set.has(e.key), capMs);
  const last = srv.api.waitFor((e) => set.has(e.key) && ++seen === set.size, capMs);
  const t0 = performance.now();
  await trigger();
  const [f, l] = await Promise.all([first, last]);
  const storedEntries = srv.api.stored.filter((e) => set.has(e.key));
  const storedKeys = storedEntries.map((e) => e.key);
  /** @type {Stored} */
  const res = {
    n: ids.length,
    stored: storedEntries.length,
    firstMs: f ? r1(f.t - t0) : null,
    lastMs: l ? r1(l.t - t0) : null,
    complete: !!l,
    capMs,
    duplicates: srv.api.duplicates - dupBefore,
  };
  if (ordered) res.inOrder = storedKeys.length === ids.length && storedKeys.every((k, i) => k === ids[i]);
  const firstStored = storedEntries[0], lastStored = storedEntries.at(-1);
  if (l) {
    res.msgPerSec = r1(ids.length / ((l.t - t0) / 1000));
    // f is set when l is: the first of the ids is stored no later than the last.
    res.perMessageMs = f && ids.length > 1 ? r2((l.t - f.t) / (ids.length - 1)) : null;
  } else if (firstStored && lastStored && storedEntries.length > 1) {
    res.perMessageMs = r2((lastStored.t - firstStored.t) / (storedEntries.length - 1));
  }
  return res;
}

/** Ours: the worker's drain reports since `since` (Date.now()), after a moment for the last one. */
/** @param {Page} page @param {number} since @returns {Promise<DrainReportRows>} */
async function drainReportsOf(page, since, ref = since) {
  await sleep(100);
  return page.evaluate(({ since, ref }) => window.bench.drainReports(since, ref), { since, ref }).catch(() => []);
}

/** @param {RunSummary} r */
function latStats(r) {
  return {
    n: r.lat.length || r.ids.length,
    totalMs: r1(r.totalMs),
    msgPerSec: r1(r.ids.length / (r.totalMs / 1000)),
    p50Ms: r2(pct(r.lat, 50)),
    p95Ms: r2(pct(r.lat, 95)),
    statuses: r.statuses,
  };
}

// ---------------------------------------------------------------------------------------------
// Session A (one trial): offline enqueue (sequential, at once) and drain after reconnect, every
// worker's page open at once. Sequential sends go in interleaved rounds of 100 so that changes in
// the machine's load hit every worker alike; bursts and drains run one worker after another.
// The page with no worker gives the drain floor: the same POSTs, one after another.

/**
 * @param {Kind[]} kinds @param {number} trial its number, from 0 (rotates which kind goes first)
 * @returns {Promise<Record<Kind, TrialResult>>}
 */
async function sessionEnqueueDrain(kinds, trial) {
  /** @param {Kind[]} list @returns {Kind[]} */
  const rot = (list) => list.map((_, i) => list[(i + trial) % list.length] ?? _);
  const workers = kinds.filter((k) => k !== 'none');
  /** @type {Map<Kind, Session>} */
  const S = new Map();
  /** @param {Kind} k */
  const at = (k) => S.get(k) ?? fail(`${k}: no session open`);
  /** @type {Record<Kind, TrialResult>} */
  const out = perKind(() => ({}));
  try {
    for (const k of kinds) {
      S.set(k, await openSession(k));
      await seq(at(k).page, runId(k, 'warm'), CFG.warmup);
    }
    await sleep(200);
    for (const k of workers) await at(k).setOffline(true);
    await sleep(300);

    // Sequential enqueue, interleaved.
    /** @type {Record<Kind, RunSummary>} */
    const acc = perKind(() => ({ ids: [], lat: [], statuses: {}, totalMs: 0 }));
    const round = 100;
    for (let done = 0, r = 0; done < CFG.enqueueN; done += round, r++) {
      const n = Math.min(round, CFG.enqueueN - done);
      for (const k of workers.map((_, i) => workers[(i + r + trial) % workers.length] ?? _)) {
        const res = await at(k).page.evaluate(({ id, n, start }) => window.bench.seq(id, n, start), { id: `${k}-enq-seq-t${trial}`, n, start: done });
        const a = acc[k];
        a.ids.push(...res.ids); a.lat.push(...res.lat); a.totalMs += res.totalMs;
        addStatuses(a.statuses, res.statuses);
      }
    }
    for (const k of workers) {
      const enqueueSeq = latStats(acc[k]);
      out[k].enqueueSeq = enqueueSeq;
      log(k, 'enqueue seq', enqueueSeq.msgPerSec, 'msg/s', enqueueSeq.p50Ms, enqueueSeq.p95Ms, enqueueSeq.statuses);
    }

    // Drains, one after another. The floor worker's bench-only replay (workers/floor.js) is
    // the least work a worker can do to drain, shown for reference.
    for (const k of rot(kinds)) {
      const s = at(k);
      /** @type {Stored} */
      let drain;
      if (k === 'none') {
        const id = runId('none', 'drain');
        drain = await measureStored(s.srv, Array.from({ length: CFG.enqueueN }, (_, i) => `${id}-${i}`), () => seq(s.page, id, CFG.enqueueN), 120_000);
      } else {
        const goOnline = k === 'floor'
          ? async () => { await s.setOffline(false); await s.page.evaluate(() => window.bench.floorReplay()); }
          : () => s.setOffline(false);
        const since = Date.now();
        drain = await measureStored(s.srv, acc[k].ids, goOnline, 120_000);
        if (k === 'ours') drain.reports = await drainReportsOf(s.page, since);
      }
      out[k].drain = drain;
      log(k, 'drain', drain.msgPerSec, 'msg/s,', 'first', drain.firstMs, 'ms,', 'in order', drain.inOrder, 'dups', drain.duplicates);
      await sleep(300);
    }

    // 1,000 sends started at once, one worker after another, then the drains.
    for (const k of workers) await at(k).setOffline(true);
    await sleep(300);
    /** @type {Record<Kind, string[]>} */
    const burstIds = perKind(() => []);
    for (const k of rot(workers)) {
      const rc = await conc(at(k).page, `${k}-enq-conc-t${trial}`, CFG.enqueueN);
      burstIds[k] = rc.ids;
      const enqueueConc = latStats(rc);
      out[k].enqueueConc = enqueueConc;
      log(k, 'enqueue at once', enqueueConc.msgPerSec, 'msg/s', enqueueConc.statuses);
      await sleep(200);
    }
    for (const k of rot(workers.filter((k) => k !== 'floor'))) {
      const drainAfterConc = await measureStored(at(k).srv, burstIds[k], () => at(k).setOffline(false), 120_000, { ordered: false });
      out[k].drainAfterConc = drainAfterConc;
      log(k, 'drain (after at-once enqueue)', drainAfterConc.msgPerSec, 'msg/s');
    }
  } finally {
    for (const s of S.values()) await s.close();
  }
  return out;
}

/**
 * Median of numbers across trials, recursively; booleans: all true; counts of duplicates: summed.
 * The result has the trials' shape (a field that differs in kind across trials becomes null).
 * @template {Record<string, unknown>} T
 * @param {T[]} trials
 * @returns {T}
 */
function aggregate(trials) {
  const first = trials[0];
  if (!first || trials.length === 1) return /** @type {T} */ (first ?? {});
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const key of Object.keys(first)) {
    const vals = trials.map((t) => t?.[key]);
    if (key === 'statuses' || key === 'capMs' || key === 'n') out[key] = vals[0];
    else if (key === 'duplicates') out[key] = vals.reduce((/** @type {number} */ a, b) => a + (typeof b === 'number' ? b : 0), 0);
    else if (vals.every((v) => typeof v === 'number')) out[key] = median(vals);
    else if (vals.every((v) => typeof v === 'boolean')) out[key] = vals.every(Boolean);
    else if (vals.every(isRecord)) out[key] = aggregate(vals);
    else out[key] = vals.some((v) => v == null) ? null : vals[0];
  }
  return /** @type {T} */ (out);
}
/** @param {number[]} v at least one */
function median(v) {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] ?? NaN : r2(((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2);
}
/** @param {unknown} v @returns {v is Record<string, unknown>} */
const isRecord = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);
/** @param {string} message @returns {never} */
function fail(message) { throw new Error(message); }
/** @template T @param {() => T} make @returns {Record<Kind, T>} one value per kind */
const perKind = (make) => ({ ours: make(), baseline: make(), recipe: make(), floor: make(), none: make() });
/** @param {RunSummary['statuses']} into @param {RunSummary['statuses']} add */
function addStatuses(into, add) {
  for (const [st, c] of /** @type {[SendStatus, number][]} */ (Object.entries(add))) into[st] = (into[st] || 0) + c;
}

// Online cost: every worker (and the page with none) open at once, measured in interleaved
// rounds so that drift in the machine's load does not favour whichever runs first.
/** @param {Kind[]} kinds */
async function sessionOnline(kinds) {
  /** @type {Map<Kind, Session>} */
  const sessions = new Map();
  /** @param {Kind} k */
  const at = (k) => sessions.get(k) ?? fail(`${k}: no session open`);
  /** @type {Record<Kind, number[]>} */
  const lat = perKind(() => []);
  /** @type {Record<Kind, RunSummary['statuses']>} */
  const statuses = perKind(() => ({}));
  try {
    for (const k of kinds) {
      sessions.set(k, await openSession(k));
      await seq(at(k).page, runId(k, 'warm'), CFG.warmup);
    }
    const per = 25;
    const rounds = Math.ceil(CFG.onlineN / per);
    for (let round = 0; round < rounds; round++) {
      const order = kinds.map((_, i) => kinds[(i + round) % kinds.length] ?? _);
      for (const k of order) {
        const r = await seq(at(k).page, runId(k, 'online'), per);
        lat[k].push(...r.lat);
        addStatuses(statuses[k], r.statuses);
      }
    }
  } finally {
    for (const s of sessions.values()) await s.close();
  }
  /** @type {Partial<Record<Kind, OnlineResult>>} */
  const out = {};
  for (const k of kinds) {
    out[k] = { n: lat[k].length, p50Ms: r2(pct(lat[k], 50)), p95Ms: r2(pct(lat[k], 95)), meanMs: r2(lat[k].reduce((a, b) => a + b, 0) / lat[k].length), statuses: statuses[k] };
    log(k, 'online', out[k]);
  }
  return out;
}

// Session B: the page with no worker at each scale size (the drain floor per message).
async function sessionNoWorkerScale() {
  /** @type {{ drainBySize: Record<number, Stored> }} */
  const out = { drainBySize: {} };
  const s = await openSession('none');
  try {
    await seq(s.page, runId('none', 'warm'), CFG.warmup);
    await sleep(200);
    for (const n of CFG.scaleSizes) {
      if (n === CFG.enqueueN) continue; // from the trials
      const id = runId('none', `drain${n}`);
      const m = await measureStored(s.srv, Array.from({ length: n }, (_, i) => `${id}-${i}`), () => seq(s.page, id, n), 300_000);
      out.drainBySize[n] = m;
      log('none', 'sequential POSTs', n, m.msgPerSec, 'msg/s', m.perMessageMs, 'ms/msg');
    }
  } finally {
    await s.close();
  }
  return out;
}

// Session C: server outage with the browser online. Each run has its own server (origin), so
// several outage lengths run side by side (they mostly wait).
/** @param {Kind} kind @param {number} outageMs @param {string | null | undefined} swFile @param {OutboxOptions} [outboxOptions] */
async function sessionRecovery(kind, outageMs, swFile, outboxOptions = CFG.oursOutbox) {
  const srv = await startBenchServer({ swFile, clientFile: path.join(root, '.tmp/bench/dist-snapshot/client.js'), label: `${kind}-outage` });
  const s = await openSession(kind, srv, outboxOptions);
  try {
    await seq(s.page, runId(kind, 'warm'), 5);
    s.srv.api.setMode('unreachable');
    const tOutWall = Date.now();
    const tOut = performance.now();
    const postsBefore = s.srv.api.attempts;
    const r = await seq(s.page, runId(kind, 'outage'), CFG.outageMessages);
    const wait = outageMs - (performance.now() - tOut);
    if (wait > 0) await sleep(wait);
    const actualOutageMs = performance.now() - tOut;
    const postsDuringOutage = s.srv.api.attempts - postsBefore;
    const healthChecksDuringOutage = s.srv.api.healthChecks;
    const since = Date.now();
    const m = await measureStored(s.srv, r.ids, async () => s.srv.api.setMode('up'), CFG.recoveryCapMs);
    m.outageMs = Math.round(actualOutageMs);
    m.sendStatuses = r.statuses;
    m.postsDuringOutage = postsDuringOutage;
    m.healthChecksDuringOutage = healthChecksDuringOutage;
    // ours: every drain during and after the outage, times relative to the API's return
    if (kind === 'ours') m.reports = await drainReportsOf(s.page, tOutWall, since);
    log(kind, `recovery after ${Math.round(actualOutageMs / 1000)} s outage: first`, m.firstMs, 'ms, last', m.lastMs, 'ms,', `${m.stored}/${m.n};`, 'POSTs during outage', postsDuringOutage, 'health checks', healthChecksDuringOutage);
    return m;
  } finally {
    await s.close();
    await srv.close();
  }
}

// Session D: memory and scale: drain per message at each size, list() and worker heap with the big queue.
/** @param {Kind} kind a kind with a worker */
async function sessionScale(kind) {
  /** @type {ScaleResult} */
  const out = { drainBySize: {} };
  const s = await openSession(kind);
  const sw = s.sw ?? fail(`${kind}: memory and scale needs a worker`);
  try {
    await seq(s.page, runId(kind, 'warm'), CFG.warmup);
    out.heapEmpty = await workerHeap(sw);
    for (const n of CFG.scaleSizes) {
      if (n === CFG.enqueueN && n !== CFG.scaleSizes.at(-1)) continue; // taken from session A
      if (kind === 'floor' && n !== CFG.scaleSizes.at(-1)) continue; // the floor has no drain
      await s.setOffline(true);
      await sleep(300);
      const id = runId(kind, `scale${n}`);
      const t0 = performance.now();
      const r = await batched(s.page, id, n, Math.min(CFG.bigBatch, n));
      log(kind, 'filled queue', n, r.statuses, Math.round(performance.now() - t0), 'ms');
      if (n === CFG.scaleSizes.at(-1)) {
        out.bigQueue = n;
        out.fill = { n, totalMs: r1(r.totalMs), msgPerSec: r1(n / (r.totalMs / 1000)), statuses: r.statuses };
        /** @type {NonNullable<ScaleResult['list']>['runs']} */
        const lists = [];
        for (let i = 0; i < 3; i++) {
          try { lists.push(await s.page.evaluate(() => window.bench.list())); } catch (e) { lists.push({ error: messageOf(e).slice(0, 200) }); }
        }
        const timed = lists.filter((l) => 'ms' in l);
        const firstList = lists[0];
        out.list = { runs: lists, ms: r1(Math.min(...timed.map((l) => l.ms))), n: firstList && 'n' in firstList ? firstList.n : undefined };
        out.heapFull = await workerHeap(sw);
        log(kind, 'list', out.list, 'heap', out.heapEmpty.usedSize, '->', out.heapFull.usedSize);
      }
      if (kind !== 'floor') {
        out.drainBySize[n] = await measureStored(s.srv, r.ids, () => s.setOffline(false), Math.max(120_000, n * 30), { ordered: false });
        log(kind, 'drain', n, out.drainBySize[n]);
        await sleep(500);
      }
    }
  } finally {
    await s.close();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

/** @typedef {{ file: string, minBytes: number, minGzipBytes: number }} SizeInfo */
/**
 * @template {string} K
 * @param {Record<K, string>} files
 * @returns {Promise<Record<K, SizeInfo | null>>} null for a file not there
 */
async function sizes(files) {
  /** @type {Record<string, SizeInfo | null>} */
  const out = {};
  for (const [name, file] of Object.entries(files)) {
    if (!fs.existsSync(file)) { out[name] = null; continue; }
    // Every file here is already minified by its build (build.mjs: esbuild, minify, es2022;
    // the reference workers: the same settings), so this is the size as shipped.
    const src = fs.readFileSync(file);
    out[name] = {
      file: path.relative(root, file),
      minBytes: src.length,
      minGzipBytes: zlib.gzipSync(src, { level: 9 }).length,
    };
  }
  return /** @type {Record<K, SizeInfo | null>} */ (out); // one entry per key of files
}

/** @param {number | string | null | undefined} x */
function fmt(x, unit = '') {
  if (x == null) return 'n/a';
  if (typeof x === 'string') return x;
  const v = Math.abs(x) >= 100 ? Math.round(x).toString() : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
  return v + unit;
}

/** @param {unknown[][]} rows @param {string[]} headers */
function table(rows, headers) {
  const all = [headers, ...rows].map((r) => r.map((c) => (c == null ? '' : String(c))));
  const w = headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  /** @param {string[]} r */
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i] ?? 0) : c.padStart(w[i] ?? 0))).join('  ');
  return [line(all[0] ?? []), w.map((n) => '-'.repeat(n)).join('  '), ...all.slice(1).map(line)].join('\n');
}

/** The load average over the last minute. */
const load1 = () => os.loadavg()[0] ?? 0;

/** Other processes on the machine skew every figure: wait (bounded) for a quieter moment. */
async function waitQuiet() {
  const maxS = Number(process.env.BENCH_WAIT_QUIET || 0);
  const limit = Number(process.env.BENCH_QUIET_LOAD || 1.0);
  const t0 = Date.now();
  while (load1() > limit && (Date.now() - t0) / 1000 < maxS) {
    log(`load average ${load1().toFixed(2)} > ${limit}: waiting (up to ${maxS} s, BENCH_WAIT_QUIET)`);
    await sleep(15_000);
  }
  const load = load1();
  if (load > os.cpus().length * 0.75) log(`warning: load average ${load.toFixed(2)} on ${os.cpus().length} cores: other processes are competing; ratios are more robust than absolute figures`);
  return load;
}

/** The server relay's throughput (e2e/bench/relay.mjs), after the browsers: printed, and kept in bench-results.json. */
async function relaySection() {
  if (ONLY && !ONLY.has('relay')) return null;
  log('== relay throughput (server/): SQLite and Redis against a plain HTTP proxy');
  try {
    const result = await benchRelay({ quick: QUICK });
    console.log(`\nrelay (outbox-relay, its own process; ${result.config.n} messages, ${result.config.concurrency} senders)\n`);
    console.log(relayTable(result.rows) + '\n');
    return result;
  } catch (error) {
    log('relay bench failed:', messageOf(error));
    return null;
  }
}

async function main() {
  const loadStart = await waitQuiet();
  const tStart = performance.now();
  if (ONLY && ONLY.size === 1 && ONLY.has('relay')) {
    const relay = await relaySection();
    if (relay) fs.writeFileSync(path.join(root, 'bench-results.json'), JSON.stringify({ meta: { date: new Date().toISOString(), quick: QUICK, only: ['relay'], node: process.version, cpus: os.cpus().length, loadAverage: { start: loadStart, end: load1() } }, relay }, null, 2) + '\n');
    return;
  }
  const oursBuilt = fs.existsSync(path.join(root, 'dist/sw.js')) && fs.existsSync(path.join(root, 'dist/client.js'));
  if (!oursBuilt) log('dist/sw.js or dist/client.js missing: our worker is skipped (n/a)');
  // A snapshot of dist/ taken now is what every session serves and what the sizes are of, so a
  // rebuild during the run cannot mix two builds in one report.
  const snapDir = path.join(root, '.tmp/bench/dist-snapshot');
  fs.mkdirSync(snapDir, { recursive: true });
  const distSw = path.join(snapDir, 'sw.js');
  const distClient = path.join(snapDir, 'client.js');
  /** @type {Record<string, string>} */
  const distHash = {};
  if (oursBuilt) {
    for (const f of ['sw.js', 'client.js']) {
      const buf = fs.readFileSync(path.join(root, 'dist', f));
      fs.writeFileSync(path.join(snapDir, f), buf);
      distHash[f] = crypto.createHash('sha256').update(buf).digest('hex').slice(0, 12);
    }
    log('dist snapshot', JSON.stringify(distHash));
  } else {
    for (const f of ['sw.js', 'client.js']) fs.rmSync(path.join(snapDir, f), { force: true });
  }
  const ref = await buildReferenceWorkers();
  // BENCH_BASELINE=<git rev>: our worker and client as built at that commit, in the same run (e.g. before lanes).
  const baseline = process.env.BENCH_BASELINE ? buildBaseline(root, process.env.BENCH_BASELINE, log) : null;
  /** @param {Kind} k */
  const want = (k) => (!ONLY || ONLY.has(k) || (k === 'baseline' && ONLY.has('ours'))) && (k !== 'ours' || oursBuilt) && (k !== 'baseline' || baseline !== null);
  /** @type {Kind[]} */
  const allKinds = ['ours', 'baseline', 'recipe', 'floor', 'none'];
  const kinds = allKinds.filter(want);
  /** @type {Record<Kind, string | null | undefined>} */
  const swFiles = { ours: distSw, baseline: baseline?.sw, recipe: ref.recipe, floor: ref.floor, none: null };
  /** @type {Partial<Record<Kind, string>>} */
  const clientFiles = { baseline: baseline?.client };
  for (const k of kinds) servers[k] = await startBenchServer({ swFile: swFiles[k], clientFile: clientFiles[k] ?? distClient, label: k });

  const exe = await chromiumPath();
  // Offline is emulated in the workers over our own CDP sessions (see openSession); this keeps
  // Playwright from also emulating it there, in its own order.
  process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK = '1';
  browser = await chromium.launch({ executablePath: exe, args: LAUNCH_ARGS });
  const browserVersion = browser.version();
  /** @type {Record<Kind, KindResult>} */
  const results = perKind(() => ({}));
  try {
    log('== online cost (interleaved):', kinds.join(', '));
    const online = await sessionOnline(kinds);
    for (const k of kinds) results[k].online = online[k];
    // Enqueue and drain: trials rotate which worker goes first; medians kept.
    /** @type {Record<Kind, TrialResult[]>} */
    const perTrial = perKind(() => []);
    for (let t = 0; t < CFG.trials; t++) {
      log(`== enqueue / drain, trial ${t + 1}/${CFG.trials}`);
      const tr = await sessionEnqueueDrain(kinds, t);
      for (const k of kinds) perTrial[k].push(tr[k]);
    }
    for (const k of kinds) Object.assign(results[k], aggregate(perTrial[k]), { trials: perTrial[k] });
    if (kinds.includes('none')) {
      log('== no worker, scale sizes');
      results.none.drainBySize = { ...(await sessionNoWorkerScale()).drainBySize };
      const noneDrain = results.none.drain;
      if (noneDrain && CFG.scaleSizes.includes(CFG.enqueueN)) results.none.drainBySize[CFG.enqueueN] = noneDrain;
    }
    /** @type {[Kind, number, OutboxOptions?][]} a kind, its outage (ms), the page's options if tuned */
    const rec = [];
    if (kinds.includes('ours')) for (const o of CFG.outagesMs) rec.push(['ours', o]);
    if (kinds.includes('recipe')) rec.push(['recipe', CFG.recipeOutageMs]);
    // Informative: ours with the page's probe interval capped (a client option), same outage as the worst default case.
    if (kinds.includes('ours') && CFG.tunedRecovery) rec.push(['ours', CFG.tunedRecovery.outageMs, CFG.tunedRecovery.outbox]);
    if (rec.length) {
      log('== recovery after a server outage (side by side):', rec.map(([k, o, t]) => `${k}${t ? ' (tuned)' : ''} ${o / 1000} s`).join(', '));
      const rr = await Promise.all(rec.map(async ([k, o, t]) => ({ k, o, t, m: await sessionRecovery(k, o, swFiles[k], t) })));
      for (const { k, o, t, m } of rr) {
        if (t) results[k].recoveryTuned = { outbox: t, [o / 1000]: m };
        else (results[k].recovery ||= {})[o / 1000] = m;
      }
    }
    if (oursBuilt && (!ONLY || ONLY.has('longqueue'))) {
      log('== long queue: createOutbox() and list() at 10,000 queued 16 kB messages');
      results.ours.longQueue = await benchLongQueue(browser, { swFile: distSw, clientFile: distClient, n: QUICK ? 2_000 : 10_000 });
    }
    for (const k of kinds.filter((k) => k !== 'none')) {
      log('== memory and scale:', k);
      const sc = await sessionScale(k);
      if (results[k].drain && CFG.scaleSizes.includes(CFG.enqueueN)) sc.drainBySize[CFG.enqueueN] = results[k].drain;
      results[k].scale = sc;
    }
  } finally {
    await browser.close().catch(() => {});
    for (const s of Object.values(servers)) await s.close();
  }

  const sz = await sizes({ sw: distSw, client: distClient, recipe: ref.recipe, floor: ref.floor });
  if (sz.sw) sz.sw.file = 'dist/sw.js';
  if (sz.client) sz.client.file = 'dist/client.js';

  // ------------------------------------------------------------------------------ report
  const O = results.ours, R = results.recipe, F = results.floor, N = results.none;
  /** @param {number | null | undefined} a @param {number | null | undefined} b */
  const ratio = (a, b) => (a == null || b == null || b === 0 ? null : a / b);
  /** @typedef {{ name: string, value: number | string | null | undefined, reference: number | string | null | undefined, refLabel: string, ratio: number | null, target: string, met: boolean | null, unit?: string }} Target */
  /** @type {Target[]} */
  const targets = [];
  /**
   * @param {string} name @param {Target['value']} value @param {Target['reference']} reference @param {string} refLabel
   * @param {number | null} r @param {string} target @param {boolean | null | undefined} met
   */
  const T = (name, value, reference, refLabel, r, target, met, unit = '') => targets.push({ name, value, reference, refLabel, ratio: r == null ? null : r2(r), target, met: met == null ? null : !!met, unit });

  const [small = 0] = CFG.scaleSizes;
  const big = CFG.scaleSizes.at(-1) ?? small;
  {
    const a = O.enqueueSeq?.msgPerSec, b = F.enqueueSeq?.msgPerSec, r = ratio(a, b);
    T(`enqueue ${CFG.enqueueN} sequential, msg/s`, a, b, 'floor worker', r, '>= 0.8 x floor', r == null ? null : r >= 0.8);
    const c = O.enqueueConc?.msgPerSec, d = F.enqueueConc?.msgPerSec, r2_ = ratio(c, d);
    T(`enqueue ${CFG.enqueueN} at once, msg/s`, c, d, 'floor worker', r2_, '>= 0.8 x floor', r2_ == null ? null : r2_ >= 0.8);
    const p = O.enqueueSeq?.p95Ms;
    T('enqueue sequential p95, ms', p, F.enqueueSeq?.p95Ms, 'floor worker', ratio(p, F.enqueueSeq?.p95Ms), '< 10 ms', p == null ? null : p < 10, ' ms');
    const dr = O.drain?.complete ? O.drain.msgPerSec : null, dn = N.drain?.msgPerSec, r3 = ratio(dr, dn);
    T(`drain ${CFG.enqueueN} after reconnect, msg/s`, dr, dn, 'no worker, sequential POSTs', r3, '>= 0.8 x no worker', r3 == null || !O.drain ? null : r3 >= 0.8 && O.drain.inOrder && O.drain.duplicates === 0);
    const recs = O.recovery ? Object.values(O.recovery) : [];
    // lastMs is set when complete is: the last message was stored.
    const lastMsOf = (/** @type {Stored} */ m) => m.lastMs ?? Infinity;
    const worst = recs.length ? recs.reduce((a, b) => (!b.complete || (a.complete && lastMsOf(b) > lastMsOf(a)) ? b : a)) : null;
    const rl = worst ? (worst.complete ? lastMsOf(worst) / 1000 : `> ${CFG.recoveryCapMs / 1000} s`) : null;
    const rrec = R.recovery ? Object.values(R.recovery)[0] : null;
    const rrl = rrec ? (rrec.complete ? lastMsOf(rrec) / 1000 : `> ${CFG.recoveryCapMs / 1000} s, not recovered`) : null;
    T(`recovery: last message, worst of ${CFG.outagesMs.map((o) => o / 1000).join('/')} s outages, s`, rl, rrl, 'Workbox recipe', null, '<= 5 s', worst ? worst.complete && lastMsOf(worst) <= 5000 : null, ' s');
    const op = O.online?.p50Ms, fp = F.online?.p50Ms, r4 = ratio(op, fp);
    T('online send p50, ms', op, fp, 'pass-through worker', r4, '<= 1.1 x pass-through', r4 == null ? null : r4 <= 1.1, ' ms');
    T('online send p50 vs no worker, ms', op, N.online?.p50Ms, 'no worker', ratio(op, N.online?.p50Ms), '(info)', null, ' ms');
    const ds = O.scale?.drainBySize?.[small]?.perMessageMs, db = O.scale?.drainBySize?.[big]?.perMessageMs, r5 = ratio(db, ds);
    T(`drain ms/message at ${big} vs ${small}`, db, ds, `ours at ${small}`, r5, `<= ${CFG.flatFactor} x (flat)`, r5 == null ? null : r5 <= CFG.flatFactor, ' ms');
    const sw = sz.sw?.minGzipBytes, cl = sz.client?.minGzipBytes;
    T('dist/sw.js min+gzip, bytes', sw, sz.recipe?.minGzipBytes, 'Workbox recipe worker', ratio(sw, sz.recipe?.minGzipBytes), '<= 8192 B', sw == null ? null : sw <= 8192, ' B');
    T('dist/client.js min+gzip, bytes', cl, null, '', null, '<= 3072 B', cl == null ? null : cl <= 3072, ' B');
    // Against ours at an earlier commit (BENCH_BASELINE), one lane: what the changes since cost.
    const B = results.baseline;
    if (B.online) {
      const label = `ours at ${process.env.BENCH_BASELINE}`;
      const ro = ratio(O.online?.p50Ms, B.online?.p50Ms);
      T('online send p50 vs baseline, ms', O.online?.p50Ms, B.online?.p50Ms, label, ro, '<= 1.1 x baseline (noise)', ro == null ? null : ro <= 1.1, ' ms');
      const rd = ratio(O.drain?.msgPerSec, B.drain?.msgPerSec);
      T(`drain ${CFG.enqueueN} vs baseline, msg/s`, O.drain?.msgPerSec, B.drain?.msgPerSec, label, rd, '>= 0.9 x baseline (noise)', rd == null ? null : rd >= 0.9);
      const re = ratio(O.enqueueSeq?.msgPerSec, B.enqueueSeq?.msgPerSec);
      T(`enqueue ${CFG.enqueueN} sequential vs baseline, msg/s`, O.enqueueSeq?.msgPerSec, B.enqueueSeq?.msgPerSec, label, re, '>= 0.9 x baseline (noise)', re == null ? null : re >= 0.9);
    }
  }

  /** @typedef {(o: KindResult) => number | string | null | undefined} Figure */
  // A figure a kind lacks is n/a; one that throws is n/a too (the bench never fails on its report).
  /** @param {KindResult} o @param {Figure} f */
  const col = (o, f) => { try { const v = f(o); return v; } catch { return null; } };
  /** @type {string[][]} */
  const figRows = [];
  /** @param {string} label @param {Figure} f */
  const fig = (label, f, unit = '') => figRows.push([label, ...[O, R, F, N].map((o) => fmt(col(o, f), unit))]);
  fig(`online send p50 (${CFG.onlineN} seq)`, (o) => o.online?.p50Ms, ' ms');
  fig('online send p95', (o) => o.online?.p95Ms, ' ms');
  fig(`offline enqueue ${CFG.enqueueN} seq, msg/s`, (o) => o.enqueueSeq?.msgPerSec);
  fig('offline enqueue seq p50', (o) => o.enqueueSeq?.p50Ms, ' ms');
  fig('offline enqueue seq p95', (o) => o.enqueueSeq?.p95Ms, ' ms');
  fig(`offline enqueue ${CFG.enqueueN} at once, msg/s`, (o) => o.enqueueConc?.msgPerSec);
  fig('offline enqueue at once, p50 / p95 done', (o) => o.enqueueConc && `${fmt(o.enqueueConc.p50Ms)} / ${fmt(o.enqueueConc.p95Ms)} ms`);
  fig(`drain ${CFG.enqueueN} after reconnect, msg/s (floor: bench-only replay)`, (o) => o.drain && (o.drain.complete ? o.drain.msgPerSec : `incomplete ${o.drain.stored}/${o.drain.n}`));
  fig('drain: first stored after online', (o) => o.drain?.firstMs, ' ms');
  fig('drain: done by (ours: trigger of the drain that delivered)', (o) => { const r = o.drain && (o.drain.reports || []).find((x) => x.delivered > 0); return r ? `${r.trigger} (${r.delivered})` : null; });
  fig('drain: in order / duplicates', (o) => o.drain && (o.drain.inOrder == null ? '-' : `${o.drain.inOrder ? 'yes' : 'NO'} / ${o.drain.duplicates}`));
  fig('drain after at-once enqueue, msg/s', (o) => o.drainAfterConc && (o.drainAfterConc.complete ? o.drainAfterConc.msgPerSec : `incomplete ${o.drainAfterConc.stored}/${o.drainAfterConc.n}`));
  /** @param {Stored} m */
  const firstLast = (m) => {
    const f = m.firstMs == null ? `> ${CFG.recoveryCapMs / 1000}` : fmt(m.firstMs / 1000);
    const l = m.complete && m.lastMs != null ? fmt(m.lastMs / 1000) : `> ${CFG.recoveryCapMs / 1000}`;
    return `${f} / ${l} s`;
  };
  for (const o of [...new Set([...CFG.outagesMs, CFG.recipeOutageMs])].sort((a, b) => a - b)) {
    fig(`recovery after ${o / 1000} s outage (${CFG.outageMessages} msgs): first / last`, (x) => {
      const m = x.recovery?.[o / 1000];
      return m && `${firstLast(m)}${m.complete ? '' : ` (${m.stored}/${m.n})`}`;
    });
  }
  const tuned = O.recoveryTuned?.[CFG.tunedRecovery.outageMs / 1000];
  if (tuned) {
    figRows.push([`  ours, healthIntervalMs ${CFG.tunedRecovery.outbox.healthIntervalMs}, ${CFG.tunedRecovery.outageMs / 1000} s outage: first / last`, firstLast(tuned), '', '', '']);
  }
  {
    const recs = Object.entries(O.recovery || {});
    if (recs.length) figRows.push(['  ours: drain that recovered (trigger)', recs.map(([o, m]) => `${o}s: ${(m.reports || []).find((x) => x.delivered > 0 && x.atMs >= 0)?.trigger ?? '?'}`).join(', '), '', '', '']);
  }
  for (const n of CFG.scaleSizes) fig(`drain ms/message at ${n}`, (o) => (o.scale || o).drainBySize?.[n]?.perMessageMs, ' ms');
  fig(`list() with ${big} queued (raw getAll for recipe/floor)`, (o) => o.scale?.list?.ms, ' ms');
  fig(`worker heap, empty -> ${big} queued`, (o) => o.scale?.heapEmpty && o.scale.heapFull && `${fmt(o.scale.heapEmpty.usedSize / 1024)} -> ${fmt(o.scale.heapFull.usedSize / 1024)} KiB`);
  if (O.longQueue) {
    const q = O.longQueue;
    figRows.push([`createOutbox() with ${q.n} x ${q.bodyBytes / 1024} kB queued / empty`, `${q.full.createMs} / ${q.empty.createMs} ms (x${fmt(q.createRatio)})`, '-', '-', '-']);
    figRows.push([`list() with ${q.n} x ${q.bodyBytes / 1024} kB queued / empty`, `${q.full.listMs} / ${q.empty.listMs} ms (${q.full.listed} listed)`, '-', '-', '-']);
    figRows.push([`  reference: raw getAll of the same store, from the page`, `${q.full.rawGetAllMs} ms (list x${fmt(q.full.listMs / Math.max(1, q.full.rawGetAllMs))})`, '-', '-', '-']);
    targets.push({ name: `createOutbox() at ${q.n} queued < 1 s`, value: q.full.createMs, reference: q.empty.createMs, refLabel: 'empty queue', ratio: q.createRatio, target: '< 1000 ms', met: q.met });
  }
  figRows.push(['size min+gzip (sw / client)', sz.sw ? `${sz.sw.minGzipBytes} / ${sz.client?.minGzipBytes} B` : 'n/a', sz.recipe ? `${sz.recipe.minGzipBytes} B` : 'n/a', sz.floor ? `${sz.floor.minGzipBytes} B` : 'n/a', '-']);

  // With BENCH_ONLY, what no chosen section measured is left out (longqueue alone printed some thirty
  // rows of n/a); a full run keeps them: there an n/a says a kind or a section did not run.
  const shownRows = ONLY ? figRows.filter((r) => r.slice(1).some((c) => c !== 'n/a')) : figRows;
  const shownTargets = ONLY ? targets.filter((t) => t.value != null || t.reference != null) : targets;
  const figures = table(shownRows, ['figure', 'ours', 'workbox recipe', 'floor worker', 'no worker']);
  const tgt = table(shownTargets.map((t) => [t.name, fmt(t.value), `${fmt(t.reference)}${t.refLabel ? ` (${t.refLabel})` : ''}`, fmt(t.ratio), t.target, t.met == null ? 'n/a' : t.met ? 'MET' : 'MISSED']), ['target', 'ours', 'reference', 'ratio', 'target', 'result']);
  const elapsedS = Math.round((performance.now() - tStart) / 1000);
  const loadEnd = load1();
  console.log(`\noutbox bench${QUICK ? ' (BENCH_QUICK)' : ''}: Chromium ${browserVersion}, ${os.cpus().length} cores, ${elapsedS} s, trials ${CFG.trials}, load average ${loadStart.toFixed(2)} at start / ${loadEnd.toFixed(2)} at end`);
  console.log(`dist/sw.js ${distHash['sw.js'] ?? '-'}, dist/client.js ${distHash['client.js'] ?? '-'} (sha256, first 12)\n`);
  console.log(figures);
  console.log('\n' + tgt + '\n');

  const relay = await relaySection();
  const json = {
    relay,
    meta: { date: new Date().toISOString(), quick: QUICK, only: ONLY ? [...ONLY] : null, node: process.version, chromium: exe, chromiumVersion: browserVersion, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverage: { start: loadStart, end: loadEnd }, elapsedS, config: CFG, oursBuilt, distSha256: distHash },
    targets,
    workers: results,
    sizes: sz,
  };
  // latency arrays are not kept (summaries only)
  fs.writeFileSync(path.join(root, 'bench-results.json'), JSON.stringify(json, null, 2) + '\n');
  log('wrote bench-results.json');
}

main().catch((e) => {
  console.error('[bench] failed:', e && e.stack || e);
  process.exitCode = 0; // a benchmark never fails CI
}).finally(() => { setTimeout(() => process.exit(0), 100).unref(); });
