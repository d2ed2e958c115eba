// Recovery without Background Sync, in every engine. Firefox and WebKit have
// none; Chromium runs with sync=0 here so that all three are in the same
// world. Nothing wakes a worker after an outage then: what is left queued is
// delivered when a page of the site opens again. (The worker-stop case here
// is the one copy: the Chromium-only one in e2e/outages/no-sync.spec.ts merged
// into it.)
import { test, expect, sendAll, list } from '../engines/fixtures';
import { expectStoredExactly, texts, workerFailures, minTimerDelayMs } from '../fixtures';

const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 600_000;
/**
 * After 8 failures in a row the worker's own timer waits >= 6.4 s, while a
 * page's arrival may try again retryBase (0.1 s) after the last failure: a
 * wide window for a page to open, even in a loaded WebKit (3.2 s, after 7,
 * was too narrow there).
 */
const FAILURES = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('no Background Sync in this engine unless it is Chromium', async ({ tab, server, engine }) => {
  await tab.goto(`${server.url}/test/plain.html`);
  expect(await tab.evaluate(() => 'SyncManager' in window), 'SyncManager in the page').toBe(engine.backgroundSync);
});

test('messages left queued when the last tab closed are delivered when a page of the site opens again', async ({ session, tab, server, harness, waitFor, waitForStored }) => {
  // No probe, no `online`, and a timer that backs off far: only the page's arrival can deliver in time.
  const query = `api=/api/chat&sync=0&retryBase=${RETRY_BASE_MS}&retryMax=${RETRY_MAX_MS}`;
  await harness(tab, query, { probe: false, online: false });
  server.api.setMode('unreachable');
  const sent = texts('after the tabs closed', 3);
  const results = await sendAll(tab, sent);
  expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
  const ids = results.map((r) => r.id);

  // A tab of something else, opened now so that opening it is not on the clock below.
  const blank = await session.newTab();
  // The failures grow while the site's tab is open: WebKit stops a worker
  // whose last client closed within seconds (its retries stopped there).
  await waitFor(() => workerFailures(server, ids[0]!).length >= FAILURES, {
    timeoutMs: 30_000,
    message: `${FAILURES} failed attempts, so the worker's backoff has grown`,
  });

  // The user closes the site (the browser stays open), the API comes back, and the user comes back to the site.
  await tab.close();
  server.api.setMode('up');
  const failed = workerFailures(server, ids[0]!);
  const lastFailureAtMs = failed.at(-1)!.receivedAtMs;
  const timerEarliestMs = lastFailureAtMs + minTimerDelayMs(failed.length, RETRY_BASE_MS, RETRY_MAX_MS);
  // Sooner than retryBase after a failure, a page's arrival is taken as no news.
  await sleep(Math.max(0, lastFailureAtMs + 2 * RETRY_BASE_MS - Date.now()));
  await harness(blank, query, { probe: false, online: false });
  await waitForStored(3, { message: '3 stored after a page of the site opened again' });
  expectStoredExactly(server, ids, sent);
  const firstStoredAtMs = server.api.attempts.find((a) => a.outcome === 'stored')!.receivedAtMs;
  expect(firstStoredAtMs, `delivered ${firstStoredAtMs - lastFailureAtMs} ms after the last failure, before the worker's timer could (${timerEarliestMs - lastFailureAtMs} ms): by the page's arrival`).toBeLessThan(timerEarliestMs);
  await waitFor(async () => (await list(blank)).length === 0, { message: 'list() empty in the new page' });
});

test('messages left queued when the worker was stopped are delivered by its next start, from a page without the client', async ({ session, tab, server, harness, needs, waitForStored }) => {
  needs('stop-workers');
  await harness(tab, 'api=/api/chat&sync=0', { probe: false, online: false });
  server.api.setMode('unreachable');
  const sent = texts('after a worker stop', 3);
  const results = await sendAll(tab, sent);
  expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
  await session.stopWorkers!();
  server.api.setMode('up');
  const attemptsBefore = server.api.attempts.length;
  await sleep(1_500);
  expect(server.api.attempts.length, 'with the worker stopped and no Background Sync nothing is tried').toBe(attemptsBefore);

  const plain = await session.newTab();
  await plain.goto(`${server.url}/test/plain.html`);
  await waitForStored(3, { message: '3 stored after a plain page started the worker' });
  expectStoredExactly(server, results.map((r) => r.id), sent);
});
