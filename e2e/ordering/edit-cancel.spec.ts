// Edit and cancel a message not yet delivered: changed in place while the
// server cannot have it ('done', every tab told), left alone once it may
// ('in-flight': on the wire, or sent with no answer back), 'too-late' once
// delivered. Asserted on what the server stored.
import type { Page } from '@playwright/test';
import type { ChangeOutcome } from '../../client/index';
import { test, expect, send, sendAll, list, events, sawStatus, expectStoredExactly } from '../fixtures';

function edit(page: Page, id: string, text: string): Promise<ChangeOutcome> {
  return page.evaluate(([i, t]) => (window as any).outbox.edit(i, { text: t }), [id, text] as const);
}

function cancel(page: Page, id: string): Promise<ChangeOutcome> {
  return page.evaluate((i) => (window as any).outbox.cancel(i), id);
}

test('offline: an edit changes the queued body in its place (the last edit wins), a cancel removes it; every tab hears it; the server stores the edited text once, in order', async ({ context, server, openHarness, waitForStored, waitFor }) => {
  const tab = await context.newPage();
  const other = await context.newPage();
  await openHarness(tab);
  await openHarness(other);
  await context.setOffline(true);
  const [a, b, c] = await sendAll(tab, ['first', 'secnod', 'third']);
  expect([a!.status, b!.status, c!.status]).toEqual(['queued', 'queued', 'queued']);

  expect(await edit(tab, b!.id, 'second?')).toBe('done');
  expect(await edit(tab, b!.id, 'second')).toBe('done');
  expect(await cancel(tab, c!.id)).toBe('done');
  expect((await list(other)).map((m) => [m.id, m.bodyText]), 'the other tab lists the new body, and not the cancelled one').toEqual([
    [a!.id, JSON.stringify({ text: 'first' })],
    [b!.id, JSON.stringify({ text: 'second' })],
  ]);
  await waitFor(async () => (await events(other)).some((e) => e.id === b!.id && 'edited' in e && e.edited === true), { message: 'the other tab hears the edit' });
  await waitFor(async () => (await events(other)).some((e) => e.id === c!.id && e.status === 'discarded'), { message: 'the other tab hears the cancel' });
  expect(await cancel(tab, c!.id), 'a cancelled message is not held any more').toBe('too-late');

  await context.setOffline(false);
  await waitForStored(2);
  expectStoredExactly(server, [a!.id, b!.id], ['first', 'second']);
  expect(server.api.attempts.map((x) => x.key), 'the cancelled one never went out').not.toContain(c!.id);
  expect(await edit(tab, a!.id, 'after delivery')).toBe('too-late');
  expect(await cancel(tab, b!.id)).toBe('too-late');
});

test('on the wire: edit and cancel are in-flight and change nothing; the original is stored once', async ({ page, server, openHarness, waitFor, waitForStored }) => {
  await openHarness(page, 'api=/api/chat', { probe: false });
  server.api.delayMs = 2_000;
  const sent = page.evaluate(() => (window as any).outbox.send('/api/chat', { text: 'slow original' }));
  await waitFor(() => server.api.attempts.length === 1, { message: 'the message reached the server' });
  const id = server.api.attempts[0]!.key;
  expect(await edit(page, id, 'too late to change')).toBe('in-flight');
  expect(await cancel(page, id)).toBe('in-flight');
  expect((await sent).status).toBe('delivered');
  await waitForStored(1);
  expectStoredExactly(server, [id], ['slow original']);
});

test('on the wire, the site\'s own follow-up: an edit sent `after` the message reaches the server once the message is stored, naming the server\'s id for it', async ({ page, server, openHarness, waitFor }) => {
  await openHarness(page, 'api=/api/chat', { probe: false });
  server.api.delayMs = 1_500;
  const sent = page.evaluate(() => (window as any).outbox.send('/api/chat', { text: 'typo in flihgt' }));
  await waitFor(() => server.api.stored.length === 1, { message: 'stored, its answer still on the way' });
  const id = server.api.attempts[0]!.key;
  expect(await edit(page, id, 'typo in flight')).toBe('in-flight');
  // What docs/edit-and-cancel.md shows: the change as a request of the site's own, after the message,
  // with the server's id for it taken from the message's answer ({"id": …, "seq": 1}).
  const followUp = await page.evaluate((parent) => (window as any).outbox.send('/api/chat/edits', { message: { $outbox: parent, path: 'seq' }, text: 'typo in flight' }, { after: parent }), id);
  server.api.delayMs = 0;
  expect((await sent).status).toBe('delivered');
  await waitFor(() => server.api.edits.length === 1, { message: 'the follow-up edit stored' });
  expect(server.api.edits.map((e) => [e.key, e.messageSeq, e.text])).toEqual([[followUp.id, 1, 'typo in flight']]);
  expectStoredExactly(server, [id], ['typo in flihgt']);
});

