// A new version of the worker while messages are queued and a drain is
// running: nothing lost, nothing doubled, order kept, and the new version
// reads the old one's queue and ledger (same database names and schema).
//
// A new version = a new script URL (`&v=2`); the ready-made worker calls
// skipWaiting() and clients.claim(). What Chromium 156 does, as observed here:
// - the new version's script runs (and its start drain begins) at install,
//   while the old version may still be draining: only the Web Lock keeps the
//   two drains apart;
// - activation waits while the old version is handling an event (a drain
//   started by the page's `online` flush holds one), so the update then takes
//   effect when that drain ends;
// - a drain the old version runs from its own timer holds no event: the new
//   version activates at once and Chromium stops the old one within a few
//   hundred ms, possibly mid-send. The new version carries on from the queue;
//   the message that was on the wire is sent again with the same
//   Idempotency-Key, and the server keeps one copy.
import { test, expect, send, sendAll, list, events, expectStoredExactly, texts, describeServer, type DemoServer } from '../fixtures';
import { watchInFlight, type InFlightWatch } from '../fault-helpers';
import type { Page } from '@playwright/test';

const N = 40;

async function update(page: Page, swUrl: string): Promise<void> {
  await page.evaluate((url) => navigator.serviceWorker.register(url).then(() => undefined), swUrl);
}

function controllerUrl(page: Page): Promise<string | undefined> {
  return page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
}

function expectOneDrainAtATime(watch: InFlightWatch, server: DemoServer): void {
  expect(watch.overlaps(), `POSTs the server handled at the same time\n${describeServer(server)}`).toEqual([]);
  expect(watch.max()).toBe(1);
}

test('an update installed while a page-started drain runs: the new version waits its turn, each message is sent once, in order', async ({ page, context, server, openHarness, waitFor, waitForStored }) => {
  // The drain must be the one the page asks for (a `flush`, held by its
  // message event), started once the worker is surely online: no probe, no
  // page `online` (it can reach the worker before the worker's own network is
  // back, and the transient failure would hand the drain to the timer, which
  // holds no event), no Background Sync.
  const query = 'api=/api/chat&sync=0';
  const v2 = `/sw.js?${query}&v=2`;
  await openHarness(page, query, { probe: false, online: false });
  const watch = watchInFlight(server);

  await context.setOffline(true);
  const sent = texts('update during drain', N);
  const results = await sendAll(page, sent);
  expect(results.every((r) => r.status === 'queued')).toBe(true);
  const ids = results.map((r) => r.id);

  // Slow answers, so the drain is surely running when the new version arrives.
  server.api.delayMs = 120;
  await context.setOffline(false);
  await page.evaluate(() => {
    (window as any).flushing = (window as any).outbox.flush();
  });
  await waitForStored(5, { message: 'the drain has started' });
  await update(page, v2);
  const storedAtUpdate = server.api.stored.length;
  expect(storedAtUpdate, 'the new version was installed while the drain was running').toBeLessThan(N);

  await waitFor(async () => (await controllerUrl(page))?.endsWith(v2), { timeoutMs: 20_000, message: 'the new version controls the page' });
  await waitForStored(N, { timeoutMs: 20_000 });
  expectStoredExactly(server, ids, sent);
  // The server deduplicates, so `stored` alone would hide a second drain: its attempts show it.
  expect(server.api.attempts.map((a) => a.outcome), 'one attempt per message').toEqual(Array(N).fill('stored'));
  expectOneDrainAtATime(watch, server);
  expect(await page.evaluate(() => (window as any).flushing), 'the flush that drove the drain').toMatchObject({ trigger: 'manual', delivered: N, stoppedBy: 'empty' });

  // The new version carries on with the same queue.
  server.api.delayMs = 0;
  const after = await send(page, 'after the update');
  expect(after.status).toBe('delivered');
  expect(server.api.stored.at(-1)!.key).toBe(after.id);
  await waitFor(async () => (await list(page)).length === 0, { message: 'list() empty' });
});

test('an update that takes over mid-drain reads the old version\'s queue and ledger and finishes the drain: no loss, no second copy, order kept', async ({ page, context, server, openHarness, waitFor, waitForStored }) => {
  // No probe and no page `online`: the old version drains from its own backoff
  // timer, which holds no event, so the new version activates at once.
  const query = 'api=/api/chat&retryBase=300&retryMax=300';
  const v2 = `/sw.js?${query}&v=2`;
  await openHarness(page, query, { probe: false, online: false });
  const watch = watchInFlight(server);

  // A message the server refuses: the old version keeps it in its ledger as failed.
  const refused = await send(page, { text: '' });
  expect(refused).toMatchObject({ status: 'failed', reason: 'http-422' });

  server.api.setMode('unreachable');
  const sent = texts('update takes over', N);
  const results = await sendAll(page, sent);
  expect(results.every((r) => r.status === 'queued')).toBe(true);
  const ids = results.map((r) => r.id);

  const v1Closed: { atStored?: number } = {};
  const v1Worker = context.serviceWorkers().find((w) => !w.url().includes('v=2'));
  v1Worker?.on('close', () => {
    v1Closed.atStored = server.api.stored.length;
  });

  server.api.delayMs = 120;
  server.api.setMode('up');
  await waitForStored(5, { message: 'the old version\'s timer drain has started' });
  await update(page, v2);
  await waitFor(async () => (await controllerUrl(page))?.endsWith(v2), { message: 'the new version controls the page' });
  const storedAtTakeover = server.api.stored.length;
  expect(storedAtTakeover, 'the new version took over while messages were still queued').toBeLessThan(N);

  // The new version (it answers list() now) sees the old one's queue, in order, and its failed message.
  const pending = await list(page);
  expect(pending[0], 'the failed message from the old version\'s ledger').toMatchObject({ id: refused.id, status: 'failed', reason: 'http-422' });
  const queuedIds = pending.slice(1).map((m) => m.id);
  expect(queuedIds, 'the old version\'s queue, in order, read by the new version').toEqual(ids.slice(ids.length - queuedIds.length));
  expect(queuedIds.length).toBeGreaterThan(0);

  await waitForStored(N, { timeoutMs: 25_000 });
  expectStoredExactly(server, ids, sent);
  await waitFor(async () => (await list(page)).length === 1, { message: 'only the refused message left in list()' });

  // A message on the wire when the old version was stopped may be sent again
  // (same key; the server answers `duplicate` and keeps one copy). Nothing else may repeat.
  const duplicates = server.api.attempts.filter((a) => a.outcome === 'duplicate');
  expect(duplicates.length, `at most the one message on the wire at the stop is sent twice\n${describeServer(server)}`).toBeLessThanOrEqual(1);
  expectOneDrainAtATime(watch, server);
  console.log(
    `update takes over: ${storedAtTakeover}/${N} stored when v2 took control; old version stopped by Chromium ${
      v1Closed.atStored === undefined ? 'not seen' : `with ${v1Closed.atStored} stored`
    }; ${duplicates.length} duplicate attempt(s)`,
  );
  expect((await events(page)).some((e) => e.id === ids.at(-1) && e.status === 'delivered'), 'the page heard the last delivery').toBe(true);
});
