// Offline: a message sent without a network is queued at once, and reaches the
// server exactly once, in order, when the network is back. (Surviving a reload:
// e2e/neutral/queue.spec.ts, in every engine.)
import { test, expect, send, sendAll, list, events, sawStatus, expectStoredExactly, texts, UUID_RE } from '../fixtures';

test('an offline send resolves `queued` at once and list() shows it', async ({ page, context, server, openHarness }) => {
  await openHarness(page);
  await context.setOffline(true);

  const started = Date.now();
  const result = await send(page, 'hello while offline');
  const tookMs = Date.now() - started;

  expect(result.status).toBe('queued');
  expect(result.id).toMatch(UUID_RE);
  expect(tookMs, 'send() must answer without waiting for a network timeout').toBeLessThan(2_000);

  const pending = await list(page);
  expect(pending).toHaveLength(1);
  expect(pending[0]).toMatchObject({ id: result.id, status: 'queued' });
  expect(pending[0]!.url).toMatch(/\/api\/chat$/);
  expect(JSON.parse(pending[0]!.bodyText!)).toEqual({ text: 'hello while offline' });
  expect(pending[0]!.createdAtMs).toBeGreaterThan(started - 60_000);

  await expect.poll(() => sawStatus(page, result.id, 'queued'), { message: 'a `queued` event for the message' }).toBe(true);
  expect(server.api.attempts, 'nothing can reach the server while offline').toHaveLength(0);
});

test('back online: ten offline messages reach the server exactly once, in send order', async ({ page, context, server, openHarness, waitForStored, waitFor }) => {
  await openHarness(page);
  await context.setOffline(true);
  const sent = texts('offline burst', 10);
  const results = await sendAll(page, sent);
  expect(results.every((r) => r.status === 'queued'), JSON.stringify(results)).toBe(true);
  const ids = results.map((r) => r.id);
  expect(new Set(ids).size).toBe(10);
  expect((await list(page)).map((m) => m.id)).toEqual(ids);

  await context.setOffline(false);
  await waitForStored(10);
  await waitFor(async () => (await list(page)).length === 0, { message: 'list() empty after delivery' });
  await waitFor(async () => {
    const seen = await events(page);
    return ids.every((id) => seen.some((e) => e.id === id && e.status === 'delivered'));
  }, { message: 'a `delivered` event for every message' });

  expectStoredExactly(server, ids, sent);
  // Replays may repeat a message the server already has (it answers `duplicate`),
  // but none may be stored twice or stored out of turn.
  const storedAttempts = server.api.attempts.filter((a) => a.outcome === 'stored').map((a) => a.key);
  expect(storedAttempts).toEqual(ids);
});
