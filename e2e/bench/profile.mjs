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
const KINDS = (process.env.PROFILE_KINDS || 'ours').split(',');
const N = Number(process.env.PROFILE_N || 300);
const LAUNCH_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--no-sandbox', '--disable-gpu'];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function buildDebug() {
  fs.mkdirSync(outDir, { recursive: true });
  const banner = fs.readFileSync(path.join(here, 'instrument.js'), 'utf8');
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

/** esbuild's unminified bundles mark each module with a `// path/to/file.ts` line. */
function moduleMap(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const marks = [];
  lines.forEach((l, i) => { const m = /^\s*\/\/ ((?:node_modules|sw|client|e2e)\/\S+\.(?:ts|js|mjs))$/.exec(l); if (m) marks.push([i, m[1]]); });
  return (line) => { let mod = 'banner/instrument'; for (const [i, m] of marks) { if (i <= line) mod = m; else break; } return mod; };
}

function summarizeProfile(profile, modOf) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) || 0) + (profile.timeDeltas[i] || 0));
  }
  const fns = new Map(), mods = new Map();
  let total = 0, idle = 0, gc = 0, program = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    const cf = n.callFrame;
    total += us;
    if (cf.functionName === '(idle)') { idle += us; continue; }
    if (cf.functionName === '(garbage collector)') gc += us;
    if (cf.functionName === '(program)') program += us;
    const mod = cf.url && modOf && /debug/.test(cf.url) ? modOf(cf.lineNumber) : (cf.url ? cf.url.replace(/^https?:\/\/[^/]+/, '') : '(native)');
    const key = `${cf.functionName || '(anonymous)'} ${mod}:${cf.lineNumber + 1}`;
    fns.set(key, (fns.get(key) || 0) + us);
    mods.set(mod, (mods.get(mod) || 0) + us);
  }
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10 }));
  return { sampledMs: Math.round(total / 1000), busyMs: Math.round((total - idle) / 1000), gcMs: Math.round(gc / 1000), programMs: Math.round(program / 1000), topFunctions: top(fns, 15), byModule: top(mods, 12) };
}

const mean = (o) => (o.n ? Math.round((o.ms / o.n) * 100) / 100 : null);

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
  const NET = (offline) => ({ offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const setOffline = async (offline) => {
    if (offline) { await ctx.setOffline(true); await sw.send('Network.emulateNetworkConditions', NET(true)); }
    else { await sw.send('Network.emulateNetworkConditions', NET(false)); await ctx.setOffline(false); }
  };
  const pg = await ctx.newCDPSession(page);
  await pg.send('Profiler.enable');
  await pg.send('Profiler.setSamplingInterval', { interval: 200 });
  const swStats = async () => (await sw.send('Runtime.evaluate', { expression: 'self.__benchStats(true)', returnByValue: true })).result.value;
  const swMod = moduleMap(swFile);
  const pageMod = moduleMap(files.client);
  const results = {};
  let seqIds = [], concIds = [];

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
    const perMsg = (x) => Math.round((x / n) * 100) / 100;
    const tx = Object.fromEntries(Object.entries(st.tx).map(([k, v]) => [k, { perMsg: perMsg(v.n), meanMs: mean(v) }]));
    const swP = summarizeProfile(swProf, swMod);
    const pageP = summarizeProfile(pageProf, pageMod);
    results[name] = {
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
    console.log(`\n--- ${kind} ${name} (${n} msgs): ${results[name].wallPerMsgMs} ms/msg wall; worker CPU ${results[name].worker.cpuBusyPerMsgMs} ms/msg, page CPU ${results[name].pageCpuBusyPerMsgMs} ms/msg`);
    console.log(JSON.stringify(results[name].worker));
    console.log('worker top self time:', swP.topFunctions.slice(0, 8).map((f) => `${f.name} ${f.ms}ms`).join(' | '));
    console.log('worker by module:', swP.byModule.slice(0, 8).map((f) => `${f.name} ${f.ms}ms`).join(' | '));
    console.log('page top self time:', pageP.topFunctions.slice(0, 6).map((f) => `${f.name} ${f.ms}ms`).join(' | '));
  }
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
  const out = {};
  for (const [name, entry, format] of [['sw', 'sw/worker.ts', 'iife'], ['client', 'client/index.ts', 'esm']]) {
    const r = await esbuild.build({ entryPoints: [path.join(root, entry)], bundle: true, minify: true, target: 'es2022', format, legalComments: 'none', define: { 'process.env.NODE_ENV': '"production"' }, write: false, metafile: true, outfile: path.join(outDir, `${name}-size.js`), logLevel: 'silent' });
    const o = Object.values(r.metafile.outputs)[0];
    const byPkg = {};
    for (const [file, { bytesInOutput }] of Object.entries(o.inputs)) {
      const key = file.includes('node_modules/') ? file.replace(/.*node_modules\/((?:@[^/]+\/)?[^/]+).*/, '$1') : file;
      byPkg[key] = (byPkg[key] || 0) + bytesInOutput;
    }
    out[name] = { minBytes: o.bytes, inputs: Object.entries(byPkg).sort((a, b) => b[1] - a[1]).map(([input, bytes]) => ({ input, bytes })) };
    console.log(`${name}: ${o.bytes} B minified:`, out[name].inputs.slice(0, 14).map((i) => `${i.input} ${i.bytes}`).join(', '));
  }
  return out;
}

process.env.PLAYWRIGHT_DISABLE_SERVICE_WORKER_NETWORK = '1';
const files = await buildDebug();
const sizeInfo = await sizeBreakdown();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: LAUNCH_ARGS });
const summary = { size: sizeInfo };
try {
  for (const k of KINDS) summary[k] = await profileKind(browser, k, files);
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2));
console.log('\nwrote', path.relative(root, path.join(outDir, 'summary.json')));
