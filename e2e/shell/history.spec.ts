// The page helpers in a real page, against the built files: MessageHistory
// (one entry per id, by the sender's time, in place from sending to
// delivered whatever order the news comes in), fetchHistory (the last copy
// kept for offline), storage() and createOutbox({ persist: true }).
import type { MessageStatus } from '../../client/index';
import { test, expect, type Page } from '../fixtures';

/** A page of the origin without the outbox (the helpers need none), to import the built files in. */
const openHarnessPage = (page: Page, url: string) => page.goto(`${url}/test/plain.html`);

test('MessageHistory: one entry per id, the server\'s copy wins, ordered by the sender\'s time', async ({ page, server }) => {
  await openHarnessPage(page, server.url);
  const result = await page.evaluate(async () => {
    const { MessageHistory } = await import('/history.js');
    const h = new MessageHistory({ idOf: (m: any) => m.key, sentAtOf: (m: any) => m.sentAtMs });
    const pending = (id: string, createdAtMs: number, status: MessageStatus = 'queued', updatedAtMs = createdAtMs) =>
      ({ id, namespace: '', status, attempts: 1, updatedAtMs, url: '/api/chat', createdAtMs, bodyText: `{"text":"${id}"}` });
    // b's answer was lost: the server has it, the outbox still holds it queued.
    h.setServer([{ key: 'a', sentAtMs: 100 }, { key: 'b', sentAtMs: 300 }]);
    h.setPending([pending('b', 300), pending('c', 200), pending('d', 400, 'failed')]);
    return h.entries().map((e: any) => [e.id, e.status, e.sentAtMs, !!e.server, !!e.local]);
  });
  expect(result).toEqual([
    ['a', 'delivered', 100, true, false],
    ['c', 'queued', 200, false, true],
    ['b', 'delivered', 300, true, true],
    ['d', 'failed', 400, false, true],
  ]);
});

test('MessageHistory: sending → queued → delivered in place; an older server list does not make it vanish; stale news is ignored', async ({ page, server }) => {
  await openHarnessPage(page, server.url);
  const steps = await page.evaluate(async () => {
    const { MessageHistory } = await import('/history.js');
    const h = new MessageHistory({ idOf: (m: any) => m.key, sentAtOf: (m: any) => m.sentAtMs });
    const snap = () => h.entries().map((e: any) => `${e.id}:${e.status}${e.server ? '(server)' : ''}`).join(' ');
    const event = (id: string, status: MessageStatus, updatedAtMs: number) => ({ id, namespace: '', status, attempts: 1, updatedAtMs });
    const out: string[] = [];
    h.setServer([{ key: 'old', sentAtMs: 50 }]);
    h.sent({ id: 'm', sentAtMs: 100, bodyText: '{"text":"m"}' });
    out.push(snap());
    h.update(event('m', 'queued', 1_000));
    h.sendResult({ id: 'm', status: 'queued' });
    out.push(snap());
    h.update(event('m', 'sending', 2_000));
    h.sendResult({ id: 'm', status: 'queued' }); // a late answer must not take it back from sending
    out.push(snap());
    h.update(event('m', 'delivered', 3_000));
    h.update(event('m', 'queued', 2_500)); // an older event, arriving late
    out.push(snap());
    h.setServer([{ key: 'old', sentAtMs: 50 }]); // a list fetched before the delivery
    out.push(snap());
    h.setServer([{ key: 'old', sentAtMs: 50 }, { key: 'm', sentAtMs: 100 }]);
    out.push(snap());
    h.update(event('m', 'sending', 4_000)); // the outbox re-sends after a lost answer: the server's copy stands
    out.push(snap());
    return out;
  });
  expect(steps).toEqual([
    'old:delivered(server) m:sending',
    'old:delivered(server) m:queued',
    'old:delivered(server) m:sending',
    'old:delivered(server) m:delivered',
    'old:delivered(server) m:delivered',
    'old:delivered(server) m:delivered(server)',
    'old:delivered(server) m:delivered(server)',
  ]);
});

