// The Background Sync path, with every page-side trigger out of the way (no
// health probe, the page's `online` event swallowed).
//
// The worker's own backoff timer cannot be switched off, so it is outrun: with
// a tiny retryBase the outage is left on until the timer's next wait has grown
// to seconds (>= retryBase * 2^(n-1) / 2 after n failures), while a sync event
// may try again retryBase after the last failure. Nothing may arrive between
// the API coming back and the sync event; after the event everything arrives
// sooner than the timer could have fired.
import { test, expect, sendAll, list, expectStoredExactly, texts, call, workerFailures, minTimerDelayMs } from '../fixtures';

const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 600_000;
/** After 8 failures in a row the worker's timer waits >= 6.4 s. */
const FAILURES = 8;

test('a sync event dispatched through CDP delivers the queue, and nothing else does', async ({ page, server, openHarness, cdp, waitFor, waitForStored }) => {
  await openHarness(page, `api=/api/chat&retryBase=${RETRY_BASE_MS}&retryMax=${RETRY_MAX_MS}`, { probe: false, online: false });
  const devtools = await cdp(page);

  server.api.setMode('unreachable');
  const sent = texts('sync event', 3);
  const results = await sendAll(page, sent);
  expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
  const ids = results.map((r) => r.id);

  await waitFor(() => workerFailures(server, ids[0]!).length >= FAILURES, {
    timeoutMs: 25_000,
    message: `${FAILURES} failed attempts of the head message, so the worker's backoff has grown`,
  });
  server.api.setMode('up');
  const failed = workerFailures(server, ids[0]!);
  const lastFailureAtMs = failed.at(-1)!.receivedAtMs;
  const timerEarliestMs = lastFailureAtMs + minTimerDelayMs(failed.length, RETRY_BASE_MS, RETRY_MAX_MS);

  // Negative control: the API is back, but with no trigger nothing is tried.
  const attemptsBefore = server.api.attempts.length;
  await new Promise((r) => setTimeout(r, 2_000));
  expect(server.api.stored, 'nothing may be delivered before the sync event').toHaveLength(0);
  expect(server.api.attempts.length, 'no attempt may be made before the sync event').toBe(attemptsBefore);

  await devtools.fireSync();
  await waitForStored(3, { timeoutMs: 15_000, message: '3 messages stored after the sync event' });
  expectStoredExactly(server, ids, sent);
  const firstStoredAtMs = server.api.attempts.find((a) => a.outcome === 'stored')!.receivedAtMs;
  expect(
    firstStoredAtMs,
    `delivered ${firstStoredAtMs - lastFailureAtMs} ms after the last failure: before the backoff timer could fire (>= ${timerEarliestMs - lastFailureAtMs} ms), so by the sync event`,
  ).toBeLessThan(timerEarliestMs);
  await expect.poll(async () => (await list(page)).length, { message: 'list() empties once delivered' }).toBe(0);
});

test('Chromium fires the pending sync itself when the network comes back (page online handling off)', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page, 'api=/api/chat', { probe: false, online: false });
  await context.setOffline(true);
  const sent = texts('browser sync', 3);
  const results = await sendAll(page, sent);
  expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);

  await context.setOffline(false);
  await waitForStored(3, { message: '3 messages stored by the browser-fired sync event' });
  expectStoredExactly(server, results.map((r) => r.id), sent);
});

test('without Background Sync (sync=0) the page\'s online event replays the queue', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page, 'api=/api/chat&sync=0', { probe: false });
  await context.setOffline(true);
  const sent = texts('no sync api', 3);
  const results = await sendAll(page, sent);
  expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);

  await context.setOffline(false);
  await waitForStored(3, { message: '3 messages stored after the page went back online' });
  expectStoredExactly(server, results.map((r) => r.id), sent);
});

test('without Background Sync and without the online event, flush() is what replays', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page, 'api=/api/chat&sync=0', { probe: false, online: false });
  await context.setOffline(true);
  const sent = texts('manual flush', 2);
  const results = await sendAll(page, sent);
  await context.setOffline(false);

  await new Promise((r) => setTimeout(r, 2_000));
  expect(server.api.stored, 'no trigger is left, so nothing is delivered yet').toHaveLength(0);

  expect(await call(page, 'flush')).toMatchObject({ ok: true });
  await waitForStored(2);
  expectStoredExactly(server, results.map((r) => r.id), sent);
});
