// Expiry behind a head that cannot be sent: during an outage the drain stops
// at its head (order is kept), and the messages behind it past the retention
// time are set aside as failed/`expired` by the sweep that reads the rest of
// the queue after the stop, in batches. They are never sent; the others are
// delivered in order once the server is back.
import { test, expect, send, list, events, expectStoredExactly } from '../fixtures';
import { rawLedger, rawQueue, setMode, writeRawEntries } from '../fault-helpers';

test('during an outage, a message behind the stuck head that outlived the retention time is set aside as expired; the rest is delivered in order', async ({ page, server, openHarness, waitFor, waitForStored }) => {
  await openHarness(page);
  const head = await send(page, 'the head');
  expect(head.status).toBe('delivered');
  await waitForStored(1);

  setMode(server, '503');
  const api = `${server.url}/api/chat`;
  const headers = { 'content-type': 'application/json' };
  const nowMs = Date.now();
  const dayAgoMs = nowMs - 25 * 60 * 60 * 1000; // the default retention is 24 h
  const entry = (id: string, createdAtMs: number, text: string) => ({
    queueName: 'outbox',
    timestamp: createdAtMs,
    metadata: { v: 1, id, createdAtMs },
    requestData: { url: api, method: 'POST', headers: { ...headers, 'idempotency-key': id } },
    bodyText: JSON.stringify({ text }),
  });
  // As a worker of a day ago would have left them: a live head, then 40 old
  // entries behind it (more than one batch of the sweep).
  const stuck = entry('stuck-head', nowMs, 'stuck at the head');
  const old = Array.from({ length: 40 }, (_, i) => entry(`expired-${String(i).padStart(2, '0')}`, dayAgoMs + i, `too old ${i}`));
  await writeRawEntries(page, [stuck, ...old]);
  // Its drain reaches the head first, which the server refuses with 503: the drain stops there.
  const fresh = await send(page, 'fresh, behind them');
  expect(fresh.status).toBe('queued');

  // The sweep after that stop finds the old ones behind the head.
  await waitFor(async () => (await rawLedger(page)).filter((r) => r.reason === 'expired').length === old.length, {
    message: 'every old entry recorded failed/expired',
  });
  expect((await rawQueue(page)).map((e) => e.metadata?.id), 'only the live ones left in the queue').toEqual([stuck.metadata.id, fresh.id]);
  const seen = await events(page);
  for (const entry of old) {
    expect(seen.some((e) => e.id === entry.metadata.id && e.status === 'failed' && e.reason === 'expired'), `${entry.metadata.id}: the page heard failed/expired`).toBe(true);
  }
  expect(server.api.attempts.every((a) => a.key === head.id || a.key === stuck.metadata.id), 'nothing behind the head was tried').toBe(true);

  setMode(server, 'up');
  await page.evaluate(() => (window as any).outbox.flush());
  await waitForStored(3);
  expectStoredExactly(server, [head.id, stuck.metadata.id, fresh.id], ['the head', 'stuck at the head', 'fresh, behind them']);
  const pending = await list(page);
  expect(pending.map((m) => [m.id, m.status, m.reason])).toEqual(old.map((e) => [e.metadata.id, 'failed', 'expired']));
});
