// Two apps on one origin, each with its own worker registration (scopes /a/
// and /b/): each has its own queue, so neither lists, sends nor expires the
// other's messages (one would otherwise send the other's with its own
// credentials and settings). The root scope keeps the queue name `outbox`.
import { test, expect, list, send, harnessUrl, waitForHarness } from '../fixtures';
// @ts-ignore: plain ESM module without type declarations
import { startServer } from '../../demo/server.mjs';

test('a message queued by app /a/ is neither listed nor sent by app /b/; app /a/ delivers it once', async ({ context }) => {
  const server = await startServer({ port: 0, quiet: true, staticDirs: [{ prefix: '/a/', dir: 'e2e/pages' }, { prefix: '/b/', dir: 'e2e/pages' }] });
  try {
    // App a tries only when asked (no sync, no online, no probe, a 10-minute
    // backoff), so a delivery of its message before it asks is app b's doing.
    const a = await context.newPage();
    const quietA = '/sw.js?api=/api/chat&sync=0&retryBase=600000&retryMax=600000';
    await a.goto(harnessUrl(server.url, quietA, { probe: false, online: false }).replace('/test/', '/a/') + '&scope=/a/');
    await waitForHarness(a);
    const b = await context.newPage();
    await b.goto(harnessUrl(server.url, '/sw.js?api=/api/chat&retention=1', {}).replace('/test/', '/b/') + '&scope=/b/');
    await waitForHarness(b);

    await context.setOffline(true);
    const fromA = await send(a, 'from app a');
    expect(fromA.status).toBe('queued');
    expect((await list(a)).map((m) => m.id)).toEqual([fromA.id]);
    expect(await list(b), 'app b does not list app a\'s message').toEqual([]);
    await context.setOffline(false);

    // App b's worker drains: it must not send what app a queued.
    const report = await b.evaluate(() => (window as any).outbox.flush());
    expect(report.delivered).toBe(0);
    expect(server.api.stored.map((m: { key: string }) => m.key).includes(fromA.id)).toBe(false);

    await a.evaluate(() => (window as any).outbox.flush());
    await expect.poll(() => server.api.stored.map((m: { key: string }) => m.key)).toEqual([fromA.id]);
    expect(await list(a)).toEqual([]);
  } finally {
    await server.close();
  }
});
