// Outages in every engine: the API drops connections or answers 503 while
// the browser stays up; messages wait, in order, and the health probe or the
// page's `online` event delivers them once the API is back, each once.
//
// (The one copy of the probe case: the Chromium-only spec e2e/outages/outage.spec.ts
// keeps the worker's own timer and Retry-After, with no probe.)
//
// Who delivered is read off the server's clock (the worker waits at least
// retryBase * 2^(n-1) / 2 after n failures, a trigger only retryBase):
// with a tiny retryBase the outage lasts until the worker's backoff has grown
// to seconds, so a delivery sooner than the worker's own timer could fire was
// the trigger's doing.
import { test, expect, sendAll, list, heardAll, type Session, type Tab } from '../engines/fixtures';
import { expectStoredExactly, texts, workerFailures, minTimerDelayMs } from '../fixtures';

const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 600_000;
const GROWING = `api=/api/chat&retryBase=${RETRY_BASE_MS}&retryMax=${RETRY_MAX_MS}`;
/**
 * Failures in a row before the API comes back. After 7 the timer waits >= 3.2 s:
 * room for the probe (its interval grows during an outage, within 4 s in its
 * first minute), and for an `online` given once the worker has recorded its
 * last failure (on a loaded machine that record can take a second or more).
 */
const FAILURES = { 'health probe': 7, 'online event': 7 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The page goes offline (the API is still down), and back online once it is
 * up: the browser fires `online`, or, without offline emulation, the page is
 * handed one by script.
 */
async function offlineThenOnline(session: Session, tab: Tab, replaced: (step: 'offline', how: string) => void) {
  if (session.network) {
    await session.network.setOffline(true);
    return () => session.network!.setOffline(false);
  }
  replaced('offline', 'the page\'s `online` event is dispatched by script, so the client\'s path from `online` to a drain is tested, not the browser\'s own event');
  return async () => {
    await tab.evaluate(() => {
      dispatchEvent(new Event('online'));
    });
  };
}

for (const outage of [
  { name: 'a dropped-connection outage', mode: 'unreachable' as const, outcome: 'dropped', reason: 'network' },
  { name: 'a 503 outage', mode: '503' as const, outcome: '503', reason: 'http-503' },
]) {
  for (const trigger of ['health probe', 'online event'] as const) {
    test(`${outage.name} is recovered by the ${trigger}, once and in order`, async ({ session, tab, server, harness, replaced, waitFor, waitForStored }) => {
      await harness(tab, GROWING, trigger === 'health probe' ? { healthMs: 1_000, online: false } : { probe: false });
      server.api.setMode(outage.mode);
      const sent = texts(`${outage.mode} ${trigger}`, 3);
      const results = await sendAll(tab, sent);
      expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
      const ids = results.map((r) => r.id);
      expect(server.api.attempts[0], 'the first send was tried at once').toMatchObject({ key: ids[0], outcome: outage.outcome });
      expect(server.api.stored).toHaveLength(0);

      const pending = await list(tab);
      expect(pending.map((m) => m.id)).toEqual(ids);
      expect(pending[0]!.reason, 'the last transient failure is kept on the message').toBe(outage.reason);

      await waitFor(() => workerFailures(server, ids[0]!).length >= FAILURES[trigger], {
        timeoutMs: 20_000,
        message: `${FAILURES[trigger]} failed attempts of the head message, so the worker's backoff has grown`,
      });
      expect(server.api.attempts.every((a) => a.key === ids[0]), 'nothing behind the head is tried during the outage').toBe(true);

      const online = trigger === 'online event' ? await offlineThenOnline(session, tab, replaced) : undefined;
      server.api.setMode('up');
      const failed = workerFailures(server, ids[0]!);
      const lastFailureAtMs = failed.at(-1)!.receivedAtMs;
      const timerEarliestMs = lastFailureAtMs + minTimerDelayMs(failed.length, RETRY_BASE_MS, RETRY_MAX_MS);
      if (online) {
        // An `online` within retryBase of the worker's last failure is taken as
        // no news: wait until the worker has recorded it (its record updated
        // after the server saw the try; not by counting attempts: Chromium may
        // re-send a POST whose reused connection dropped, one worker attempt
        // the server sees twice), then that long.
        await waitFor(async () => ((await list(tab))[0]?.updatedAtMs ?? 0) >= lastFailureAtMs, { timeoutMs: 5_000, message: 'the worker to record its last failure' });
        await sleep(2 * RETRY_BASE_MS);
        await online();
      }

      await waitForStored(3, { timeoutMs: 15_000, message: `3 messages stored after the outage (by the ${trigger})` });
      expectStoredExactly(server, ids, sent);
      const firstStoredAtMs = server.api.attempts.find((a) => a.outcome === 'stored')!.receivedAtMs;
      expect(
        firstStoredAtMs,
        `delivered ${firstStoredAtMs - lastFailureAtMs} ms after the last failure: before the backoff timer could fire (>= ${timerEarliestMs - lastFailureAtMs} ms), so by the ${trigger}`,
      ).toBeLessThan(timerEarliestMs);

      await waitFor(() => heardAll(tab, ids, 'delivered'), { message: 'a `delivered` event for every message' });
      await expect.poll(async () => (await list(tab)).length, { message: 'list() empties once delivered' }).toBe(0);
    });
  }
}
