// The browser closes the worker's IndexedDB connection by itself (after an
// I/O error such as a full disk, and when the site's data is cleared). A 202
// must still mean "on disk": the worker opens the database again for what
// comes next, list() and flush() keep working, and the page is told that what
// it was waiting for is gone (failed, `storage`: nothing kept) instead of a
// `queued` badge that waits for ever.
import { test, expect, send, list, events, expectStoredExactly } from '../fixtures';
import { rawQueue } from '../fault-helpers';

test('site data cleared while messages wait: the page hears they are gone; later sends are stored for real and delivered once', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page);
  await context.setOffline(true);
  const before = await send(page, 'queued before the clear');
  expect(before.status).toBe('queued');

  const session = await context.newCDPSession(page);
  await session.send('Storage.clearDataForOrigin', { origin: server.url, storageTypes: 'indexeddb' });

  await expect
    .poll(async () => (await events(page)).find((e) => e.id === before.id && e.status === 'failed')?.reason, { message: 'the page is told the message it waited for is gone' })
    .toBe('storage');

  const after = await send(page, 'queued after the clear');
  expect(after.status, 'a 202 only for a message that is on disk').toBe('queued');
  expect((await rawQueue(page)).map((entry) => entry.metadata?.id), 'what IndexedDB holds').toEqual([after.id]);
  expect((await list(page)).map((m) => m.id), 'list() works on the new connection').toEqual([after.id]);

  await context.setOffline(false);
  await waitForStored(1);
  await expect.poll(async () => (await rawQueue(page)).length, { message: 'nothing left queued' }).toBe(0);
  expectStoredExactly(server, [after.id], ['queued after the clear']);
});

test('site data cleared with nothing queued: the next sends, online and offline, are answered from a working store', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page);
  const first = await send(page, 'before');
  expect(first.status).toBe('delivered');
  const session = await context.newCDPSession(page);
  await session.send('Storage.clearDataForOrigin', { origin: server.url, storageTypes: 'indexeddb' });

  const online = await send(page, 'online after the clear');
  expect(online.status).toBe('delivered');
  await context.setOffline(true);
  const offline = await send(page, 'offline after the clear');
  expect(offline.status).toBe('queued');
  expect((await rawQueue(page)).map((entry) => entry.metadata?.id)).toEqual([offline.id]);
  await context.setOffline(false);
  await waitForStored(3);
  expectStoredExactly(server, [first.id, online.id, offline.id], ['before', 'online after the clear', 'offline after the clear']);
});
