// Permanent failures: a 4xx answer fails that one message (reason
// `http-<status>`, detail from the server) without holding up the others;
// retry() and discard() act on failed messages. Chromium only (the network
// cut); a queued message refused on replay, failing alone between two that are
// delivered, is checked in every engine by e2e/neutral/queue.spec.ts.
import { test, expect, send, list, events, call, expectStoredExactly, type SendResult } from '../fixtures';

test('a 422 sent online is passed through as `failed` with reason and detail; the next send is delivered', async ({ page, server, openHarness }) => {
  await openHarness(page);
  const bad = await send(page, { text: '' });
  expect(bad).toMatchObject({ status: 'failed', reason: 'http-422' });
  expect(bad.detail, 'detail = the server\'s JSON error').toBe('field "text" must not be empty');

  const good = await send(page, 'after the 422');
  expect(good.status).toBe('delivered');
  expectStoredExactly(server, [good.id], ['after the 422']);
  expect(server.api.attempts.filter((a) => a.key === bad.id).map((a) => a.outcome)).toEqual(['rejected']);
});

async function failedMessage(page: import('@playwright/test').Page, context: import('@playwright/test').BrowserContext, waitFor: any): Promise<SendResult> {
  // Queued first, so the failure surely comes from a replay and is kept in the outbox.
  await context.setOffline(true);
  const bad = await send(page, { text: '' });
  expect(bad.status).toBe('queued');
  await context.setOffline(false);
  await waitFor(async () => (await list(page)).some((m) => m.id === bad.id && m.status === 'failed'), {
    message: 'the empty message to be `failed` in list()',
  });
  return bad;
}

test('discard() removes a failed message; retry/discard of an unknown id throw UnknownMessageError', async ({ page, context, server, openHarness, waitFor }) => {
  await openHarness(page);
  const bad = await failedMessage(page, context, waitFor);

  expect(await call(page, 'discard', bad.id)).toMatchObject({ ok: true });
  expect((await list(page)).map((m) => m.id)).not.toContain(bad.id);

  expect(await call(page, 'discard', bad.id)).toMatchObject({ ok: false, name: 'UnknownMessageError' });
  expect(await call(page, 'retry', bad.id)).toMatchObject({ ok: false, name: 'UnknownMessageError' });
  expect(await call(page, 'retry', '00000000-0000-4000-8000-000000000000')).toMatchObject({ ok: false, name: 'UnknownMessageError' });
  expect(server.api.stored).toHaveLength(0);

  // A discarded message is gone for good: nothing later replays it.
  const next = await send(page, 'after the discard');
  expect(next.status).toBe('delivered');
  expectStoredExactly(server, [next.id], ['after the discard']);
  expect(server.api.attempts.filter((a) => a.key === bad.id)).toHaveLength(1);
});

test('retry() re-queues a failed message and it is attempted again', async ({ page, context, server, openHarness, waitFor }) => {
  await openHarness(page);
  const bad = await failedMessage(page, context, waitFor);
  expect(server.api.attempts.filter((a) => a.key === bad.id).map((a) => a.outcome)).toEqual(['rejected']);
  const eventsBefore = (await events(page)).length;

  expect(await call(page, 'retry', bad.id)).toMatchObject({ ok: true });
  await waitFor(() => server.api.attempts.filter((a) => a.key === bad.id).length === 2, {
    message: 'a second attempt of the retried message on the server',
  });
  expect(server.api.attempts.filter((a) => a.key === bad.id).map((a) => a.outcome)).toEqual(['rejected', 'rejected']);

  // Same body, same answer: it ends failed again, after being queued/sent again.
  await waitFor(async () => (await events(page)).slice(eventsBefore).some((e) => e.id === bad.id && e.status === 'failed'), {
    message: 'a new `failed` event after the retry',
  });
  const after = (await events(page)).slice(eventsBefore).filter((e) => e.id === bad.id);
  expect(after.some((e) => e.status === 'queued' || e.status === 'sending'), `events after retry: ${JSON.stringify(after)}`).toBe(true);
  const pending = await list(page);
  expect(pending).toHaveLength(1);
  expect(pending[0]).toMatchObject({ id: bad.id, status: 'failed', reason: 'http-422' });
  expect(pending[0]!.attempts).toBeGreaterThanOrEqual(2);
  expect(server.api.stored).toHaveLength(0);
});
