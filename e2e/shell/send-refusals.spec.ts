// What the outbox will not keep as it is, it refuses at send() with a named
// error, before anything is stored or sent; it never swaps it for something
// else the page does not know about. And any string a site uses as a user id
// works as a namespace.
import { test, expect, send, list, events } from '../fixtures';

const LONG_KEY = 'k'.repeat(201);

test('an Idempotency-Key over 200 characters: send() rejects with InvalidMessageError, a raw POST gets 400 invalid; nothing is stored', async ({ page, server, openHarness }) => {
  await openHarness(page);
  const refused = await page.evaluate(async (key) => {
    try {
      await (window as any).outbox.send('/api/chat', { text: 'long key' }, { headers: { 'Idempotency-Key': key } });
      return { rejected: false };
    } catch (error: any) {
      return { rejected: true, name: error.name, message: error.message };
    }
  }, LONG_KEY);
  expect(refused).toMatchObject({ rejected: true, name: 'InvalidMessageError' });
  expect(refused.message).toMatch(/200/);

  const raw = await page.evaluate(async (key) => {
    const response = await fetch('/api/chat', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key }, body: '{"text":"raw long key"}' });
    return { status: response.status, outboxStatus: response.headers.get('Outbox-Status'), json: await response.json() };
  }, LONG_KEY);
  expect(raw).toMatchObject({ status: 400, outboxStatus: 'failed', json: { status: 'failed', reason: 'invalid' } });

  // A key of exactly 200 is the page's and is the one the server gets.
  const key200 = 'j'.repeat(200);
  const ok = await page.evaluate(async (key) => (window as any).outbox.send('/api/chat', { text: 'key of 200' }, { headers: { 'Idempotency-Key': key } }), key200);
  expect(ok).toMatchObject({ id: key200, status: 'delivered' });
  await page.evaluate(() => (window as any).outbox.flush());
  expect(server.api.stored.map((m) => m.key), 'only the usable key reached the server, as the page chose it').toEqual([key200]);
  expect(await list(page)).toEqual([]);
});

test('send() to a URL outside the worker api rejects with InvalidMessageError instead of a failure that promises a retry', async ({ page, server, openHarness }) => {
  await openHarness(page);
  const refused = await page.evaluate(async () => {
    try {
      await (window as any).outbox.send('/api/other', { text: 'elsewhere' });
      return { rejected: false };
    } catch (error: any) {
      return { rejected: true, name: error.name, message: error.message };
    }
  });
  expect(refused).toMatchObject({ rejected: true, name: 'InvalidMessageError' });
  expect(refused.message).toContain('/api/chat');
  expect(server.api.attempts).toEqual([]);
  expect(await list(page)).toEqual([]);
});

for (const namespace of ['山田 太郎', ' alice ', 'zoë@exämple.org', '100%']) {
  test(`namespace ${JSON.stringify(namespace)}: sends, is kept exactly, and its page hears every status`, async ({ page, context, server, openHarness, waitForStored }) => {
    await openHarness(page, undefined, { ns: namespace });
    expect(await page.evaluate(() => (window as any).outbox.namespace)).toBe(namespace);
    await context.setOffline(true);
    const queued = await send(page, 'while offline');
    expect(queued.status).toBe('queued');
    const listed = await list(page);
    expect(listed.map((m) => [m.id, m.namespace])).toEqual([[queued.id, namespace]]);
    await context.setOffline(false);
    await waitForStored(1);
    expect(server.api.stored.map((m) => m.key)).toEqual([queued.id]);
    // The worker's broadcasts carry the namespace as the page knows it, so the page hears them.
    await expect.poll(async () => (await events(page)).some((e) => e.id === queued.id && e.status === 'delivered')).toBe(true);
    expect((await events(page)).every((e) => e.namespace === namespace)).toBe(true);
  });
}

test('setNamespace() with an id over 200 characters rejects with InvalidNamespaceError and changes nothing', async ({ page, server, openHarness, waitForStored }) => {
  await openHarness(page, undefined, { ns: 'alice' });
  const result = await page.evaluate(async (long) => {
    try {
      await (window as any).outbox.setNamespace(long);
      return { rejected: false, namespace: (window as any).outbox.namespace };
    } catch (error: any) {
      return { rejected: true, name: error.name, namespace: (window as any).outbox.namespace };
    }
  }, 'n'.repeat(201));
  expect(result).toEqual({ rejected: true, name: 'InvalidNamespaceError', namespace: 'alice' });
  const sent = await send(page, 'still alice');
  expect(sent.status).toBe('delivered');
  await waitForStored(1);
  expect(server.api.stored.map((m) => m.key)).toEqual([sent.id]);
});
