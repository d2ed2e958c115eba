// Two tabs of one origin in every engine: one worker, one queue, and every
// tab hears every message's status, whichever tab sent it: queued, delivered,
// and a refusal with its reason, whether it came on replay or straight back
// to a send while the API answers. (The one tabs spec: the Chromium-only
// copy, which cut the network instead of the API, merged into this one.)
import { test, expect, send, list, flush, events, statusesOf } from '../engines/fixtures';
import { expectStoredExactly } from '../fixtures';

test('two tabs see the same statuses for messages sent in either tab, a refusal with its reason too, on replay and online', async ({ session, server, harness, waitFor, waitForStored }) => {
  const tabA = await session.newTab();
  const tabB = await session.newTab();
  await harness(tabA, 'api=/api/chat', { probe: false, online: false });
  await harness(tabB, 'api=/api/chat', { probe: false, online: false });

  server.api.setMode('unreachable');
  const fromA = await send(tabA, 'sent in tab A');
  const fromB = await send(tabB, 'sent in tab B');
  const refused = await send(tabA, { text: '' });
  expect([fromA.status, fromB.status, refused.status]).toEqual(['queued', 'queued', 'queued']);
  const ids = [fromA.id, fromB.id, refused.id];

  await waitFor(async () => (await statusesOf(tabB, fromA.id)).includes('queued'), { message: 'tab B hears tab A\'s message queued' });
  await waitFor(async () => (await statusesOf(tabA, fromB.id)).includes('queued'), { message: 'tab A hears tab B\'s message queued' });
  expect((await list(tabA)).map((m) => m.id), 'tab A\'s list').toEqual(ids);
  expect((await list(tabB)).map((m) => m.id), 'tab B\'s list').toEqual(ids);

  server.api.setMode('up');
  await flush(tabB);
  await waitForStored(2);
  expectStoredExactly(server, [fromA.id, fromB.id], ['sent in tab A', 'sent in tab B']);

  const final = { [fromA.id]: 'delivered', [fromB.id]: 'delivered', [refused.id]: 'failed' } as const;
  for (const [tab, name] of [[tabA, 'A'], [tabB, 'B']] as const) {
    for (const id of ids) {
      await waitFor(async () => (await statusesOf(tab, id)).includes(final[id]!), { message: `tab ${name} hears ${id} ${final[id]}` });
    }
  }
  const failedInB = (await events(tabB)).find((e) => e.id === refused.id && e.status === 'failed');
  expect(failedInB, 'tab B hears the refusal with its reason and detail').toMatchObject({ reason: 'http-422', detail: 'field "text" must not be empty' });
  for (const id of ids) {
    expect((await statusesOf(tabA, id)).at(-1), `tab A's last status of ${id}`).toBe(final[id]);
    expect((await statusesOf(tabB, id)).at(-1), `tab B's last status of ${id}`).toBe(final[id]);
  }
  expect((await list(tabA)).map((m) => [m.id, m.status])).toEqual([[refused.id, 'failed']]);
  expect((await list(tabB)).map((m) => [m.id, m.status])).toEqual([[refused.id, 'failed']]);

  // The API answers now: a refusal is passed straight back to the sending tab, and the other tab hears it too.
  const refusedOnline = await send(tabA, { text: '' });
  expect(refusedOnline, 'a refusal sent while the API answers').toMatchObject({ status: 'failed', reason: 'http-422' });
  const heardInB = await waitFor(async () => (await events(tabB)).find((e) => e.id === refusedOnline.id && e.status === 'failed'), {
    message: 'tab B hears tab A\'s online refusal',
  });
  expect(heardInB, 'tab B hears the online refusal with its reason').toMatchObject({ reason: 'http-422' });
});
