// Finding 9: a message that fails at the network level on every try while the
// API demonstrably answers (here: a redirect to another origin that CORS
// refuses, while the health probe succeeds) used to hold the whole queue until
// it expired. Now it is set aside as `failed` / `unreachable` after a few such
// tries (5 by default, 3 here) and the queue goes on; it stays retryable. A
// real outage (health failing too) still keeps order and waits.
import { test, expect, list, call, expectStoredExactly, sendAll } from '../fixtures';
import { sleep } from '../fault-helpers';
import { addRoute, otherOrigin } from '../promise-helpers';

test('a head that never gets through while the API answers is set aside after a few tries; the messages behind it are delivered; a real outage still waits', async ({ page, server, openHarness, waitFor, waitForStored }) => {
  const elsewhere = await otherOrigin((req, res) => {
    req.resume();
    res.writeHead(200).end('no CORS headers: the worker cannot read this');
  });
  try {
    addRoute(server, (req, res, url) => {
      if (url.pathname !== '/api/chat/moved' || req.method !== 'POST') return false;
      req.resume();
      res.writeHead(307, { Location: `${elsewhere.url}/api/chat` }).end();
      return true;
    });
    await openHarness(page, 'api=/api/chat&setAsideTries=3&retryBase=300&retryMax=600', { healthMs: 1_000 });
    const dead = await page.evaluate(() => (window as any).outbox.send('/api/chat/moved', { text: 'never gets through' }));
    expect(dead).toMatchObject({ status: 'queued', reason: 'network' });
    const behind = await sendAll(page, ['behind it #1', 'behind it #2']);
    expect(behind.map((r) => r.status)).toEqual(['queued', 'queued']);

    await waitForStored(2, { timeoutMs: 20_000, message: 'the messages behind the dead head delivered' });
    expectStoredExactly(server, behind.map((r) => r.id), ['behind it #1', 'behind it #2']);
    const setAside = await waitFor(async () => (await list(page)).find((m) => m.id === dead.id && m.status === 'failed'), { message: 'the dead head failed' });
    // Three tries that the API answered around (the probe had just succeeded); timer tries in between do not count.
    expect(setAside).toMatchObject({ reason: 'unreachable', detail: 'network error on 3 tries while the API answered' });
    // Still retryable.
    expect(await call(page, 'retry', dead.id)).toMatchObject({ ok: true, value: { status: 'queued' } });

    // A real outage: health fails too. Nothing is set aside, order is kept, and it waits.
    await call(page, 'discard', dead.id);
    server.api.setMode('unreachable');
    const waiting = await sendAll(page, ['during the outage #1', 'during the outage #2']);
    await sleep(4_000);
    const during = await list(page);
    expect(during.map((m) => [m.id, m.status]), 'queued, not set aside').toEqual(waiting.map((r) => [r.id, 'queued']));
    server.api.setMode('up');
    await waitForStored(4, { timeoutMs: 15_000 });
    expectStoredExactly(server, [...behind, ...waiting].map((r) => r.id), ['behind it #1', 'behind it #2', 'during the outage #1', 'during the outage #2']);
  } finally {
    await elsewhere.close();
  }
});
