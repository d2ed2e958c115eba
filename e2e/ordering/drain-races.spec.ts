// Races in the drain that the fault tests above ran into, each fixed in
// sw/engine.ts; these keep them fixed.
import { test, expect, send, sendAll, texts, expectStoredExactly } from '../fixtures';

test('messages sent one after another while the API is up each get the server\'s answer (delivered), never a 202 with nothing ahead', async ({ page, server, openHarness }) => {
  await openHarness(page);
  // Each send starts as soon as the previous one was answered, i.e. while the
  // drain that delivered it is still doing its bookkeeping.
  const sent = texts('back to back', 100);
  const results = await sendAll(page, sent);
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s !== 'delivered'), `statuses: ${statuses.map((s) => s[0]).join('')}`).toEqual([]);
  expectStoredExactly(server, results.map((r) => r.id), sent);
});

test('a backoff timer that fires while the drain that set it is still ending is not lost (tiny retryBase, no other trigger)', async ({ page, server, openHarness, waitForStored }) => {
  // No probe, no page `online`, no Background Sync: only the worker's own timer retries.
  await openHarness(page, 'api=/api/chat&sync=0&retryBase=5&retryMax=5', { probe: false, online: false });
  server.api.setMode('503');
  const result = await send(page, 'tiny backoff');
  expect(result.status).toBe('queued');
  // The retries must keep coming: more than 20 tries of 503 (a lost timer stops
  // them after the first few). Polled, not timed: a loaded machine runs the
  // 5 ms timer less often, but a working one never stops.
  await expect.poll(() => server.api.attempts.length, { message: 'the timer kept retrying through the outage', timeout: 15_000 }).toBeGreaterThan(20);
  server.api.setMode('up');
  await waitForStored(1, { timeoutMs: 5_000, message: 'delivered by the timer once the API is back' });
  expectStoredExactly(server, [result.id], ['tiny backoff']);
});
