// Bad input the outbox cannot keep: storage full or IndexedDB failing when a
// message must be queued, and bodies over the size limit. The page is told
// `failed` with the reason (never a 202 that lies), gets its body back, and
// nothing is stored half: not in IndexedDB, not at the server.
import { test, expect, send, list, events, expectStoredExactly } from '../fixtures';
import { rawLedger, rawQueue, QUEUE_DB } from '../fault-helpers';
import type { Page } from '@playwright/test';

/** send() with a text/plain body of `size` bytes (built in the page). */
function sendText(page: Page, size: number, fill = 'x') {
  return page.evaluate(
    async ([n, ch]) => {
      const text = ch.repeat(n);
      const result = await (window as any).outbox.send('/api/chat', text, { headers: { 'Content-Type': 'text/plain' } });
      const { response, body, ...rest } = result;
      return { ...rest, bodyIsTheText: body === text, bodyLength: typeof body === 'string' ? body.length : -1 };
    },
    [size, fill] as const,
  );
}

/** A raw fetch through the worker: what any page (without the client) gets. */
function rawPost(page: Page, size: number) {
  return page.evaluate(async (n) => {
    const response = await fetch('/api/chat', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'y'.repeat(n) });
    return { status: response.status, outboxStatus: response.headers.get('Outbox-Status'), json: await response.json() };
  }, size);
}

test('storage full (quota) when a message must be queued: `failed` with reason storage and the body back, not a 202; nothing stored; the queue carries on', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page);
  const session = await context.newCDPSession(page);
  const { usage } = await session.send('Storage.getUsageAndQuota', { origin: server.url });
  // Room for small messages, none for a 200 kB one.
  await session.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: usage + 20_000 });
  try {
    await context.setOffline(true);
    const small = await send(page, 'fits before');
    expect(small.status).toBe('queued');

    const big = await sendText(page, 200_000);
    expect(big, 'the page is told the truth').toMatchObject({ status: 'failed', reason: 'storage', bodyIsTheText: true, bodyLength: 200_000 });
    expect(big.detail).toMatch(/QuotaExceededError/);
    const raw = await rawPost(page, 200_000);
    expect(raw, 'a plain fetch gets 507 with Outbox-Status: failed').toMatchObject({ status: 507, outboxStatus: 'failed', json: { status: 'failed', reason: 'storage' } });

    // Nothing half-stored: the queue holds only the small message; the ledger nothing.
    const entries = await rawQueue(page);
    expect(entries.map((e) => e.metadata?.id)).toEqual([small.id]);
    expect(await rawLedger(page)).toEqual([]);
    expect((await list(page)).map((m) => m.id)).toEqual([small.id]);

    const after = await send(page, 'fits after');
    expect(after.status).toBe('queued');
    await context.setOffline(false);
    await waitForStored(2);
    expectStoredExactly(server, [small.id, after.id], ['fits before', 'fits after']);
    expect(server.api.attempts.some((a) => a.key === big.id)).toBe(false);
    expect((await events(page)).some((e) => e.id === big.id), 'no status was ever announced for the failed message').toBe(false);
  } finally {
    await session.send('Storage.overrideQuotaForOrigin', { origin: server.url });
  }
});

test('IndexedDB failing when a message must be queued: `failed` with reason storage and the body back; after it recovers, messages are queued again', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page);
  // Break the queue's database the way a bad upgrade would: another program
  // moves it to a version the worker cannot open (it asks for version 3).
  await page.evaluate(
    (name) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open(name, 99);
        open.onsuccess = () => {
          open.result.close();
          resolve();
        };
        open.onerror = () => reject(open.error);
        open.onblocked = () => reject(new Error('blocked'));
      }),
    QUEUE_DB,
  );
  await context.setOffline(true);
  const broken = await page.evaluate(async () => {
    const body = { text: 'while the database is broken' };
    const { response, ...result } = await (window as any).outbox.send('/api/chat', body);
    return result;
  });
  expect(broken).toMatchObject({ status: 'failed', reason: 'storage', body: { text: 'while the database is broken' } });
  expect(broken.detail).toMatch(/VersionError/);

  // Repaired (deleted; the worker creates it again): messages are queued and delivered again.
  await page.evaluate(
    (name) =>
      new Promise<void>((resolve, reject) => {
        const del = indexedDB.deleteDatabase(name);
        del.onsuccess = () => resolve();
        del.onerror = () => reject(del.error);
      }),
    QUEUE_DB,
  );
  const next = await send(page, 'after the repair');
  expect(next.status).toBe('queued');
  await context.setOffline(false);
  await waitForStored(1);
  expectStoredExactly(server, [next.id], ['after the repair']);
  expect(server.api.attempts.some((a) => a.key === broken.id)).toBe(false);
});

test('a body over maxBody fails at once with too-large and the body back, offline or online; nothing in IndexedDB, nothing at the server; at the limit it goes through', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page, 'api=/api/chat&maxBody=1000');

  await context.setOffline(true);
  const offline = await sendText(page, 1001);
  expect(offline).toMatchObject({ status: 'failed', reason: 'too-large', bodyIsTheText: true });
  expect(offline.detail).toMatch(/1001 bytes.*1000/);
  await context.setOffline(false);
  const online = await sendText(page, 1001);
  expect(online).toMatchObject({ status: 'failed', reason: 'too-large', bodyIsTheText: true });
  const raw = await rawPost(page, 5_000);
  expect(raw).toMatchObject({ status: 413, outboxStatus: 'failed', json: { status: 'failed', reason: 'too-large' } });

  expect(await rawQueue(page), 'nothing in the queue\'s store').toEqual([]);
  expect(await rawLedger(page), 'nothing in the ledger').toEqual([]);
  expect(await list(page)).toEqual([]);
  expect(server.api.attempts, 'nothing reached the server').toEqual([]);

  const atLimit = await sendText(page, 1000, 'z');
  expect(atLimit.status).toBe('delivered');
  await waitForStored(1);
  expect(server.api.stored).toHaveLength(1);
  expect(server.api.stored[0]!.bodyText).toBe('z'.repeat(1000));
});

test('the default limit is 1 MiB: 1 MiB + 1 byte fails with too-large and is never stored, 1 MiB is delivered', async ({ page, server, openHarness, waitForStored }) => {
  await openHarness(page);
  const over = await sendText(page, 1024 * 1024 + 1);
  expect(over).toMatchObject({ status: 'failed', reason: 'too-large', bodyIsTheText: true });
  expect(await rawQueue(page)).toEqual([]);
  expect(server.api.attempts).toEqual([]);

  const exactly = await sendText(page, 1024 * 1024, 'm');
  expect(exactly.status).toBe('delivered');
  await waitForStored(1);
  expect(server.api.stored[0]!.bodyText.length).toBe(1024 * 1024);
  expect(await rawQueue(page)).toEqual([]);
});
