/**
 * `outbox/vite`: serves the ready-made worker in `vite` dev and emits it in
 * `vite build`, so a Vite site copies nothing by hand and gets a new worker
 * with `npm update`.
 *
 * @example
 * // vite.config.ts
 * import { defineConfig } from 'vite';
 * import { outboxWorker } from 'outbox/vite';
 *
 * export default defineConfig({ plugins: [outboxWorker()] });
 * // the page: createOutbox({ serviceWorker: '/sw.js?api=/api/chat' })
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin, ResolvedConfig } from 'vite';
import { OutboxViteError } from './errors.js';
import { readWorkerFiles, withoutSourceMapUrl, type WorkerFile } from './worker-files.js';

export { OutboxViteError };

export interface OutboxWorkerPluginOptions {
  /**
   * The URL path the page registers the worker at, without its query
   * (`createOutbox({ serviceWorker: '/sw.js?api=/api/chat' })` is `'/sw.js'`).
   * The files the worker loads (`sw-shell.js`, …) are served beside it. It
   * must lie under Vite's `base`; `vite build` writes it at the same place
   * in `outDir`. Serve it from the root so its scope covers every page.
   * @default '/sw.js'
   */
  path?: string;
}

const DEFAULT_PATH = '/sw.js';

/** Where this file is in the package: dist/vite.js, beside dist/sw.js. */
const PACKAGE_DIST = new URL('./', import.meta.url);

/**
 * The Vite plugin. In `vite` dev a middleware answers the worker's path and
 * its companions from the installed package (read on each request, with a
 * JavaScript MIME type and `Cache-Control: no-cache`); in `vite build` they
 * are emitted as assets. Source maps are served in dev, and emitted in build
 * only when `build.sourcemap` is on.
 *
 * Throws `OutboxViteError` when `path` is not a `.js` path under `base`, or
 * when `publicDir` holds a file of the same name (a copy made by hand, which
 * would shadow the package's and collide with the emitted one).
 */
export function outboxWorker(options: OutboxWorkerPluginOptions = {}): Plugin {
  const workerPath = options.path ?? DEFAULT_PATH;
  if (!workerPath.startsWith('/') || !workerPath.endsWith('.js') || workerPath.includes('?')) {
    throw new OutboxViteError(`option 'path' must be a URL path ending in .js, without a query (the page adds it), got ${JSON.stringify(workerPath)}`);
  }
  const folder = workerPath.slice(0, workerPath.lastIndexOf('/') + 1);
  const files = readWorkerFiles(PACKAGE_DIST, workerPath.slice(folder.length));
  if (new Set(files.map((file) => file.name)).size !== files.length) {
    throw new OutboxViteError(`option 'path' ${JSON.stringify(workerPath)} takes the name of a file the worker loads beside it`);
  }
  const byUrl = new Map(files.map((file) => [folder + file.name, file]));
  let config: ResolvedConfig | undefined;

  return {
    name: 'outbox:worker',

    configResolved(resolved) {
      config = resolved;
      // A relative or absolute-URL base (for a CDN) puts the HTML's assets elsewhere; the worker is the site's, at its path.
      const base = resolved.base.startsWith('/') ? resolved.base : '/';
      if (!workerPath.startsWith(base)) {
        throw new OutboxViteError(`option 'path' ${JSON.stringify(workerPath)} is outside Vite's base ${JSON.stringify(resolved.base)}`);
      }
      if (resolved.publicDir) {
        for (const url of byUrl.keys()) {
          const copy = path.join(resolved.publicDir, url.slice(base.length));
          if (existsSync(copy)) throw new OutboxViteError(`${copy} is a copy of the worker's ${url}: delete it, outbox/vite serves the package's`);
        }
      }
    },

    configureServer(server) {
      // Added directly, not returned: it must answer before Vite's SPA fallback serves index.html for the worker's URL.
      server.middlewares.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
        const file = req.method === 'GET' || req.method === 'HEAD' ? byUrl.get(new URL(req.url ?? '/', 'http://vite').pathname) : undefined;
        if (file === undefined) return next();
        const body = readFileSync(file.source);
        res.writeHead(200, {
          'Content-Type': file.isMap ? 'application/json; charset=utf-8' : 'text/javascript; charset=utf-8',
          'Content-Length': body.length,
          // The browser checks a worker for updates on each navigation; a cached copy would hide an `npm update`.
          'Cache-Control': 'no-cache',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      });
    },

    generateBundle() {
      // Only the browser's build: not a server (SSR) build, nor another environment's (Vite 6+).
      if (config === undefined || config.command !== 'build' || config.build.ssr) return;
      if (this.environment !== undefined && this.environment.config.consumer !== 'client') return;
      const maps = config.build.sourcemap === true || config.build.sourcemap === 'hidden';
      const base = config.base.startsWith('/') ? config.base : '/';
      for (const [url, file] of byUrl) {
        if (file.isMap && !maps) continue;
        const fileName = url.slice(base.length);
        this.emitFile({ type: 'asset', fileName, source: emitted(file, config.build.sourcemap) });
      }
    },
  };
}

function emitted(file: WorkerFile, sourcemap: ResolvedConfig['build']['sourcemap']): string | Uint8Array {
  if (file.isMap) return readFileSync(file.source);
  const code = readFileSync(file.source, 'utf8');
  // Without maps (or with hidden ones), no comment pointing at a file the site does not serve.
  return sourcemap === true ? code : withoutSourceMapUrl(code);
}
