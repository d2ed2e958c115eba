/**
 * The ready-made worker's files as the package ships them: `sw.js`, the files
 * it loads beside itself with `importScripts` (read from its own code, so the
 * list follows the package's version), and their source maps.
 */
import { existsSync, readFileSync } from 'node:fs';
import { OutboxViteError } from './errors.js';

export interface WorkerFile {
  /** The name beside the worker's URL (`sw.js` is renamed to the configured path's name). */
  name: string;
  /** Where the package has it. */
  source: URL;
  isMap: boolean;
}

/** `importScripts('sw-shell.js')` as esbuild prints it in dist/sw.js: one relative name per call. */
const IMPORT_SCRIPTS = /importScripts\(\s*["'`]([\w.-]+\.js)["'`]\s*\)/g;

/**
 * The files to serve for a worker named `workerName` (the last segment of
 * the configured path). `dist` is the package's dist/ folder.
 *
 * Throws `OutboxViteError` when the package's sw.js is missing, or loads a
 * file by a name this reader cannot see (it would then serve a worker whose
 * companions 404 at run time).
 */
export function readWorkerFiles(dist: URL, workerName: string): WorkerFile[] {
  const worker = new URL('sw.js', dist);
  if (!existsSync(worker)) throw new OutboxViteError(`the ready-made worker is missing at ${worker.pathname}: is the outbox package built (npm run build)?`);
  const code = readFileSync(worker, 'utf8');
  const companions = [...code.matchAll(IMPORT_SCRIPTS)].map((match) => match[1]!);
  const calls = code.split('importScripts(').length - 1;
  if (calls !== companions.length) {
    throw new OutboxViteError(`${worker.pathname} calls importScripts ${calls} times but names only ${companions.length} files; outbox/vite cannot tell what to serve`);
  }
  const files: WorkerFile[] = [{ name: workerName, source: worker, isMap: false }];
  for (const name of new Set(companions)) {
    const source = new URL(name, dist);
    if (!existsSync(source)) throw new OutboxViteError(`${worker.pathname} loads ${name}, which the package lacks at ${source.pathname}`);
    files.push({ name, source, isMap: false });
  }
  // The maps keep their names: each script's `//# sourceMappingURL=` says them.
  for (const file of [...files]) {
    const map = new URL(`${file.source.pathname.split('/').at(-1)}.map`, dist);
    if (existsSync(map)) files.push({ name: `${map.pathname.split('/').at(-1)}`, source: map, isMap: true });
  }
  return files;
}

/** A script without its `//# sourceMappingURL=` line, for a build that ships no maps. */
export function withoutSourceMapUrl(code: string): string {
  return code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
}
