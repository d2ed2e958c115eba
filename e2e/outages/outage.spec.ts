// Server outages while the browser stays online: once the API is back the
// page does nothing, and the queue still drains.
//
// How the tests tell the health probe apart from the worker's own backoff
// timer: the worker's wait after n failures in a row is at least
// retryBase * 2^(n-1) / 2, while a probe (or sync, or online) only has to wait
// retryBase after the last failure. With a tiny retryBase the outage is left
// on until the backoff has grown to seconds; a delivery that comes sooner
// than the timer could have fired was the probe's doing.
import { test, expect, sendAll, list, events, expectStoredExactly, texts, workerFailures, minTimerDelayMs } from '../fixtures';

const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 600_000;
const GROWING = `api=/api/chat&retryBase=${RETRY_BASE_MS}&retryMax=${RETRY_MAX_MS}`;
/** Failures in a row before the API comes back: the timer then waits >= 3.2 s. */
const FAILURES = 7;

for (const outage of [
  { name: 'a dropped-connection outage', mode: 'unreachable' as const, outcome: 'dropped', reason: 'network' },
  { name: 'a 503 outage', mode: '503' as const, outcome: '503', reason: 'http-503' },
]) {
  test(`${outage.name} recovers through the health probe with no page action once the API is back`, async ({ page, server, openHarness, waitFor, waitForStored }) => {
    await openHarness(page, GROWING, { healthMs: 1_000, online: false });
    server.api.setMode(outage.mode);
    const sent = texts(`${outage.mode} outage`, 3);
    const results = await sendAll(page, sent);
    expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
    const ids = results.map((r) => r.id);
    expect(server.api.attempts[0], 'the first send was tried at once').toMatchObject({ key: ids[0], outcome: outage.outcome });
    expect(server.api.stored).toHaveLength(0);

    const pending = await list(page);
    expect(pending.map((m) => m.id)).toEqual(ids);
    expect(pending[0]!.reason, 'the last transient failure is kept on the message').toBe(outage.reason);

    // Only the head is ever tried while it keeps failing (order is kept).
    await waitFor(() => workerFailures(server, ids[0]!).length >= FAILURES, {
      timeoutMs: 20_000,
      message: `${FAILURES} failed attempts of the head message, so the worker's backoff has grown`,
    });
    expect(server.api.attempts.every((a) => a.key === ids[0]), 'nothing behind the head is tried during the outage').toBe(true);

    server.api.setMode('up');
    const failed = workerFailures(server, ids[0]!);
    const timerEarliestMs = failed.at(-1)!.receivedAtMs + minTimerDelayMs(failed.length, RETRY_BASE_MS, RETRY_MAX_MS);

    await waitForStored(3, { timeoutMs: 15_000, message: '3 messages stored after the outage' });
    expectStoredExactly(server, ids, sent);
    const firstStoredAtMs = server.api.attempts.find((a) => a.outcome === 'stored')!.receivedAtMs;
    expect(
      firstStoredAtMs,
      `delivered ${firstStoredAtMs - failed.at(-1)!.receivedAtMs} ms after the last failure: before the backoff timer could fire (>= ${timerEarliestMs - failed.at(-1)!.receivedAtMs} ms), so by the probe`,
    ).toBeLessThan(timerEarliestMs);

    await waitFor(async () => {
      const seen = await events(page);
      return ids.every((id) => seen.some((e) => e.id === id && e.status === 'delivered'));
    }, { message: 'a `delivered` event for every message' });
    await expect.poll(async () => (await list(page)).length, { message: 'list() empties once delivered' }).toBe(0);
  });
}

test('with no probe, the worker\'s own backoff timer recovers a 503 outage and obeys Retry-After', async ({ page, server, openHarness, waitForStored }) => {
  await openHarness(page, 'api=/api/chat&retryBase=200&retryMax=2000', { probe: false, online: false });
  server.api.setMode('503', { retryAfterSeconds: 1 });
  const sent = texts('backoff', 2);
  const results = await sendAll(page, sent);
  expect(results.map((r) => r.status)).toEqual(['queued', 'queued']);
  const ids = results.map((r) => r.id);

  server.api.setMode('up');
  await waitForStored(2, { timeoutMs: 15_000, message: '2 messages stored by the backoff timer' });
  expectStoredExactly(server, ids, sent);

  const head = server.api.attempts.filter((a) => a.key === ids[0]);
  expect(head.map((a) => a.outcome)).toEqual(['503', 'stored']);
  expect(head[1]!.receivedAtMs - head[0]!.receivedAtMs, 'no new attempt before the server\'s Retry-After: 1').toBeGreaterThanOrEqual(950);
});