test('an answer lost once keeps edit and cancel in-flight for good: a 503 on a later try does not prove the server lacks it; the original is stored once', async ({ page, server, openHarness, waitFor }) => {
  await openHarness(page, 'api=/api/chat&timeout=1000', { probe: false });
  // The server stores the message; its answer comes after the worker gave up waiting (timeout).
  server.api.delayMs = 2_500;
  const lost = await send(page, 'answer lost');
  expect(lost).toMatchObject({ status: 'queued', reason: 'timeout' });
  expect(server.api.stored.map((m) => m.key), 'the server has it').toEqual([lost.id]);
  server.api.delayMs = 0;
  expect(await edit(page, lost.id, 'changed after a lost answer')).toBe('in-flight');
  expect(await cancel(page, lost.id)).toBe('in-flight');

  // A proxy answers the next try 503: the last answer says "not stored", the first try's truth is "stored".
  server.api.setMode('503');
  await page.evaluate(() => (window as any).outbox.flush());
  await waitFor(async () => (await list(page)).some((m) => m.id === lost.id && m.reason === 'http-503'), { message: 'the 503 is recorded' });
  expect(await edit(page, lost.id, 'changed after a 503')).toBe('in-flight');
  expect(await cancel(page, lost.id)).toBe('in-flight');

  server.api.setMode('up');
  await page.evaluate(() => (window as any).outbox.flush());
  await waitFor(async () => (await list(page)).length === 0, { message: 'delivered' });
  expectStoredExactly(server, [lost.id], ['answer lost']);
  expect(await sawStatus(page, lost.id, 'delivered'), 'the page hears it delivered, not refused').toBe(true);
});

test('a message every try of which was answered 503 (never stored) can still be edited: done, and the edited text is stored', async ({ page, server, openHarness, waitForStored, waitFor }) => {
  await openHarness(page, 'api=/api/chat', { probe: false });
  server.api.setMode('503');
  const refused = await send(page, 'overloaded');
  expect(refused).toMatchObject({ status: 'queued', reason: 'http-503' });
  expect(await edit(page, refused.id, 'changed after a 503')).toBe('done');
  server.api.setMode('up');
  await page.evaluate(() => (window as any).outbox.flush());
  await waitForStored(1);
  expectStoredExactly(server, [refused.id], ['changed after a 503']);
});

test('a failed message can be cancelled (discarded) but not edited: its refusal is the key\'s answer', async ({ page, server, openHarness }) => {
  await openHarness(page);
  const refused = await send(page, { text: '' });
  expect(refused).toMatchObject({ status: 'failed', reason: 'http-422' });
  expect(await edit(page, refused.id, 'not empty now')).toBe('too-late');
  expect((await list(page)).map((m) => m.id)).toEqual([refused.id]);
  expect(await cancel(page, refused.id)).toBe('done');
  expect(await list(page)).toEqual([]);
  expect(server.api.stored).toEqual([]);
});

test('with encrypt=1 the edited body is sealed like the first one, and delivered as edited', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page, 'api=/api/chat&encrypt=1');
  await context.setOffline(true);
  const queued = await send(page, 'sealed original');
  expect(await edit(page, queued.id, 'sealed edit')).toBe('done');
  await context.setOffline(false);
  await waitForStored(1);
  expectStoredExactly(server, [queued.id], ['sealed edit']);
});

test('a body over maxBody is refused with InvalidMessageError and changes nothing', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page, 'api=/api/chat&maxBody=64');
  await context.setOffline(true);
  const queued = await send(page, 'short');
  const error = await page.evaluate(
    (id) => (window as any).outbox.edit(id, { text: 'x'.repeat(100) }).then(() => 'resolved', (e: Error) => `${e.name}: ${e.message}`),
    queued.id,
  );
  expect(error).toMatch(/^InvalidMessageError: edit: \d+ bytes; at most 64/);
  await context.setOffline(false);
  await waitForStored(1);
  expectStoredExactly(server, [queued.id], ['short']);
});
