// Finding 5: one message id, one entry. A page that re-sends with its own
// Idempotency-Key (a double click) used to get a second entry: list() showed
// one message, discard removed one entry, and the other was sent. Now the
// second joins the first; discard, retry and purge act on every entry of an
// id; and a store an older version left with two entries of one id is mended
// on read (sent once, discarded whole).
import { test, expect, list, call, describeServer, type Page } from '../fixtures';
import { writeRawEntries } from '../fault-helpers';
import { sendWith } from '../promise-helpers';

const entriesOf = async (page: Page, id: string) =>
  ((await page.evaluate(() => (window as any).queueRecords())) as any[]).filter((r) => r.metadata?.id === id || r.requestData?.headers?.['idempotency-key'] === id);

test('a second send with an id already queued joins it; discard then leaves nothing to send', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page);
  await context.setOffline(true);
  const init = { headers: { 'Idempotency-Key': 'double-click' } };
  const first = await sendWith(page, 'pressed twice', init);
  const second = await sendWith(page, 'pressed twice', init);
  expect([first.status, second.status]).toEqual(['queued', 'queued']);
  expect((await list(page)).map((m) => m.id)).toEqual(['double-click']);
  expect(await entriesOf(page, 'double-click'), 'one entry in the store').toHaveLength(1);

  expect(await call(page, 'discard', 'double-click')).toMatchObject({ ok: true });
  expect(await entriesOf(page, 'double-click')).toHaveLength(0);
  await context.setOffline(false);
  const after = await sendWith(page, 'after the discard');
  expect(after.status).toBe('delivered');
  await waitForStored(1);
  expect(server.api.attempts.map((a) => a.key), describeServer(server)).toEqual([after.id]);
  expect(await list(page)).toEqual([]);
});

test('two entries of one id left by an older version: sent once, or discarded whole', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page);
  await context.setOffline(true);
  const toSend = await sendWith(page, 'stored twice, sent once', { headers: { 'Idempotency-Key': 'twice-sent' } });
  const toDiscard = await sendWith(page, 'stored twice, discarded', { headers: { 'Idempotency-Key': 'twice-discarded' } });
  expect([toSend.status, toDiscard.status]).toEqual(['queued', 'queued']);
  // What another worker version writes when it stores the same id again.
  const copy = (id: string, text: string) => ({
    queueName: 'outbox',
    timestamp: Date.now(),
    metadata: { v: 1, id, createdAtMs: Date.now() },
    requestData: { url: `${server.url}/api/chat`, method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': id }, mode: 'cors', credentials: 'same-origin' },
    bodyText: JSON.stringify({ text }),
  });
  await writeRawEntries(page, [copy('twice-sent', 'stored twice, sent once'), copy('twice-discarded', 'stored twice, discarded')]);
  expect(await entriesOf(page, 'twice-discarded')).toHaveLength(2);
  expect((await list(page)).map((m) => m.id), 'one message per id').toEqual(['twice-sent', 'twice-discarded']);

  expect(await call(page, 'discard', 'twice-discarded')).toMatchObject({ ok: true });
  expect(await entriesOf(page, 'twice-discarded'), 'every entry of the id is gone').toHaveLength(0);
  await context.setOffline(false);
  await page.evaluate(() => (window as any).outbox.flush());
  await waitForStored(1);
  await page.waitForFunction(async () => (await (window as any).outbox.list()).length === 0);
  expect(server.api.attempts.map((a) => a.key), `one POST for the id stored twice, none for the discarded one\n${describeServer(server)}`).toEqual(['twice-sent']);
  expect(await entriesOf(page, 'twice-sent')).toHaveLength(0);
});
