// Builds dist/: the ready-made worker (classic script), the client (ESM), the
// worker library for sites that build their own worker (ESM), and the type
// declarations. Fails on a type error or a size budget overrun.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
process.chdir(root);

/**
 * gzipped bytes; measured, and what each KiB buys is in docs/size.md (this
 * script prints the breakdown, `worker features` below).
 *
 * Raised on 2026-12-05 (sw.js 10 -> 12 KiB, client.js 3 -> 4 KiB, sw-shell.js
 * 5 -> 6 KiB) before the storage-health, ordering and identity fixes of issue
 * 16 and the config checks of issue 18: both sat within 20 bytes of their
 * budget.
 *
 * sw.js 12 -> 14 KiB (issue 20, "the worker budget, honestly"): dist/sw.js is
 * now the one worker for production and debugging. Tracing, encryption and
 * lanes are in it and switched on at run time, where a lean sw.js used to
 * swap in another build (sw-full.js) by importScripts for `debug=1`,
 * `encrypt=1` or `lane=`: the worker a site debugged was not the one that
 * failed. What the 14 KiB buy, measured: docs/size.md.
 *
 * client.js 4 -> 4.5 KiB (issue 18, `outbox.connection`): the page's one
 * state value for its way to the API (online / offline / unreachable, down
 * since) costs 0.43 KiB gzipped (3.78 -> 4.22), measured at the commit that
 * added it; the rest is room for `send(…, { after })` (issue 19).
 *
 * sw.js 14 -> 14.5 KiB (issue 19, "ask the server"): the lookup before a
 * lost answer is sent again (sw/lookup.ts and the on-the-wire note) took
 * dist/sw.js from 13.49 to 14.02 KiB; its share is printed below as
 * "asking the server about lost answers".
 *
 * sw.js 14.5 -> 15 KiB (issue 19, "relayed is not delivered"): following a
 * relay's messages to `delivered` (sw/relayed.ts, the ledger's conditional
 * replace) took it from 14.02 to 14.61 KiB; printed below as "following
 * relayed messages".
 *
 * sw.js 15 -> 16.5 KiB (issue 19, dependent requests: a caption sent `after`
 * its photo): 14.70 -> 16.12 KiB. The module itself (sw/dependents.ts:
 * placeholders, parent states, adopting a parent) is 0.66 KiB, printed below
 * as "dependent requests"; the rest is its calls in the core: the pass waits
 * for a parent, settle keeps a parent's answer, retry and discard take the
 * children along, and uploads are stored as Blobs.
 */
const BUDGET_GZIP_BYTES = {
  'dist/sw.js': 16.5 * 1024,
  'dist/client.js': 4.5 * 1024,
  // The opt-in app shell (`?shell=`): Workbox's NetworkFirst and router, loaded
  // by dist/sw.js only when asked for.
  'dist/sw-shell.js': 6 * 1024,
  // The devtools panel (outbox/devtools): loaded only by a page that imports it, in development.
  'dist/devtools.js': 3.5 * 1024,
  // Page helpers, each its own file (README, "History and pending as one list", "Storage").
  'dist/history.js': 1.5 * 1024,
  'dist/storage.js': 0.5 * 1024,
};

/** How dist/sw.js is built; the feature breakdown rebuilds it the same way with one feature left out. */
/** @type {import('esbuild').BuildOptions} */
const READY_MADE_WORKER = { entryPoints: ['sw/worker.ts'], format: 'iife', minify: true };

/**
 * The ready-made worker's opt-in features: the modules that are each one's
 * own code, with the names the rest of the worker imports from them. Its
 * gzipped cost is measured by building dist/sw.js again with these modules
 * replaced by empty stand-ins (never shipped; the measurement's build is
 * only gzipped), so it is what leaving the feature out would save. The calls
 * into a feature from the core (a trace line's words, a `secrets.drop(id)`)
 * stay in the core's share.
 */
/** @type {Record<string, Record<string, string[]>>} feature -> (module path -> its export names) */
const WORKER_FEATURES = {
  'tracing (debug=1, devtools)': { 'sw/trace.ts': ['tracer'] },
  'encryption at rest (encrypt=1)': { 'sw/keys.ts': ['KeyStore', 'seal', 'open'] },
  'accounts and secret headers': { 'sw/sessions.ts': ['Sessions'], 'sw/secrets.ts': ['HeldSecrets'] },
  'lanes (lane=)': { 'sw/lanes.ts': ['laneFromRequest', 'sideBySide'] },
  'asking the server about lost answers (lookup=)': { 'sw/lookup.ts': ['askServer'] },
  'following relayed messages to delivered (lookup= behind outbox-relay)': { 'sw/relayed.ts': ['RelayedWatch'] },
  'dependent requests (send after: attachments)': { 'sw/dependents.ts': ['Parents', 'parentState', 'adoptParent', 'readAnswer', 'withParentAnswer'] },
};

