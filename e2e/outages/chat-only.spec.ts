// The chat endpoint drops every connection while /api/health still answers
// (health and chat served by different processes). A health probe alone is
// no proof that the chat endpoint works: the messages stay queued, in order,
// none set aside as `unreachable`, and are delivered once, in order, when the
// chat endpoint is back. (A head that fails while its own endpoint answers is
// still set aside: e2e/ordering/dead-head.spec.ts.)
import { test, expect, sendAll, list, expectStoredExactly } from '../fixtures';
import { setMode, sleep } from '../fault-helpers';

test('chat down, health up: nothing is set aside while the probe succeeds; all delivered in order when chat is back', async ({ page, server, openHarness, waitForStored }) => {
  await openHarness(page, 'api=/api/chat&setAsideTries=2&setAsideMs=1000&retryBase=300&retryMax=600', { healthMs: 400 });
  setMode(server, 'chat-down');
  const sent = await sendAll(page, ['one', 'two', 'three']);
  expect(sent.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
  // Several probe-started tries, more than setAsideTries.
  await expect
    .poll(() => server.api.attempts.filter((a) => a.outcome === 'dropped').length, { timeout: 20_000, message: 'the worker kept trying' })
    .toBeGreaterThanOrEqual(5);
  await sleep(1_500);
  const during = await list(page);
  // The timer may have the head on the wire right now (`sending`): what matters is that none is `failed`.
  expect(during.map((m) => [m.id, m.status === 'sending' ? 'queued' : m.status]), 'still queued, in order, none set aside').toEqual(sent.map((r) => [r.id, 'queued']));

  setMode(server, 'up');
  await waitForStored(3, { timeoutMs: 15_000 });
  expectStoredExactly(server, sent.map((r) => r.id), ['one', 'two', 'three']);
});

test('a failed message the user retries is announced with requeued: true, and a refusal stays a refusal', async ({ page, server, openHarness, waitForStored }) => {
  // A message refused (422) is failed; retried, it is queued again at the tail.
  await openHarness(page);
  const [refused] = await sendAll(page, ['']);
  expect(refused!.status).toBe('failed');
  const [later] = await sendAll(page, ['later']);
  expect(later!.status).toBe('delivered');
  const update = await page.evaluate((id) => (window as any).outbox.retry(id), refused!.id);
  expect(update).toMatchObject({ status: 'queued', requeued: true });
  await sleep(500);
  expect(server.api.stored.map((m) => m.key)).toEqual([later!.id]);
});
