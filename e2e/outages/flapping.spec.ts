// A flapping server: the API switches between up, unreachable (connections
// dropped) and 503 every few hundred milliseconds while 200 queued messages
// drain. Each must arrive exactly once and in order.
import { test, expect, sendAll, list, expectStoredExactly, texts, describeServer } from '../fixtures';
import { flap, watchInFlight } from '../fault-helpers';

const N = 200;

for (const variant of [
  { name: '', query: '' },
  { name: ' (without Background Sync)', query: '&sync=0' },
]) {
  test(`200 messages drain through a server flapping between up, unreachable and 503: all arrive once, in order${variant.name}`, async ({ page, context, server, openHarness, waitFor, waitForStored }) => {
    await openHarness(page, `api=/api/chat&retryBase=100&retryMax=1000${variant.query}`, { healthMs: 1_000 });
    const watch = watchInFlight(server);

    await context.setOffline(true);
    const sent = texts('flapping', N);
    const results = await sendAll(page, sent);
    expect(results.every((r) => r.status === 'queued'), JSON.stringify(results.filter((r) => r.status !== 'queued'))).toBe(true);
    const ids = results.map((r) => r.id);

    const flapping = flap(server, [
      { mode: 'up', ms: 300 },
      { mode: 'unreachable', ms: 250 },
      { mode: 'up', ms: 300 },
      { mode: '503', ms: 250 },
    ]);
    let switches = 0;
    try {
      await context.setOffline(false);
      // Keep flapping until most are through, so the failures land in the middle of the drain.
      await waitForStored(Math.floor(N * 0.8), { timeoutMs: 40_000, message: `${Math.floor(N * 0.8)} stored while the server flaps` });
    } finally {
      switches = flapping.stop();
    }
    await waitForStored(N, { timeoutMs: 15_000 });
    expectStoredExactly(server, ids, sent);

    const outcomes = server.api.attempts.map((a) => a.outcome);
    const failures = outcomes.filter((o) => o === 'dropped' || o === '503').length;
    console.log(`flapping: ${switches} mode switches, ${server.api.attempts.length} attempts, ${failures} failed (dropped or 503), ${outcomes.filter((o) => o === 'duplicate').length} duplicate`);
    expect(outcomes.filter((o) => o === 'dropped').length, 'some attempts met a dropped connection').toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === '503').length, 'some attempts met a 503').toBeGreaterThan(0);
    // Each key's first `stored` is its only one; everything else about it is a failure before, never a second copy.
    const storedKeys = server.api.attempts.filter((a) => a.outcome === 'stored').map((a) => a.key);
    expect(storedKeys, 'stored once each, in send order').toEqual(ids);
    expect(watch.overlaps(), `two POSTs handled at once\n${describeServer(server)}`).toEqual([]);
    await waitFor(async () => (await list(page)).length === 0, { message: 'list() empty' });
  });
}
