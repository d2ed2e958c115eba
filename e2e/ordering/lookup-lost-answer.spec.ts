// "Did it arrive?" asked of the server (worker option `lookup=`): a message
// whose answer was lost is not sent again when the server says it has it, so
// a server that does not deduplicate still stores it once. The demo server
// here runs its chat POST without the idempotency middleware
// (`deduplicate = false`) and answers GET /api/lookup from what it stored.
import { test, expect, send, events, list, expectStoredExactly } from '../fixtures';

const delivered = async (page: Parameters<typeof events>[0], id: string): Promise<boolean> => (await events(page)).some((e) => e.id === id && e.status === 'delivered');

test('an answer lost after the server stored the message: the worker asks, and delivers it without a second copy', async ({ page, server, openHarness, waitFor }) => {
  server.api.deduplicate = false;
  await openHarness(page, 'api=/api/chat&lookup=/api/lookup&retryBase=200', { healthMs: 1_000 });
  server.api.dropAnswers(1);
  const result = await send(page, 'answer lost');
  expect(result.status, 'a lost answer is a network error: queued').toBe('queued');
  expect(server.api.stored).toHaveLength(1);

  await waitFor(() => delivered(page, result.id), { message: 'delivered once the server said it has it' });
  expectStoredExactly(server, [result.id], ['answer lost']);
  expect(server.api.attempts.filter((a) => a.key === result.id).map((a) => a.outcome), 'one POST: it was never sent again').toEqual(['answer-dropped']);
  expect(server.api.lookups.filter((l) => l.key === result.id).map((l) => l.state)).toEqual(['completed']);
  expect(await list(page)).toEqual([]);

  // A message that never arrived (the chat dropped it unread) is asked about, then sent.
  server.api.setMode('chat-down');
  const second = await send(page, 'never arrived');
  expect(second.status).toBe('queued');
  server.api.setMode('up');
  await waitFor(() => delivered(page, second.id), { message: 'the unknown key sent again and delivered' });
  expectStoredExactly(server, [result.id, second.id], ['answer lost', 'never arrived']);
  expect(server.api.lookups.filter((l) => l.key === second.id).map((l) => l.state)).toContain('unknown');
});

test('an answer lost, then a 503 on the next try: the worker still asks before sending again, and the server keeps one copy', async ({ page, server, openHarness, waitFor }) => {
  server.api.deduplicate = false;
  await openHarness(page, 'api=/api/chat&lookup=/api/lookup&retryBase=1000&retryMax=2000', { probe: false });
  server.api.dropAnswers(1);
  const result = await send(page, 'answer lost, then 503');
  expect(result.status).toBe('queued');
  expect(server.api.stored).toHaveLength(1);
  // A proxy answers the next try (and the lookup) 503: the last answer is not the lost one any more.
  server.api.setMode('503');
  await waitFor(() => server.api.attempts.some((a) => a.key === result.id && a.outcome === '503'), { timeoutMs: 10_000, message: 'the next try answered 503' });
  server.api.setMode('up');
  await waitFor(() => delivered(page, result.id), { timeoutMs: 15_000, message: 'delivered once the server said it has it' });
  expectStoredExactly(server, [result.id], ['answer lost, then 503']);
  expect(server.api.attempts.filter((a) => a.key === result.id).map((a) => a.outcome), 'no POST after the 503').toEqual(['answer-dropped', '503']);
  expect(server.api.lookups.filter((l) => l.key === result.id).map((l) => l.state)).toContain('completed');
});

test('a worker stopped while its request was on the wire asks at its next start, and the server keeps one copy', async ({ page, server, openHarness, cdp, waitFor }) => {
  server.api.deduplicate = false;
  await openHarness(page, 'api=/api/chat&lookup=/api/lookup&retryBase=200', { healthMs: 1_000 });
  // The answer is held 1.5 s after the server stored the message; the worker is stopped meanwhile.
  server.api.delayMs = 1_500;
  const devtools = await cdp(page);
  const sending = send(page, 'stopped mid-request');
  await waitFor(() => server.api.stored.length === 1, { message: 'stored, its answer held back' });
  await devtools.stopWorkers();
  server.api.delayMs = 0;
  const result = await sending;
  await waitFor(async () => (await events(page)).some((e) => e.id === result.id && e.status === 'delivered') || (await list(page)).length === 0, {
    timeoutMs: 20_000,
    message: 'the restarted worker settles the message',
  });
  await waitFor(async () => (await list(page)).length === 0, { timeoutMs: 20_000, message: 'nothing left queued' });
  expectStoredExactly(server, [result.id], ['stopped mid-request']);
  expect(server.api.lookups.filter((l) => l.key === result.id).map((l) => l.state)).toEqual(['completed']);
});

test('without a lookup, the same server stores a lost answer\'s message twice (why the lookup exists)', async ({ page, server, openHarness, waitFor }) => {
  server.api.deduplicate = false;
  await openHarness(page, 'api=/api/chat&retryBase=200', { healthMs: 1_000 });
  server.api.dropAnswers(1);
  const result = await send(page, 'answer lost');
  await waitFor(() => delivered(page, result.id), { message: 'delivered by a re-send' });
  expect(server.api.stored.filter((m) => m.key === result.id)).toHaveLength(2);
  expect(server.api.lookups).toEqual([]);
});
