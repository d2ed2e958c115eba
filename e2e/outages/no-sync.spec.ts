// Chromium only (Background Sync's registrations, CDP). Without Background
// Sync (sync=0, as in Firefox and Safari, or Workbox's forceSyncFallback): the
// page's `online` event (e2e/outages/background-sync.spec.ts), the health probe
// (here) and the worker's start still deliver everything. The worker's start
// (after a stop, and a page's arrival after the last tab closed) is checked in
// every engine, Chromium too, by e2e/neutral/nosync.spec.ts; after a browser
// restart by e2e/neutral/restart.spec.ts.
import { test, expect, sendAll, send, list, expectStoredExactly, texts, failedAttempts, minTimerDelayMs } from '../fixtures';

const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 600_000;
/** After 7 failures in a row the worker's own timer waits >= 3.2 s. */
const FAILURES = 7;

function syncTags(page: import('@playwright/test').Page): Promise<string[]> {
  return page.evaluate(async () => {
    const registration = (await navigator.serviceWorker.ready) as ServiceWorkerRegistration & { sync?: { getTags(): Promise<string[]> } };
    return registration.sync ? registration.sync.getTags() : [];
  });
}

test('sync=0 registers no sync while messages are queued (and the default does)', async ({ page, context, server, openHarness, waitFor }) => {
  await openHarness(page, 'api=/api/chat&sync=0', { probe: false });
  await context.setOffline(true);
  expect((await send(page, 'no sync here')).status).toBe('queued');
  expect(await syncTags(page), 'no sync registration with sync=0').toEqual([]);
  await context.setOffline(false);
  await waitFor(() => server.api.stored.length === 1, { message: 'delivered on the page\'s online event' });

  // Control: the same with Background Sync on registers the queue's tag.
  const other = await context.newPage();
  await other.goto(`${server.url}/test/plain.html`);
  await other.evaluate(async () => {
    for (const registration of await navigator.serviceWorker.getRegistrations()) await registration.unregister();
  });
  await other.close();
  await openHarness(page, 'api=/api/chat', { probe: false });
  await context.setOffline(true);
  expect((await send(page, 'sync here')).status).toBe('queued');
  await waitFor(async () => (await syncTags(page)).includes('workbox-background-sync:outbox'), { message: 'the sync tag registered' });
  await context.setOffline(false);
});

test('sync=0: a server outage is recovered by the health probe, before the worker\'s own timer could', async ({ page, server, openHarness, waitFor, waitForStored }) => {
  await openHarness(page, `api=/api/chat&sync=0&retryBase=${RETRY_BASE_MS}&retryMax=${RETRY_MAX_MS}`, { healthMs: 1_000, online: false });
  server.api.setMode('unreachable');
  const sent = texts('nosync probe', 3);
  const results = await sendAll(page, sent);
  expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
  const ids = results.map((r) => r.id);

  await waitFor(() => failedAttempts(server, ids[0]!).length >= FAILURES, {
    timeoutMs: 20_000,
    message: `${FAILURES} failed attempts, so the worker's backoff has grown`,
  });
  server.api.setMode('up');
  const failed = failedAttempts(server, ids[0]!);
  const lastFailureAtMs = failed.at(-1)!.receivedAtMs;
  const timerEarliestMs = lastFailureAtMs + minTimerDelayMs(failed.length, RETRY_BASE_MS, RETRY_MAX_MS);

  await waitForStored(3, { timeoutMs: 15_000 });
  expectStoredExactly(server, ids, sent);
  const firstStoredAtMs = server.api.attempts.find((a) => a.outcome === 'stored')!.receivedAtMs;
  expect(
    firstStoredAtMs,
    `delivered ${firstStoredAtMs - lastFailureAtMs} ms after the last failure, before the timer could fire (>= ${timerEarliestMs - lastFailureAtMs} ms): by the probe`,
  ).toBeLessThan(timerEarliestMs);
  await waitFor(async () => (await list(page)).length === 0, { message: 'list() empty' });
});
