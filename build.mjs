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
 * gzipped bytes; measured, and stated in the README. The worker's target was
 * 8 KiB for v1; accounts, credentials and encryption took it past that (the
 * README's Performance section has the breakdown). This budget stops it
 * growing further unnoticed.
 *
 * Raised on 2026-12-05 (sw.js 10 -> 12 KiB, client.js 3 -> 4 KiB, sw-shell.js
 * 5 -> 6 KiB) before the storage-health, ordering and identity fixes of issue
 * 16 and the config checks of issue 18: both sat within 20 bytes of their
 * budget, so any fix would have had to be paid for by cutting something
 * else. What each KiB buys is to be written down with issue 20's split of
 * the worker into a core and opt-in features.
 */
const BUDGET_GZIP_BYTES = {
  'dist/sw.js': 12 * 1024,
  'dist/client.js': 4 * 1024,
  // The opt-in app shell (`?shell=`): Workbox's NetworkFirst and router, loaded
  // by dist/sw.js only when asked for.
  'dist/sw-shell.js': 6 * 1024,
  // Page helpers, each its own file (README, "History and pending as one list", "Storage").
  'dist/history.js': 1.5 * 1024,
  'dist/storage.js': 0.5 * 1024,
};

rmSync('dist', { recursive: true, force: true });

/** The modules of a library entry point: its .ts files, without tests and the ready-made workers' entries. */
function libraryModules(dir) {
  const entries = new Set(['worker.ts', 'shell-worker.ts']);
  return readdirSync(dir, { recursive: true })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !entries.has(path.basename(file)))
    .map((file) => path.join(dir, file));
}

const common = {
  bundle: true,
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
  // Linked maps: a site debugging the worker or the client sees our TypeScript
  // (sourcesContent is included, since the package ships no .ts files).
  sourcemap: 'linked',
  // Workbox's asserts and logs sit behind this; production drops them.
  // OUTBOX_FULL: what the build leaves in (sw/build-flags.ts); false only for dist/sw.js.
  define: { 'process.env.NODE_ENV': '"production"', OUTBOX_FULL: 'true' },
};

await Promise.all([
  // A classic script: module workers are not in every browser that has service workers.
  // Lean: tracing and encryption compiled out (sw/build-flags.ts); `?debug=1` or
  // `?encrypt=1` load dist/sw-full.js, the same worker built with them.
  build({ ...common, define: { ...common.define, OUTBOX_FULL: 'false' }, entryPoints: ['sw/worker.ts'], outfile: 'dist/sw.js', format: 'iife', minify: true }),
  build({ ...common, entryPoints: ['sw/worker.ts'], outfile: 'dist/sw-full.js', format: 'iife', minify: true }),
  // Its own classic script, loaded by dist/sw.js with importScripts when `shell=` is given.
  build({ ...common, entryPoints: ['sw/shell-worker.ts'], outfile: 'dist/sw-shell.js', format: 'iife', minify: true }),
  build({ ...common, entryPoints: ['client/index.ts'], outfile: 'dist/client.js', format: 'esm', minify: true }),
  // Page helpers apart from the client, so a page that does not use them does not load them.
  build({ ...common, entryPoints: ['client/history.ts'], outfile: 'dist/history.js', format: 'esm', minify: true }),
  build({ ...common, entryPoints: ['client/storage.ts'], outfile: 'dist/storage.js', format: 'esm', minify: true }),
  // UI bindings (docs/ui-bindings.md): the store alone, and the React hook with the store in it; React stays the site's.
  build({ ...common, entryPoints: ['client/store.ts'], outfile: 'dist/store.js', format: 'esm', minify: true }),
  build({ ...common, entryPoints: ['client/react.ts'], outfile: 'dist/react.js', format: 'esm', minify: true, external: ['react'] }),
  // The library form, one module per source file and not bundled, so a site's
  // bundler drops what the site does not import (the package is
  // `"sideEffects": false`): a worker without installAppShell pulls in no
  // workbox-strategies, and so no second copy of workbox-core. It keeps
  // process.env.NODE_ENV for that bundler to decide.
  build({
    ...common,
    bundle: false,
    // Left for the site's bundler: esbuild would otherwise define it itself ("development", unminified).
    define: { OUTBOX_FULL: 'true', 'process.env.NODE_ENV': 'process.env.NODE_ENV' },
    entryPoints: libraryModules('sw'),
    outbase: 'sw',
    outdir: 'dist/sw',
    format: 'esm',
  }),
  // outbox/vite, the Vite plugin: runs in Node, finds dist/sw.js beside itself. Unminified (read in stack traces).
  build({ ...common, define: {}, entryPoints: ['vite/index.ts'], outfile: 'dist/vite.js', format: 'esm', platform: 'node', external: ['vite'] }),
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
  const raw = Buffer.from(readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\n?$/, ''));
  const gzipped = gzipSync(raw, { level: 9 }).length;
  const line = `${file}: ${(raw.length / 1024).toFixed(1)} KiB minified, ${(gzipped / 1024).toFixed(2)} KiB gzipped (budget ${budget / 1024} KiB)`;
  if (gzipped > budget) {
    over = true;
    console.error(`over budget: ${line}`);
  } else {
    console.log(line);
  }
}
// `npm test` builds with --check-size, so a budget overrun fails the suite; a plain build only reports.
if (over && process.argv.includes('--check-size')) process.exit(1);
