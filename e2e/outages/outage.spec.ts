// Server outages while the browser stays online: once the API is back the
// page does nothing, and the queue still drains. Chromium only: with no probe,
// the worker's own timer, and Retry-After. Recovery by the health probe (and by
// the page's `online`) is checked in every engine by e2e/neutral/outage.spec.ts.
import { test, expect, sendAll, expectStoredExactly, texts } from '../fixtures';

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
