// Hostile messages to the worker: messages that are not ours are ignored,
// malformed commands are answered with OutboxProtocolError, retry/discard of
// unknown ids with UnknownMessageError, and a flood of flush requests while
// the API is down does not multiply attempts. Through all of it the queue is
// untouched and the worker keeps working.
import { test, expect, send, list, call, expectStoredExactly } from '../fixtures';
import { postRaw, rawQueue } from '../fault-helpers';

const P = 'outbox/1';

test('messages that are not the outbox protocol get no answer; malformed commands get OutboxProtocolError; the queue is untouched and the worker keeps working', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page, 'api=/api/chat', { probe: false });
  await context.setOffline(true);
  const queued = await send(page, 'queued before the hostile messages');
  expect(queued.status).toBe('queued');
  const queueBefore = await rawQueue(page);
  const listBefore = await list(page);

  const foreign = ['hello', 42, null, [1, 2], {}, { type: 'flush' }, { protocol: 'outbox/0', command: { type: 'flush', trigger: 'manual' } }, { protocol: 'workbox', command: { type: 'discard', id: queued.id } }];
  const foreignReplies = await postRaw(page, foreign);
  expect(foreignReplies.marker.answered, 'the worker still answers a good command').toBe(true);
  expect(foreignReplies.replies.map((r) => r.answered), 'not ours: ignored, no answer').toEqual(foreign.map(() => false));

  const malformed: unknown[] = [
    { protocol: P },
    { protocol: P, command: null },
    { protocol: P, command: 'flush' },
    { protocol: P, command: {} },
    { protocol: P, command: { type: 'bogus' } },
    { protocol: P, command: { type: '__proto__' } },
    { protocol: P, command: { type: 'constructor' } },
    { protocol: P, command: { type: 'retry' } },
    { protocol: P, command: { type: 'retry', id: 42 } },
    { protocol: P, command: { type: 'discard', id: '' } },
    { protocol: P, command: { type: 'discard', id: 'x'.repeat(201) } },
    { protocol: P, command: { type: 'discard', id: { toString: 'nope' } } },
    { protocol: P, command: { type: 'flush' } },
    { protocol: P, command: { type: 'flush', trigger: 'sync' } },
    { protocol: P, command: { type: 'flush', trigger: 'start' } },
  ];
  const { replies, marker } = await postRaw(page, malformed);
  expect(marker.answered).toBe(true);
  for (const [i, r] of replies.entries()) {
    expect(r, `answer to ${JSON.stringify(malformed[i])}`).toMatchObject({ answered: true, reply: { ok: false, error: { name: 'OutboxProtocolError' } } });
  }
  expect(replies.every((r) => (r.reply?.error?.message ?? '').length > 0), 'each error says what is wrong').toBe(true);

  // The same without a reply port: nothing to answer on, and no harm done.
  const portless = await postRaw(page, [...foreign, ...malformed], { withPort: false });
  expect(portless.marker.answered).toBe(true);

  // Unknown ids through the client: UnknownMessageError.
  for (const id of ['00000000-0000-4000-8000-000000000000', 'no-such-message', 'workbox-entry-999999']) {
    expect(await call(page, 'retry', id)).toMatchObject({ ok: false, name: 'UnknownMessageError' });
    expect(await call(page, 'discard', id)).toMatchObject({ ok: false, name: 'UnknownMessageError' });
  }

  // The queue is untouched.
  expect(await rawQueue(page)).toEqual(queueBefore);
  expect(await list(page)).toEqual(listBefore);
  expect(server.api.attempts).toHaveLength(0);

  // The worker keeps working: the queued message goes out when the network is back, and a new one at once.
  await context.setOffline(false);
  await waitForStored(1);
  const later = await send(page, 'after the hostile messages');
  expect(later.status).toBe('delivered');
  expectStoredExactly(server, [queued.id, later.id], ['queued before the hostile messages', 'after the hostile messages']);
});

test('a flood of 500 flush requests while the API is down is answered, and does not multiply POST attempts', async ({ page, server, openHarness, waitFor, waitForStored }) => {
  // A long backoff, so the worker's own timer does not fire during the flood.
  await openHarness(page, 'api=/api/chat&retryBase=8000&retryMax=8000', { probe: false });
  server.api.setMode('unreachable');
  const queued = await send(page, 'queued before the flood');
  expect(queued.status).toBe('queued');
  const attemptsBefore = server.api.attempts.length;
  expect(attemptsBefore).toBeGreaterThanOrEqual(1);
  const listBefore = await list(page);

  const started = Date.now();
  const answers = await page.evaluate(async () => {
    const outbox = (window as any).outbox;
    const settled = await Promise.allSettled(Array.from({ length: 500 }, () => outbox.flush()));
    return settled.map((s) => (s.status === 'fulfilled' ? { ok: true, stoppedBy: s.value.stoppedBy as string } : { ok: false, name: String((s.reason as Error)?.name) }));
  });
  const tookMs = Date.now() - started;
  console.log(`500 flushes answered in ${tookMs} ms; attempts during the flood: ${server.api.attempts.length - attemptsBefore}`);
  expect(answers.filter((a) => !a.ok), 'every flush is answered').toEqual([]);
  expect(new Set(answers.map((a) => a.stoppedBy))).toEqual(new Set(['backoff']));
  expect(tookMs, 'the flood is over before the backoff timer could fire').toBeLessThan(4_000);
  expect(server.api.attempts.length - attemptsBefore, 'no extra POST for the flood').toBe(0);
  const listAfter = await list(page);
  expect(listAfter.map((m) => [m.id, m.status])).toEqual(listBefore.map((m) => [m.id, m.status]));

  // Back up: the queued message and a new one are delivered, once each, in order.
  server.api.setMode('up');
  await waitFor(async () => (await call(page, 'flush')).ok && server.api.stored.length >= 1, { timeoutMs: 15_000, intervalMs: 500, message: 'the queued message delivered' });
  const later = await send(page, 'after the flood');
  expect(later.status).toBe('delivered');
  await waitForStored(2);
  expectStoredExactly(server, [queued.id, later.id], ['queued before the flood', 'after the flood']);
});
