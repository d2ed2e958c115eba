// Offline: a message sent without a network is queued at once, survives a
// reload, and reaches the server exactly once, in order, when the network is back.
import { test, expect, send, sendAll, list, events, sawStatus, expectStoredExactly, texts, UUID_RE, waitForHarness } from './fixtures';

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

test('queued messages are still queued after a reload, and are delivered afterwards', async ({ page, server, openHarness, waitForStored }) => {
  await openHarness(page, 'api=/api/chat', { healthMs: 1_000 });
  // Offline would also stop the reload itself; keep the page served, cut the API.
  server.api.setMode('unreachable');
  const sent = texts('survives reload', 3);
  const results = await sendAll(page, sent);
  expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
  const ids = results.map((r) => r.id);

  await page.reload();
  await waitForHarness(page);

  const pending = await list(page);
  expect(pending.map((m) => m.id), 'list() after the reload, in send order').toEqual(ids);
  for (const m of pending) expect(['queued', 'sending']).toContain(m.status);
  expect(pending.map((m) => JSON.parse(m.bodyText!).text)).toEqual(sent);
  expect(server.api.stored).toHaveLength(0);

  // Back up: the reloaded page's probe (or the worker's timer) delivers them.
  server.api.setMode('up');
  await waitForStored(3);
  expectStoredExactly(server, ids, sent);
  await expect.poll(async () => (await list(page)).length, { message: 'list() empties once delivered' }).toBe(0);
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