test('MessageHistory: another tab\'s message is placed once list() says when it was sent; discard removes it', async ({ page, server }) => {
  await openHarnessPage(page, server.url);
  const result = await page.evaluate(async () => {
    const { MessageHistory } = await import('/history.js');
    const h = new MessageHistory({ idOf: (m: any) => m.key, sentAtOf: (m: any) => m.sentAtMs });
    h.setServer([{ key: 'a', sentAtMs: 100 }, { key: 'z', sentAtMs: 900 }]);
    const known = h.update({ id: 'x', namespace: '', status: 'queued', attempts: 0, updatedAtMs: 5_000 });
    const before = h.entries().map((e: any) => e.id).join(' ');
    h.setPending([{ id: 'x', namespace: '', status: 'queued', attempts: 0, updatedAtMs: 5_000, url: '/api/chat', createdAtMs: 500, bodyText: 'hi' }]);
    const after = h.entries().map((e: any) => `${e.id}${e.local?.bodyText ? `=${e.local.bodyText}` : ''}`).join(' ');
    h.update({ id: 'x', namespace: '', status: 'discarded', attempts: 0, updatedAtMs: 6_000 });
    const discarded = h.entries().map((e: any) => e.id).join(' ');
    let refused = '';
    try {
      new MessageHistory({} as any);
    } catch (error: any) {
      refused = error.message;
    }
    return { known, before, after, discarded, refused };
  });
  expect(result).toEqual({ known: false, before: 'a z x', after: 'a x=hi z', discarded: 'a z', refused: expect.stringMatching(/idOf/) });
});

test('fetchHistory keeps the last good copy: offline or on a 5xx it answers that copy, not fresh; with none, an empty list', async ({ page, context, server }) => {
  await openHarnessPage(page, server.url);
  await page.request.post(`${server.url}/api/chat`, { data: { text: 'in the record' }, headers: { 'Idempotency-Key': 'k1' } });
  const fetchIt = (url: string) =>
    page.evaluate(async (u) => {
      const { fetchHistory } = await import('/history.js');
      const r = await fetchHistory(u, { parse: (json: any) => json.map((m: any) => ({ key: m.key, text: JSON.parse(m.bodyText).text })) });
      return { items: r.items, fresh: r.fresh, hasTime: typeof r.fetchedAtMs === 'number', error: r.error ? String(r.error) : null };
    }, url);
  expect(await fetchIt('/api/messages')).toEqual({ items: [{ key: 'k1', text: 'in the record' }], fresh: true, hasTime: true, error: null });
  const kept = await page.evaluate(() => JSON.parse(localStorage.getItem('outbox-history:/api/messages')!));
  expect(kept.items, 'the copy holds what parse kept, nothing more').toEqual([{ key: 'k1', text: 'in the record' }]);

  await context.setOffline(true);
  expect(await fetchIt('/api/messages')).toEqual({ items: [{ key: 'k1', text: 'in the record' }], fresh: false, hasTime: true, error: expect.any(String) });
  expect(await fetchIt('/api/never-fetched')).toEqual({ items: [], fresh: false, hasTime: false, error: expect.any(String) });
  await context.setOffline(false);
  // A 404/5xx is no history either: the copy, not the error page.
  expect((await fetchIt('/api/chat')).fresh).toBe(false);
  await page.evaluate(async () => (await import('/history.js')).forgetHistory('/api/messages'));
  expect(await page.evaluate(() => localStorage.getItem('outbox-history:/api/messages'))).toBeNull();
});

test('storage() reports persisted, usage and quota; createOutbox({ persist: true }) asks and reports the answer', async ({ page, server, openHarness }) => {
  await openHarness(page);
  const report = await page.evaluate(async () => {
    const { storage } = await import('/storage.js');
    const { createOutbox } = await import('/client.js');
    const before = await storage();
    const outbox = await createOutbox({ serviceWorker: '/sw.js?api=/api/chat', persist: true });
    const granted = await outbox.persisted;
    const plain = await createOutbox({ serviceWorker: '/sw.js?api=/api/chat' });
    const after = await storage();
    return { before, granted, notAsked: plain.persisted === undefined, after };
  });
  expect(typeof report.before.usageBytes).toBe('number');
  expect(report.before.quotaBytes).toBeGreaterThan(0);
  expect(typeof report.granted, 'persist() answered').toBe('boolean');
  // Whatever Chromium decided, storage() reports that same answer.
  expect(report.after.persisted).toBe(report.granted);
  expect(report.notAsked).toBe(true);
});
