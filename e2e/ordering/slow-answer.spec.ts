// A slow server: an answer that takes longer than the worker's timeout is a
// transient `timeout`. The message stays queued and is sent again with the
// same Idempotency-Key; a server that stored the first attempt keeps one copy.
import { test, expect, send, list, events, expectStoredExactly } from '../fixtures';

test('an answer slower than the timeout is a transient timeout; the replay has the same key and the server keeps one copy', async ({ page, server, openHarness, waitFor }) => {
  await openHarness(page, 'api=/api/chat&timeout=500&retryBase=300&retryMax=600', { healthMs: 1_000 });
  server.api.delayMs = 1_500;

  const started = Date.now();
  const result = await send(page, 'slow answer');
  const tookMs = Date.now() - started;
  expect(result.status, 'a timeout is transient: queued, not failed, not delivered').toBe('queued');
  expect(tookMs, 'the page is answered at the timeout, not when the server finally answers').toBeLessThan(1_400);
  // The server stored it on arrival; only its answer was late.
  expect(server.api.stored.map((m) => m.key)).toEqual([result.id]);

  const pending = await list(page);
  expect(pending).toHaveLength(1);
  expect(pending[0]).toMatchObject({ id: result.id, reason: 'timeout' });
  expect(pending[0]!.attempts).toBeGreaterThanOrEqual(1);

  // Still slow: the replays time out too, and stay queued.
  await waitFor(() => server.api.attempts.filter((a) => a.key === result.id).length >= 2, { message: 'a second (timed out) attempt' });
  server.api.delayMs = 0;

  await waitFor(async () => (await events(page)).some((e) => e.id === result.id && e.status === 'delivered'), {
    timeoutMs: 15_000,
    message: 'the message delivered once the server is quick again',
  });
  expectStoredExactly(server, [result.id], ['slow answer']);
  const attempts = server.api.attempts.filter((a) => a.key === result.id);
  expect(attempts.length, 'every attempt carried the same Idempotency-Key').toBe(server.api.attempts.length);
  expect(attempts[0]!.outcome).toBe('stored');
  expect(attempts.slice(1).every((a) => a.outcome === 'duplicate'), `outcomes: ${attempts.map((a) => a.outcome).join(', ')}`).toBe(true);
  const timeouts = (await events(page)).filter((e) => e.id === result.id && e.reason === 'timeout');
  expect(timeouts.length, 'the page was told the reason: timeout').toBeGreaterThan(0);
  await waitFor(async () => (await list(page)).length === 0, { message: 'list() empty' });
});
