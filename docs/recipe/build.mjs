// Builds docs/recipe/sw.js into one classic worker script with esbuild, with
// Workbox's precache manifest injected: for each file the page needs offline,
// its URL and a hash of its content as the revision (what `injectManifest`
// from workbox-build does, without its dependencies).
//
//   node docs/recipe/build.mjs <outfile> <url>=<file> [<url>=<file> …]
//   e.g. node docs/recipe/build.mjs public/sw.js /index.html=public/index.html /app.js=public/app.js
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * @param {{ outfile: string, precache: Array<{ url: string, file: string }>, entry?: string, alias?: Record<string, string> }} options
 * @returns {Promise<Array<{ url: string, revision: string }>>} the manifest
 */
export async function buildWorker({ outfile, precache, entry = path.join(here, 'sw.js'), alias = {} }) {
  const manifest = precache.map(({ url, file }) => ({
    url,
    revision: createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16),
  }));
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'iife', // a classic script: module workers are not in every browser
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    alias,
    define: {
      'self.__WB_MANIFEST': JSON.stringify(manifest),
      // Workbox's development logs and asserts are dropped in production.
      'process.env.NODE_ENV': '"production"',
    },
  });
  return manifest;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [outfile, ...pairs] = process.argv.slice(2);
  if (!outfile || pairs.length === 0) {
    console.error('usage: node docs/recipe/build.mjs <outfile> <url>=<file> [<url>=<file> …]');
    process.exit(2);
  }
  const precache = pairs.map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`expected <url>=<file>, got ${JSON.stringify(pair)}`);
    return { url: pair.slice(0, at), file: pair.slice(at + 1) };
  });
  const manifest = await buildWorker({ outfile, precache });
  console.log(`${outfile}: ${manifest.length} files precached`);
}
