// Where does the time go? Profiles the workers on the bench's hot paths (online send, offline
// enqueue, drain) with debug builds (not minified, names kept) plus instrument.js, and the CDP
// sampling profiler on both the worker and the page.
//
//   node e2e/bench/profile.mjs                 ours (built from sw/ and client/ into .tmp/bench/)
//   PROFILE_KINDS=ours,recipe,floor node e2e/bench/profile.mjs
//   PROFILE_N=300 (messages per phase)
//
// Writes .tmp/bench/profile/<kind>-<phase>-{sw,page}.cpuprofile (open in Chrome DevTools) and
// .tmp/bench/profile/summary.json, and prints a summary.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import * as esbuild from 'esbuild';
import { startBenchServer } from './server.mjs';
import { attachToServiceWorker } from './cdp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const outDir = path.join(root, '.tmp/bench/profile');
/** @typedef {'ours' | 'recipe' | 'floor'} ProfiledKind */
/** @typedef {import('./bench-stats.js').BenchCounter} BenchCounter */
/** @typedef {import('./bench-stats.js').BenchWorkerStats} BenchWorkerStats */
/** @type {ProfiledKind[]} */
const KINDS = (process.env.PROFILE_KINDS || 'ours').split(',').map((kind) => {
  if (kind === 'ours' || kind === 'recipe' || kind === 'floor') return kind;
  throw new Error(`PROFILE_KINDS: unknown worker '${kind}' (ours, recipe, floor)`);
});
const N = Number(process.env.PROFILE_N || 300);
const LAUNCH_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--no-sandbox', '--disable-gpu'];
/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function buildDebug() {
  fs.mkdirSync(outDir, { recursive: true });
  const banner = fs.readFileSync(path.join(here, 'instrument.js'), 'utf8');
  /** @type {import('esbuild').BuildOptions} */
  const common = { bundle: true, minify: false, keepNames: true, target: 'es2022', logLevel: 'warning', define: { 'process.env.NODE_ENV': '"production"' } };
  const files = {
    ours: path.join(outDir, 'ours-debug-sw.js'),
    recipe: path.join(outDir, 'recipe-debug-sw.js'),
    floor: path.join(outDir, 'floor-debug-sw.js'),
    client: path.join(outDir, 'client-debug.js'),
  };
  await esbuild.build({ ...common, entryPoints: [path.join(root, 'sw/worker.ts')], outfile: files.ours, format: 'iife', banner: { js: banner } });
  await esbuild.build({ ...common, entryPoints: [path.join(here, 'workers/recipe.js')], outfile: files.recipe, format: 'iife', banner: { js: banner } });
  await esbuild.build({ ...common, entryPoints: [path.join(here, 'workers/floor.js')], outfile: files.floor, format: 'iife', banner: { js: banner } });
  await esbuild.build({ ...common, entryPoints: [path.join(root, 'client/index.ts')], outfile: files.client, format: 'esm' });
  return files;
}

/**
 * esbuild's unminified bundles mark each module with a `// path/to/file.ts` line.
 * @param {string} file
 * @returns {(line: number) => string} the module a line of `file` belongs to
 */
function moduleMap(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  /** @type {[number, string][]} */
  const marks = [];
  lines.forEach((l, i) => { const m = /^\s*\/\/ ((?:node_modules|sw|client|e2e)\/\S+\.(?:ts|js|mjs))$/.exec(l); if (m?.[1]) marks.push([i, m[1]]); });
  return (line) => { let mod = 'banner/instrument'; for (const [i, m] of marks) { if (i <= line) mod = m; else break; } return mod; };
}

/**
 * @param {import('./cdp-protocol.js').Protocol.Profiler.Profile} profile
 * @param {(line: number) => string} modOf
 */
function summarizeProfile(profile, modOf) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  /** @type {Map<number, number>} self time (µs) per node id */
  const self = new Map();
  const samples = profile.samples ?? [];
  const timeDeltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => self.set(id, (self.get(id) || 0) + (timeDeltas[i] || 0)));
  /** @type {Map<string, number>} */
  const fns = new Map();
  /** @type {Map<string, number>} */
  const mods = new Map();
  let total = 0, idle = 0, gc = 0, program = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue; // a sample always names a node of the profile
    const cf = n.callFrame;
    total += us;
    if (cf.functionName === '(idle)') { idle += us; continue; }
    if (cf.functionName === '(garbage collector)') gc += us;
    if (cf.functionName === '(program)') program += us;
    const mod = cf.url && /debug/.test(cf.url) ? modOf(cf.lineNumber) : (cf.url ? cf.url.replace(/^https?:\/\/[^/]+/, '') : '(native)');
    const key = `${cf.functionName || '(anonymous)'} ${mod}:${cf.lineNumber + 1}`;
    fns.set(key, (fns.get(key) || 0) + us);
    mods.set(mod, (mods.get(mod) || 0) + us);
  }
  /** @param {Map<string, number>} m @param {number} k */
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10 }));
  return { sampledMs: Math.round(total / 1000), busyMs: Math.round((total - idle) / 1000), gcMs: Math.round(gc / 1000), programMs: Math.round(program / 1000), topFunctions: top(fns, 15), byModule: top(mods, 12) };
}

