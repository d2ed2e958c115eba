// Builds the two reference workers (Workbox recipe, floor) into .tmp/bench/, minified, production.
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
export const outDir = path.join(root, '.tmp/bench');

/** @param {'recipe' | 'floor'} name @returns {Promise<string>} the bundle's path */
async function buildReferenceWorker(name) {
  const outfile = path.join(outDir, `${name}-sw.js`);
  await esbuild.build({
    entryPoints: [path.join(here, 'workers', `${name}.js`)],
    outfile,
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2022', // as build.mjs builds dist/sw.js
    legalComments: 'none',
    platform: 'browser',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  return outfile;
}

export async function buildReferenceWorkers() {
  fs.mkdirSync(outDir, { recursive: true });
  return { recipe: await buildReferenceWorker('recipe'), floor: await buildReferenceWorker('floor') };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = await buildReferenceWorkers();
  for (const [k, f] of Object.entries(out)) console.log(k, f, fs.statSync(f).size, 'bytes');
}
