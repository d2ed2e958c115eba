// Several tabs of one origin share one worker and one queue: every tab sees
// every message's status, whichever tab sent it.
import { test, expect, send, list, events, expectStoredExactly, type OutboxEvent, type Page } from '../fixtures';

const statusesOf = async (page: Page, id: string) => (await events(page)).filter((e: OutboxEvent) => e.id === id).map((e) => e.status);

test('two tabs see the same statuses for messages sent in either tab', async ({ context, server, openHarness, waitFor, waitForStored }) => {
  const tabA = await context.newPage();
  const tabB = await context.newPage();
  await openHarness(tabA);
  await openHarness(tabB);

  await context.setOffline(true);
  const fromA = await send(tabA, 'sent in tab A');
  const fromB = await send(tabB, 'sent in tab B');
  expect([fromA.status, fromB.status]).toEqual(['queued', 'queued']);

  await waitFor(async () => (await statusesOf(tabB, fromA.id)).includes('queued'), { message: 'tab B sees tab A\'s message queued' });
  await waitFor(async () => (await statusesOf(tabA, fromB.id)).includes('queued'), { message: 'tab A sees tab B\'s message queued' });
  expect((await list(tabB)).map((m) => m.id)).toEqual([fromA.id, fromB.id]);
  expect((await list(tabA)).map((m) => m.id)).toEqual([fromA.id, fromB.id]);

  await context.setOffline(false);
  await waitForStored(2);
  expectStoredExactly(server, [fromA.id, fromB.id], ['sent in tab A', 'sent in tab B']);

  for (const [tab, name] of [[tabA, 'A'], [tabB, 'B']] as const) {
    for (const id of [fromA.id, fromB.id]) {
      await waitFor(async () => (await statusesOf(tab, id)).includes('delivered'), { message: `tab ${name} sees ${id} delivered` });
    }
  }
  // Same story in both tabs: the last status each tab saw for each message agrees.
  for (const id of [fromA.id, fromB.id]) {
    const a = await statusesOf(tabA, id);
    const b = await statusesOf(tabB, id);
    expect(a.at(-1)).toBe('delivered');
    expect(b.at(-1)).toBe('delivered');
  }
  expect(await list(tabA)).toEqual([]);
  expect(await list(tabB)).toEqual([]);
});

test('a failure in one tab is seen in the other, with its reason', async ({ context, openHarness, waitFor }) => {
  const tabA = await context.newPage();
  const tabB = await context.newPage();
  await openHarness(tabA);
  await openHarness(tabB);

  const bad = await send(tabA, { text: '' });
  expect(bad).toMatchObject({ status: 'failed', reason: 'http-422' });
  const seen = await waitFor(async () => (await events(tabB)).find((e) => e.id === bad.id && e.status === 'failed'), {
    message: 'tab B sees tab A\'s message failed',
  });
  expect(seen).toMatchObject({ reason: 'http-422' });
});
