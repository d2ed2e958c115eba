// The demo chat API plus the demo page, in plain Node so tests and the demo
// need nothing but `node`. Outages are simulated here (modes, lost answers,
// slow answers) so the worker can be watched surviving them.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createApi } from './server/api.mjs';
import { sendText } from './server/http.mjs';
import { handleApi } from './server/routes.mjs';
import { serveStatic } from './server/static.mjs';

/** @typedef {import('./server/static.mjs').StaticDir} StaticDir */

/**
 * Starts the demo server. `staticDirs` entries are `{ prefix: '/test/', dir }`,
 * `dir` relative to the repo root (or absolute).
 * @param {{ port?: number, host?: string, quiet?: boolean, staticDirs?: readonly StaticDir[], validTokens?: readonly string[] }} [options]
 */
export async function startServer({ port = 0, host = '127.0.0.1', quiet = false, staticDirs = [], validTokens = [] } = {}) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'outbox-demo-'));
  const api = createApi({ validTokens, idempotencyDb: path.join(dataDir, 'idempotency.db') });
  const server = http.createServer(async (req, res) => {
    try {
      const { pathname } = new URL(req.url ?? '/', 'http://localhost');
      // Without deduplication, no connection is kept alive: Chromium silently
      // re-sends a POST once when a reused idle connection closes without an
      // answer, which such a server would store twice behind everyone's back.
      if (!api.deduplicate) res.setHeader('Connection', 'close');
      if ((await handleApi(api, req, res, pathname)) !== false) return;
      if (await serveStatic(req, res, pathname, staticDirs)) return;
      sendText(res, 404, `not found: ${pathname}\n`);
    } catch (err) {
      if (!quiet) console.error(err);
      if (!res.headersSent) sendText(res, 500, `server error: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    }
  });

  /** @type {import('node:net').AddressInfo} */
  const address = await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const bound = server.address();
      // Listening on a host and port always gives an AddressInfo (a string is a pipe's path).
      if (bound === null || typeof bound === 'string') reject(new Error(`the demo server is not listening on a port (${bound})`));
      else resolve(bound);
    });
  });
  const url = `http://${host}:${address.port}`;
  if (!quiet) console.log(`outbox demo: ${url}/`);

  return {
    url,
    api,
    server,
    async close() {
      /** @type {Promise<void>} */
      const closed = new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Browsers keep connections alive; without this close() waits on them.
        server.closeAllConnections();
      });
      await closed;
      await api.idempotencyStore.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The demo's two users and the tokens it starts with (the page shows a user switcher). */
export const DEMO_TOKENS = /** @type {const} */ (['demo-alice-1', 'demo-bob-1']);

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const demo = await startServer({ port: Number(process.env.PORT || 8080), validTokens: DEMO_TOKENS });
  // Ctrl-C: close the idempotency database and remove its temporary directory.
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => demo.close().finally(() => process.exit(0)));
}
