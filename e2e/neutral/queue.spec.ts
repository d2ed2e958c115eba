// The queue in every engine: it survives a reload, delivers exactly once and
// in order even when answers are lost, and a 4xx fails one message alone.
// The outage is the API's (server modes), not the network's: offline
// emulation differs from engine to engine (e2e/engines/driver.ts).
import { test, expect, send, sendAll, list, events, flush, heardAll, waitForHarness } from '../engines/fixtures';
import { expectStoredExactly, texts } from '../fixtures';

test('queued messages are still listed after a reload, in order, and are delivered once afterwards', async ({ tab, server, harness, waitFor, waitForStored }) => {
  await harness(tab, 'api=/api/chat', { healthMs: 1_000 });
  server.api.setMode('unreachable');
  const sent = texts('survives reload', 3);
  const results = await sendAll(tab, sent);
  expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
  const ids = results.map((r) => r.id);

  await tab.reload();
  await waitForHarness(tab);
  const pending = await list(tab);
  expect(pending.map((m) => m.id), 'list() after the reload, in send order').toEqual(ids);
  for (const m of pending) expect(['queued', 'sending']).toContain(m.status);
  expect(pending.map((m) => JSON.parse(m.bodyText!).text)).toEqual(sent);
  expect(server.api.stored).toHaveLength(0);

  // Back up: the reloaded page's probe (or the worker's timer) delivers them.
  server.api.setMode('up');
  await waitForStored(3);
  expectStoredExactly(server, ids, sent);
  await waitFor(async () => (await list(tab)).length === 0, { message: 'list() empties once delivered' });
});

test('ten messages queued in an outage, two answers lost on the way back: each stored exactly once, in send order', async ({ tab, server, harness, waitFor, waitForStored }) => {
  await harness(tab, 'api=/api/chat&retryBase=100&retryMax=400', { probe: false, online: false });
  server.api.setMode('unreachable');
  const sent = texts('exactly once', 10);
  const results = await sendAll(tab, sent);
  expect(results.every((r) => r.status === 'queued'), JSON.stringify(results)).toBe(true);
  const ids = results.map((r) => r.id);
  expect(new Set(ids).size).toBe(10);
  expect((await list(tab)).map((m) => m.id)).toEqual(ids);

  // The server stores the first two it gets but their answers never arrive:
  // the worker cannot know, and sends them again under the same key.
  server.api.setMode('up');
  server.api.dropAnswers(2);
  await flush(tab);
  await waitForStored(10);
  await waitFor(async () => (await list(tab)).length === 0, { message: 'list() empty after delivery' });
  await waitFor(() => heardAll(tab, ids, 'delivered'), { message: 'a `delivered` event for every message' });

  expectStoredExactly(server, ids, sent);
  const outcomes = server.api.attempts.filter((a) => a.outcome !== 'dropped');
  const lost = outcomes.filter((a) => a.outcome === 'answer-dropped').map((a) => a.key);
  expect(lost, 'two answers were lost').toHaveLength(2);
  const duplicates = outcomes.filter((a) => a.outcome === 'duplicate').map((a) => a.key);
  expect(duplicates, 'each message whose answer was lost was sent again, under its key').toEqual(expect.arrayContaining(lost));
  // Order: no message reached the server before the one ahead of it was stored.
  const firstArrival = ids.map((id) => server.api.attempts.findIndex((a) => a.key === id && a.outcome !== 'dropped'));
  expect(firstArrival, 'first arrivals after the outage, in send order').toEqual([...firstArrival].sort((a, b) => a - b));
});

test('a 4xx fails that one message with its reason; the messages around it are delivered in order', async ({ tab, server, harness, waitFor, waitForStored }) => {
  await harness(tab, 'api=/api/chat', { probe: false, online: false });
  server.api.setMode('unreachable');
  const first = await send(tab, 'before the refused one');
  const refused = await send(tab, { text: '' });
  const last = await send(tab, 'after the refused one');
  expect([first.status, refused.status, last.status]).toEqual(['queued', 'queued', 'queued']);

  server.api.setMode('up');
  await flush(tab);
  await waitForStored(2);
  expectStoredExactly(server, [first.id, last.id], ['before the refused one', 'after the refused one']);

  const failed = await waitFor(async () => (await events(tab)).find((e) => e.id === refused.id && e.status === 'failed'), {
    message: 'a `failed` event for the refused message',
  });
  expect(failed).toMatchObject({ reason: 'http-422', detail: 'field "text" must not be empty' });
  await waitFor(async () => (await list(tab)).length === 1, { message: 'list() holds only the failed message' });
  const [pending] = await list(tab);
  expect(pending).toMatchObject({ id: refused.id, status: 'failed', reason: 'http-422' });
  expect(JSON.parse(pending!.bodyText!)).toEqual({ text: '' });
  expect(server.api.attempts.filter((a) => a.key === refused.id && a.outcome === 'rejected'), 'refused once, never retried by itself').toHaveLength(1);

  // The user discards it: gone for good.
  await tab.evaluate((id) => (window as any).outbox.discard(id), refused.id);
  expect(await list(tab)).toEqual([]);
});