/**
 * The core's modules by role, for the breakdown's second part. Gzip works
 * across modules, so a role's share is of the minified bytes (esbuild's
 * metafile), not a gzipped cost of its own.
 */
/** @type {Record<string, string[]>} role -> module names under sw/, or a folder of the repo (a trailing /: sw/protocol/, shared/, server/src/ for the retry policy) */
const CORE_ROLES = {
  'the drain: passes, state, backoff, classification': ['drain-loop', 'send', 'settle', 'drain', 'submit', 'timing', 'classify', 'origin-lock', 'arrival-order', 'server/src/'],
  'storage: queue records and the per-message ledger': ['request-queue', 'idb', 'ledger'],
  "the page's commands: list, retry, discard, edit, cancel": ['actions', 'changes', 'commands', 'announcer', 'page-answers'],
  'wire format and its checks, errors': ['sw/protocol/', 'shared/'],
  'setup: options, fetch listener, sync, engine': ['options', 'install', 'intercept', 'engine', 'worker', 'refuse'],
};

/**
 * An esbuild plugin that replaces `modules` (path -> export names) with empty stand-ins.
 * @param {Record<string, string[]>} modules
 * @returns {import('esbuild').Plugin}
 */
function standIns(modules) {
  const byPath = new Map(Object.entries(modules).map(([file, names]) => [path.resolve(file), names]));
  return {
    name: 'stand-ins',
    setup(builder) {
      builder.onLoad({ filter: /\.ts$/ }, (args) => {
        const names = byPath.get(args.path);
        if (!names) return undefined;
        return { loader: 'ts', contents: names.map((name) => (/^[A-Z]/.test(name) ? `export class ${name} {}` : `export const ${name} = () => {};`)).join('\n') };
      });
    },
  };
}

