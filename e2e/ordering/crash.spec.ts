// The worker can be killed at any point (the browser stops idle workers, or
// kills busy ones): a stopped drain, or an answer lost after the server
// stored the message, must neither lose nor duplicate anything. Chromium only
// (CDP stops the worker); lost answers in a queued burst are checked in every
// engine by e2e/neutral/queue.spec.ts.
import type { IncomingMessage } from 'node:http';
import { test, expect, send, sendAll, list, events, expectStoredExactly, texts, type DemoServer } from '../fixtures';

/**
 * Holds the POSTs to /api/chat with these arrival numbers (1-based) before the
 * server reads their body, so before anything is stored: the test can then
 * stop the worker while the request is on the wire, and kill the connection.
 */
function holdArrivals(server: DemoServer, arrivals: number[]): IncomingMessage[] {
  const held: IncomingMessage[] = [];
  let count = 0;
  server.server.prependListener('request', (req: IncomingMessage) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/api/chat')) return;
    count += 1;
    if (!arrivals.includes(count)) return;
    // Paused before the server's own handler adds its 'data' listener, which
    // then does not resume it: the body is never read, nothing is stored.
    req.pause();
    held.push(req);
  });
  return held;
}

test('stopping the worker in the middle of a drain loses nothing and stores each message once, in order', async ({ page, context, server, openHarness, cdp, waitFor, waitForStored }) => {
  test.setTimeout(60_000);
  await openHarness(page, 'api=/api/chat', { healthMs: 1_000 });
  const devtools = await cdp(page);

  await context.setOffline(true);
  const sent = texts('crash drain', 30);
  const results = await sendAll(page, sent);
  expect(results.every((r) => r.status === 'queued'), JSON.stringify(results.filter((r) => r.status !== 'queued'))).toBe(true);
  const ids = results.map((r) => r.id);

  // Two kinds of stop: (1) while a POST is on the wire and not yet stored
  // (then the connection dies too: a worker that let go of the message
  // before the server had it loses it); (2) right after the server stored
  // one, before its (slow) answer arrives (a worker that forgets it was sent
  // would store it twice, or skip it).
  const held = holdArrivals(server, [4, 20]);
  server.api.delayMs = 100;
  await context.setOffline(false);

  const stopWhileHeld = async (n: number) => {
    await waitFor(() => held.length >= n, { timeoutMs: 20_000, message: `POST #${n} to be held on the wire` });
    const storedBefore = server.api.stored.length;
    await devtools.stopWorkers();
    held[n - 1]!.socket.destroy();
    expect(server.api.stored.length, 'the held message was not stored').toBe(storedBefore);
  };
  await stopWhileHeld(1);
  await waitForStored(11, { message: '11 stored before stopping the worker right after a store' });
  await devtools.stopWorkers();
  await stopWhileHeld(2);
  expect(server.api.stored.length, 'the drain was interrupted before it ended').toBeLessThan(30);

  await waitForStored(30, { timeoutMs: 35_000, message: 'all 30 stored after the worker was stopped 3 times' });
  expectStoredExactly(server, ids, sent);
  await waitFor(async () => (await list(page)).length === 0, { timeoutMs: 15_000, message: 'list() empty at the end' });
});

test('an answer lost after the server stored the message leaves one copy, and the message ends delivered', async ({ page, server, openHarness, waitFor }) => {
  await openHarness(page, 'api=/api/chat', { healthMs: 1_000 });
  // Two: Chromium itself resends a POST once when a reused keep-alive
  // connection closes without an answer, so one lost answer may never reach
  // the worker. The second is lost on a fresh connection, which is not resent.
  server.api.dropAnswers(2);

  const result = await send(page, 'answer lost');
  expect(result.status, 'a lost answer is a network error: the message is queued, not failed').toBe('queued');
  expect(server.api.stored).toHaveLength(1);

  await waitFor(async () => (await events(page)).some((e) => e.id === result.id && e.status === 'delivered'), {
    message: 'a `delivered` event after the lost answer',
  });
  expect(await list(page)).toEqual([]);
  expectStoredExactly(server, [result.id], ['answer lost']);
  const outcomes = server.api.attempts.filter((a) => a.key === result.id).map((a) => a.outcome);
  expect(outcomes.filter((o) => o === 'answer-dropped'), `outcomes: ${outcomes.join(', ')}`).toHaveLength(2);
  expect(outcomes.at(-1), 'the replay that delivered it was answered `duplicate`').toBe('duplicate');
  expect(outcomes.every((o) => o === 'answer-dropped' || o === 'duplicate'), `outcomes: ${outcomes.join(', ')}`).toBe(true);

  // And the outbox carries on normally.
  const next = await send(page, 'after the lost answer');
  expect(next.status).toBe('delivered');
  expectStoredExactly(server, [result.id, next.id], ['answer lost', 'after the lost answer']);
});