/** @param {BenchCounter} o */
const mean = (o) => (o.n ? Math.round((o.ms / o.n) * 100) / 100 : null);

/**
 * One phase's figures: per message, from the page's latencies, instrument.js's counters and both CPU profiles.
 * @param {number} n messages in the phase
 * @param {number} wallMs
 * @param {{ p50: number | undefined, p95: number | undefined } | void} pageResult
 * @param {BenchWorkerStats} st
 * @param {ReturnType<typeof summarizeProfile>} swP
 * @param {ReturnType<typeof summarizeProfile>} pageP
 */
function phaseResult(n, wallMs, pageResult, st, swP, pageP) {
  /** @param {number} x */
  const perMsg = (x) => Math.round((x / n) * 100) / 100;
  const tx = Object.fromEntries(Object.entries(st.tx).map(([k, v]) => [k, { perMsg: perMsg(v.n), meanMs: mean(v) }]));
  return {
    n,
    wallMs: Math.round(wallMs),
    wallPerMsgMs: perMsg(wallMs),
    page: pageResult ? { p50Ms: pageResult.p50, p95Ms: pageResult.p95 } : undefined,
    worker: {
      respondWith: { n: st.respond.n, meanMs: mean(st.respond), p50Ms: st.respond.p50 && Math.round(st.respond.p50 * 100) / 100, p95Ms: st.respond.p95 && Math.round(st.respond.p95 * 100) / 100 },
      idbTransactionsPerMsg: tx,
      fetch: { perMsg: perMsg(st.fetch.n), meanMs: mean(st.fetch) },
      lockWait: { perMsg: perMsg(st.lockWait.n), meanMs: mean(st.lockWait) },
      broadcastsPerMsg: perMsg(st.broadcast.n),
      syncRegistersPerMsg: perMsg(st.syncRegister.n),
      messagesFromPagePerMsg: perMsg(st.messages.n),
      cpuBusyPerMsgMs: perMsg(swP.busyMs),
    },
    pageCpuBusyPerMsgMs: perMsg(pageP.busyMs),
    swProfile: swP,
    pageProfile: pageP,
  };
}

/**
 * @param {import('playwright-core').Browser} browser
 * @param {ProfiledKind} kind
 * @param {Awaited<ReturnType<typeof buildDebug>>} files
 */
