// Finding 8: a `beforeReplay` hook that throws (a token endpoint down for a
// moment) is a transient failure of that attempt, reason `hook` with the error
// in `detail`, retried with backoff; it used to mark the message `corrupt`
// for good. The worker is a site's own, built here from sw/index.ts.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { test, expect, list, events, expectStoredExactly } from '../fixtures';
import { bearer, storedWithAuth } from '../accounts/helpers';
import { openWith, sendWith, serveWorker } from '../promise-helpers';

const repo = fileURLToPath(new URL('../..', import.meta.url));

async function hookWorker(): Promise<string> {
  const result = await build({
    stdin: {
      resolveDir: repo,
      loader: 'ts',
      contents: `
        import { installOutbox } from './sw/index.ts';
        let failures = 2;
        installOutbox({
          apiPaths: ['/api/chat'],
          retryBaseMs: 300,
          retryMaxMs: 600,
          beforeReplay: async (request) => {
            if (failures > 0) {
              failures -= 1;
              throw new Error('token endpoint unavailable');
            }
            const headers = new Headers(request.headers);
            headers.set('Authorization', 'Bearer tok-hook');
            return new Request(request, { headers });
          },
        });
        self.addEventListener('install', () => self.skipWaiting());
        self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
      `,
    },
    bundle: true,
    format: 'iife',
    target: 'es2022',
    write: false,
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return result.outputFiles[0]!.text;
}

test('beforeReplay throwing is a transient `hook` failure, retried: the message is delivered with the hook\'s credentials, never corrupt', async ({ page, server, waitFor, waitForStored }) => {
  serveWorker(server, '/hook-sw.js', await hookWorker());
  server.api.validTokens.add('tok-hook');
  await openWith(page, server, '/hook-sw.js', { probe: '0' });
  server.api.setMode('unreachable');
  const result = await sendWith(page, 'replayed through a flaky hook');
  expect(result.status).toBe('queued');
  server.api.setMode('up');
  await page.evaluate(() => (window as any).outbox.flush());
  await waitForStored(1, { timeoutMs: 10_000 });
  expectStoredExactly(server, [result.id], ['replayed through a flaky hook']);
  expect(storedWithAuth(server)[0]!.authorization).toBe(bearer('tok-hook'));
  const seen = (await events(page)).filter((e) => e.id === result.id);
  const hooks = seen.filter((e) => e.status === 'queued' && e.reason === 'hook');
  expect(hooks.length, seen.map((e) => `${e.status}/${e.reason ?? ''}`).join(' ')).toBe(2);
  expect(hooks[0]!.detail).toContain('token endpoint unavailable');
  expect(seen.some((e) => e.status === 'failed'), 'never failed (corrupt)').toBe(false);
  await waitFor(async () => (await list(page)).length === 0, { message: 'list() empties' });
});