/** gzipped bytes of code, without the trailing source map comment (only devtools read it). @param {string} code */
function gzippedBytes(code) {
  return gzipSync(Buffer.from(code.replace(/\n\/\/# sourceMappingURL=\S+\n?$/, '')), { level: 9 }).length;
}

/** dist/sw.js built in memory with `modules` replaced by stand-ins: its gzipped bytes. @param {Record<string, string[]>} modules */
async function workerWithout(modules) {
  const { outputFiles } = await build({ ...common, ...READY_MADE_WORKER, sourcemap: false, write: false, outfile: 'dist/measure.js', plugins: [standIns(modules)] });
  const [output] = outputFiles ?? [];
  if (!output) throw new Error('build.mjs: esbuild wrote no output for the size breakdown');
  return gzippedBytes(output.text);
}

rmSync('dist', { recursive: true, force: true });

/** The modules of a library entry point: its .ts files, without tests and the ready-made workers' entries. @param {string} dir */
function libraryModules(dir) {
  const entries = new Set(['worker.ts', 'shell-worker.ts']);
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !entries.has(path.basename(file)))
    .map((file) => path.join(dir, file));
}

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
  // Linked maps: a site debugging the worker or the client sees our TypeScript
  // (sourcesContent is included, since the package ships no .ts files).
  sourcemap: 'linked',
  // Workbox's asserts and logs sit behind this; production drops them.
  define: { 'process.env.NODE_ENV': '"production"' },
};

const [readyMade] = await Promise.all([
  // A classic script: module workers are not in every browser that has service workers.
  // One build for production and debugging: tracing is switched on at run time (sw/trace.ts).
  build({ ...common, ...READY_MADE_WORKER, outfile: 'dist/sw.js', metafile: true }),
  // Its own classic script, loaded by dist/sw.js with importScripts when `shell=` is given.
  build({ ...common, entryPoints: ['sw/shell-worker.ts'], outfile: 'dist/sw-shell.js', format: 'iife', minify: true }),
  build({ ...common, entryPoints: ['client/index.ts'], outfile: 'dist/client.js', format: 'esm', minify: true }),
  // Page helpers apart from the client, so a page that does not use them does not load them.
  build({ ...common, entryPoints: ['client/history.ts'], outfile: 'dist/history.js', format: 'esm', minify: true }),
  build({ ...common, entryPoints: ['client/storage.ts'], outfile: 'dist/storage.js', format: 'esm', minify: true }),
  // UI bindings (docs/ui-bindings.md): the store alone, and the React hook with the store in it; React stays the site's.
  build({ ...common, entryPoints: ['client/store.ts'], outfile: 'dist/store.js', format: 'esm', minify: true }),
  build({ ...common, entryPoints: ['client/react.ts'], outfile: 'dist/react.js', format: 'esm', minify: true, external: ['react'] }),
  // The devtools panel: its own file, never part of dist/client.js.
  build({ ...common, entryPoints: ['client/devtools.ts'], outfile: 'dist/devtools.js', format: 'esm', minify: true }),
  // The library form, one module per source file and not bundled, so a site's
  // bundler drops what the site does not import (the package is
  // `"sideEffects": false`): a worker without installAppShell pulls in no
  // workbox-strategies, and so no second copy of workbox-core. It keeps
  // process.env.NODE_ENV for that bundler to decide.
  build({
    ...common,
    bundle: false,
    // Left for the site's bundler: esbuild would otherwise define it itself ("development", unminified).
    define: { 'process.env.NODE_ENV': 'process.env.NODE_ENV' },
    entryPoints: libraryModules('sw'),
    outbase: 'sw',
    outdir: 'dist/sw',
    format: 'esm',
  }),
  // outbox/vite, the Vite plugin: runs in Node, finds dist/sw.js beside itself. Unminified (read in stack traces).
  build({ ...common, define: {}, entryPoints: ['vite/index.ts'], outfile: 'dist/vite.js', format: 'esm', platform: 'node', external: ['vite'] }),
  // The retry policy, owned by outbox-server and plain JS (server/src/retry-policy.js says why): dist/sw.js
  // inlines it; the library (dist/sw/) imports it as ../server/src/retry-policy.js, so it goes to that place.
  build({ ...common, bundle: false, define: {}, entryPoints: ['server/src/retry-policy.js'], outfile: 'dist/server/src/retry-policy.js', format: 'esm' }),
  // What the worker library shares with the client (shared/): imported by dist/sw/ as ../shared/.
  build({ ...common, bundle: false, define: {}, entryPoints: libraryModules('shared'), outbase: 'shared', outdir: 'dist/shared', format: 'esm' }),
]);

const tsc = fileURLToPath(new URL('node_modules/typescript/bin/tsc', import.meta.url));
for (const project of ['tsconfig.json', 'sw/tsconfig.json', 'vite/tsconfig.json']) {
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
}

let over = false;
for (const [file, budget] of Object.entries(BUDGET_GZIP_BYTES)) {
  // The budget is the code's: the trailing `//# sourceMappingURL=` line (about
  // 35 bytes gzipped) is only read by devtools.
  const code = readFileSync(file, 'utf8');
  const raw = Buffer.from(code.replace(/\n\/\/# sourceMappingURL=\S+\n?$/, ''));
  const gzipped = gzippedBytes(code);
  const line = `${file}: ${(raw.length / 1024).toFixed(1)} KiB minified, ${(gzipped / 1024).toFixed(2)} KiB gzipped (budget ${budget / 1024} KiB)`;
  if (gzipped > budget) {
    over = true;
    console.error(`over budget: ${line}`);
  } else {
    console.log(line);
  }
}
// What each KiB of dist/sw.js buys (docs/size.md): each feature's cost is what
// leaving it out saves; the core is the worker with all of them left out.
const whole = gzippedBytes(readFileSync('dist/sw.js', 'utf8'));
const kib = (/** @type {number} */ bytes) => `${(bytes / 1024).toFixed(2)} KiB`;
/** @type {[string, number][]} */
const costs = await Promise.all(Object.entries(WORKER_FEATURES).map(async ([feature, modules]) => /** @type {[string, number]} */ ([feature, whole - (await workerWithout(modules))])));
const core = await workerWithout(Object.assign({}, ...Object.values(WORKER_FEATURES)));
console.log(`dist/sw.js worker features, gzipped: core ${kib(core)} (${core} bytes)`);
for (const [feature, bytes] of costs) console.log(`  + ${feature}: ${kib(bytes)} (${bytes} bytes)`);
console.log(`  = ${kib(whole)} (${whole} bytes; features measured one at a time, so their sum differs from the whole by ${whole - core - costs.reduce((sum, [, bytes]) => sum + bytes, 0)} bytes)`);
const workerOutput = Object.values(readyMade.metafile?.outputs ?? {}).find((output) => output.entryPoint === 'sw/worker.ts');
if (!workerOutput) throw new Error('build.mjs: no metafile output for sw/worker.ts');
const inputs = Object.entries(workerOutput.inputs);
const roleOf = (/** @type {string} */ input) =>
  Object.entries(CORE_ROLES).find(([, names]) => names.some((name) => (name.endsWith('/') ? input.startsWith(name) : input === `sw/${name}.ts`)))?.[0];
const byRole = new Map(Object.keys(CORE_ROLES).map((role) => [role, 0]));
const featureFiles = new Set(Object.values(WORKER_FEATURES).flatMap((modules) => Object.keys(modules)));
let other = 0;
for (const [input, { bytesInOutput }] of inputs) {
  if (featureFiles.has(input)) continue;
  const role = roleOf(input);
  if (role === undefined) other += bytesInOutput;
  else byRole.set(role, (byRole.get(role) ?? 0) + bytesInOutput);
}
console.log('dist/sw.js core by role, minified bytes (a share, not a gzipped cost):');
for (const [role, bytes] of byRole) console.log(`  ${role}: ${(bytes / 1000).toFixed(1)} KB`);
if (other > 0) console.log(`  other: ${(other / 1000).toFixed(1)} KB`);

// `npm test` builds with --check-size, so a budget overrun fails the suite; a plain build only reports.
if (over && process.argv.includes('--check-size')) process.exit(1);
