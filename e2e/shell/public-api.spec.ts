// The small promises of the public API that a site builds on: `list()` hands
// JSON bodies back parsed (and keeps `bodyText`), and `isOutboxError` tells
// any of our errors without being given a name.
import { test, expect, list, send } from '../fixtures';

test('list() gives body parsed for JSON bodies, bodyText for every text body, and no body for text that only looks like JSON', async ({ page, server, openHarness }) => {
  await openHarness(page);
  server.api.setMode('unreachable');
  const json = await send(page, { text: 'parsed', tags: ['a', 'b'], n: 2 });
  const plain = await page.evaluate(() => (window as any).outbox.send('/api/chat', '42', { headers: { 'Content-Type': 'text/plain' } }));
  const broken = await page.evaluate(() => (window as any).outbox.send('/api/chat', '{"text": ', { headers: { 'Content-Type': 'application/json' } }));
  expect([json.status, plain.status, broken.status]).toEqual(['queued', 'queued', 'queued']);

  const [a, b, c] = await list(page);
  expect(a).toMatchObject({ id: json.id, body: { text: 'parsed', tags: ['a', 'b'], n: 2 }, bodyText: '{"text":"parsed","tags":["a","b"],"n":2}' });
  expect(b).toMatchObject({ id: plain.id, bodyText: '42' });
  expect(b).not.toHaveProperty('body');
  expect(c).toMatchObject({ id: broken.id, bodyText: '{"text": ' });
  expect(c).not.toHaveProperty('body');
  expect(server.api.stored).toHaveLength(0);
});

test('isOutboxError(error) without a name is true for each of our errors, rebuilt from the worker, and false for others', async ({ page, openHarness }) => {
  await openHarness(page);
  const verdicts = await page.evaluate(async () => {
    const { isOutboxError, NoServiceWorkerError, OutboxTimeoutError } = await import('/client.js');
    const outbox = (window as any).outbox;
    const fromWorker = await outbox.retry('no-such-message').catch((error: unknown) => error);
    return {
      fromWorker: [isOutboxError(fromWorker), isOutboxError(fromWorker, 'UnknownMessageError'), isOutboxError(fromWorker, 'OutboxTimeoutError'), (fromWorker as Error).name],
      local: [isOutboxError(new NoServiceWorkerError('x')), isOutboxError(new OutboxTimeoutError('list', 5))],
      others: [isOutboxError(new Error('x')), isOutboxError(new TypeError('x')), isOutboxError({ name: 'UnknownMessageError' }), isOutboxError(null), isOutboxError(Object.assign(new Error('x'), { name: 'toString' }))],
    };
  });
  expect(verdicts.fromWorker).toEqual([true, true, false, 'UnknownMessageError']);
  expect(verdicts.local).toEqual([true, true]);
  expect(verdicts.others).toEqual([false, false, false, false, false]);
});