async function profileKind(browser, kind, files) {
  const swFile = files[kind];
  const srv = await startBenchServer({ swFile, clientFile: files.client, label: kind });
  const ctx = await browser.newContext();
  await ctx.grantPermissions(['background-sync'], { origin: srv.url });
  const page = await ctx.newPage();
  await page.goto(srv.url + '/bench.html');
  await page.waitForFunction(() => window.benchReady === true);
  await page.evaluate((o) => window.bench.setup(o), { kind, outbox: { serviceWorker: '/sw.js?api=/api/chat', health: '/api/health' } });
  await page.evaluate(() => window.bench.seq('warm', 20));
  const sw = await attachToServiceWorker(browser, srv.url);
  await sw.send('Profiler.enable');
  await sw.send('Profiler.setSamplingInterval', { interval: 200 });
  await sw.send('Runtime.enable');
  await sw.send('Network.enable');
  // As run.mjs: offline emulated in the worker over this session, the worker back online first.
  /** @param {boolean} offline */
  const NET = (offline) => ({ offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  /** @param {boolean} offline */
  const setOffline = async (offline) => {
    if (offline) { await ctx.setOffline(true); await sw.send('Network.emulateNetworkConditions', NET(true)); }
    else { await sw.send('Network.emulateNetworkConditions', NET(false)); await ctx.setOffline(false); }
  };
  const pg = await ctx.newCDPSession(page);
  await pg.send('Profiler.enable');
  await pg.send('Profiler.setSamplingInterval', { interval: 200 });
  /** @returns {Promise<BenchWorkerStats>} what instrument.js counted since the last call */
  const swStats = async () => (await sw.send('Runtime.evaluate', { expression: 'self.__benchStats(true)', returnByValue: true })).result.value;
  const swMod = moduleMap(swFile);
  const pageMod = moduleMap(files.client);
  /** @type {Record<string, ReturnType<typeof phaseResult>>} */
  const results = {};
  /** @type {string[]} */
  let seqIds = [];
  /** @type {string[]} */
  let concIds = [];

  /**
   * @param {string} name @param {number} n
   * @param {() => Promise<{ p50: number | undefined, p95: number | undefined } | void>} run the phase; its page latencies if it has them
   */
  async function phase(name, n, run) {
    await swStats();
    await sw.send('Profiler.start');
    await pg.send('Profiler.start');
    const t0 = performance.now();
    const pageResult = await run();
    const wallMs = performance.now() - t0;
    const { profile: swProf } = await sw.send('Profiler.stop');
    const { profile: pageProf } = await pg.send('Profiler.stop');
    const st = await swStats();
    fs.writeFileSync(path.join(outDir, `${kind}-${name}-sw.cpuprofile`), JSON.stringify(swProf));
    fs.writeFileSync(path.join(outDir, `${kind}-${name}-page.cpuprofile`), JSON.stringify(pageProf));
    const result = phaseResult(n, wallMs, pageResult, st, summarizeProfile(swProf, swMod), summarizeProfile(pageProf, pageMod));
    results[name] = result;
    console.log(`\n--- ${kind} ${name} (${n} msgs): ${result.wallPerMsgMs} ms/msg wall; worker CPU ${result.worker.cpuBusyPerMsgMs} ms/msg, page CPU ${result.pageCpuBusyPerMsgMs} ms/msg`);
    console.log(JSON.stringify(result.worker));
    console.log('worker top self time:', result.swProfile.topFunctions.slice(0, 8).map((f) => `${f.name} ${f.ms}ms`).join(' | '));
    console.log('worker by module:', result.swProfile.byModule.slice(0, 8).map((f) => `${f.name} ${f.ms}ms`).join(' | '));
    console.log('page top self time:', result.pageProfile.topFunctions.slice(0, 6).map((f) => `${f.name} ${f.ms}ms`).join(' | '));
  }
  /** @param {{ lat: number[] }} r */
  const latOf = (r) => { const l = [...r.lat].sort((a, b) => a - b); return { p50: l[Math.floor(l.length / 2)], p95: l[Math.floor(l.length * 0.95)] }; };

  await phase('online', N, async () => latOf(await page.evaluate((n) => window.bench.seq('online', n), N)));
  await setOffline(true);
  await sleep(300);
  await phase('offline-seq', N, async () => { const r = await page.evaluate((n) => window.bench.seq('off', n), N); seqIds = r.ids; return latOf(r); });
  if (kind !== 'floor') {
    await phase('drain', N, async () => {
      let seen = 0;
      const set = new Set(seqIds);
      const done = srv.api.waitFor((e) => set.has(e.key) && ++seen === set.size, 120_000);
      await setOffline(false);
      await done;
      await sleep(50);
    });
    await setOffline(true);
    await sleep(300);
  }
  await phase('offline-conc', N, async () => { const r = await page.evaluate((n) => window.bench.conc('conc', n), N); concIds = r.ids; return latOf(r); });
  if (kind !== 'floor') {
    await phase('drain-after-conc', N, async () => {
      let seen = 0;
      const set = new Set(concIds);
      const done = srv.api.waitFor((e) => set.has(e.key) && ++seen === set.size, 120_000);
      await setOffline(false);
      await done;
      await sleep(50);
    });
  }
  await sw.detach();
  await ctx.close();
  await srv.close();
  return results;
}

/** Which inputs the minified worker and client are made of (esbuild metafile, bytes in output). */
async function sizeBreakdown() {
  /** @type {Record<string, { minBytes: number, inputs: { input: string, bytes: number }[] }>} */
  const out = {};
  /** @type {[string, string, import('esbuild').Format][]} */
  const bundles = [['sw', 'sw/worker.ts', 'iife'], ['client', 'client/index.ts', 'esm']];
  for (const [name, entry, format] of bundles) {
    const r = await esbuild.build({ entryPoints: [path.join(root, entry)], bundle: true, minify: true, target: 'es2022', format, legalComments: 'none', define: { 'process.env.NODE_ENV': '"production"' }, write: false, metafile: true, outfile: path.join(outDir, `${name}-size.js`), logLevel: 'silent' });
    const o = Object.values(r.metafile?.outputs ?? {})[0];
    if (!o) throw new Error(`esbuild gave no output for ${entry}`);
    /** @type {Record<string, number>} */
    const byPkg = {};
    for (const [file, { bytesInOutput }] of Object.entries(o.inputs)) {
      const key = file.includes('node_modules/') ? file.replace(/.*node_modules\/((?:@[^/]+\/)?[^/]+).*/, '$1') : file;
      byPkg[key] = (byPkg[key] || 0) + bytesInOutput;
    }
    const breakdown = { minBytes: o.bytes, inputs: Object.entries(byPkg).sort((a, b) => b[1] - a[1]).map(([input, bytes]) => ({ input, bytes })) };
    out[name] = breakdown;
    console.log(`${name}: ${o.bytes} B minified:`, breakdown.inputs.slice(0, 14).map((i) => `${i.input} ${i.bytes}`).join(', '));
  }
  return out;
}

process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK = '1';
const files = await buildDebug();
const sizeInfo = await sizeBreakdown();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: LAUNCH_ARGS });
/** @type {{ size: typeof sizeInfo } & Partial<Record<ProfiledKind, Awaited<ReturnType<typeof profileKind>>>>} */
const summary = { size: sizeInfo };
try {
  for (const k of KINDS) summary[k] = await profileKind(browser, k, files);
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
console.log('\nwrote', path.relative(root, path.join(outDir, 'summary.json')));
