// The demo with the cable out (context.setOffline: the browser offline, the
// worker's fetches cut too): it uses the app shell, so a reload shows the
// page, the composer, each pending message with its badge and the count, and
// the last known history; a send after it queues; back online every message
// reaches the server once, in order. Throughout, the list of messages shown
// never loses or doubles one: each is drawn once, in place, until delivered.
import { test, expect, expectStoredExactly, type Page } from '../fixtures';
import type { Outbox } from '../../client/index';

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
  await expect(page.locator('.message', { hasText: text })).toHaveCount(1);
}

/**
 * Records the ids of #messages after every change of the list (MutationObserver),
 * so a test can check that no message ever vanished, doubled or moved between two renders.
 */
async function recordList(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as any;
    w.listSnapshots = [];
    const snap = () => w.listSnapshots.push([...document.querySelectorAll('#messages .message')].map((li) => (li as HTMLElement).dataset.id));
    new MutationObserver(snap).observe(document.getElementById('messages')!, { childList: true });
    snap();
  });
}

/** Every snapshot since recordList: no id twice, none lost once seen, the relative order never changed. */
async function expectSteadyList(page: Page): Promise<void> {
  const snapshots: string[][] = await page.evaluate(() => (window as any).listSnapshots);
  const seen: string[] = [];
  for (const [i, ids] of snapshots.entries()) {
    expect(new Set(ids).size, `snapshot ${i} shows a message twice: ${ids}`).toBe(ids.length);
    const stillThere = seen.filter((id) => ids.includes(id));
    expect(stillThere, `snapshot ${i} lost a message: ${ids}`).toEqual(seen);
    expect(ids.filter((id) => seen.includes(id)), `snapshot ${i} reordered messages`).toEqual(seen);
    for (const id of ids) if (!seen.includes(id)) seen.push(id);
  }
}

const statuses = (page: Page) =>
  page.$$eval('#messages .message', (items) => items.map((li) => [li.querySelector('.text')!.textContent, (li as HTMLElement).dataset.status]));

test('demo offline: reload shows page, queue and history; a send after it queues; back online each once, in order, in place', async ({ page, context, server, waitForStored }) => {
  await page.goto(`${server.url}/`);
  await page.waitForSelector('html[data-outbox="ready"]');
  await say(page, 'one, online');
  await expect(page.locator('.message', { hasText: 'one, online' })).toHaveAttribute('data-status', 'delivered');
  // The history has it: the server's record, kept for offline.
  await expect(page.locator('#history-note')).toHaveAttribute('data-fresh', 'true');
  await expect.poll(() => page.evaluate(() => localStorage.getItem('outbox-history:/api/messages') ?? '')).toContain('one, online');
  await expect(page.locator('#storage')).toHaveAttribute('data-persisted', /true|false/);

  await context.setOffline(true);
  await say(page, 'two, offline');
  await say(page, 'three, offline');
  await expect(page.locator('#pending-count')).toHaveAttribute('data-count', '2');

  // The cable is out, and the page is reloaded.
  await page.reload();
  await page.waitForSelector('html[data-outbox="ready"]');
  await expect(page.locator('#connection')).toHaveAttribute('data-state', 'offline');
  await expect(page.locator('#connection-text')).toContainText('Offline');
  await expect(page.locator('#send')).toBeEnabled();
  await expect(page.locator('#history-note')).toHaveAttribute('data-fresh', 'false');
  await expect(page.locator('#history-note')).toContainText('as of');
  expect(await statuses(page), 'the last known history, then the queue, with badges').toEqual([
    ['one, online', 'delivered'],
    ['two, offline', 'queued'],
    ['three, offline', 'queued'],
  ]);
  await expect(page.locator('.message[data-status="queued"] .badge').first()).toHaveText('Queued');
  await expect(page.locator('#pending-count')).toHaveAttribute('data-count', '2');

  await say(page, 'four, after the reload');
  await expect(page.locator('.message', { hasText: 'four, after the reload' })).toHaveAttribute('data-status', 'queued');
  await expect(page.locator('#pending-count')).toHaveAttribute('data-count', '3');
  expect(server.api.stored).toHaveLength(1);

  await recordList(page);
  await context.setOffline(false);
  await waitForStored(4);
  await expect(page.locator('#pending-count')).toHaveAttribute('data-count', '0', { timeout: 15_000 });
  await expect(page.locator('#history-note')).toHaveAttribute('data-fresh', 'true');
  // A few history refreshes (every 3 s) with everything delivered: nothing moves.
  await page.waitForTimeout(3_500);
  expect(await statuses(page)).toEqual([
    ['one, online', 'delivered'],
    ['two, offline', 'delivered'],
    ['three, offline', 'delivered'],
    ['four, after the reload', 'delivered'],
  ]);
  await expectSteadyList(page);
  const ids = await page.$$eval('#messages .message', (items) => items.map((li) => (li as HTMLElement).dataset.id!));
  expectStoredExactly(server, ids, ['one, online', 'two, offline', 'three, offline', 'four, after the reload']);
});

test('demo: the connection indicator is the outbox\'s view (outbox.connection): a send into an outage shows the API down since then, with the reason; its return shows it answering', async ({ page, server, waitForStored }) => {
  await page.goto(`${server.url}/`);
  await page.waitForSelector('html[data-outbox="ready"]');
  const indicator = page.locator('#connection');
  const words = page.locator('#connection-text');
  await expect(indicator).toHaveAttribute('data-state', 'ok');
  // The demo puts its outbox on window (demo/window.d.ts).
  const connection = () => page.evaluate(() => (window as Window & { outbox?: Outbox }).outbox?.connection.get());

  server.api.setMode('unreachable');
  await say(page, 'into the dropped connections');
  await expect(page.locator('.message', { hasText: 'into the dropped connections' })).toHaveAttribute('data-status', 'queued');
  await expect(indicator).toHaveAttribute('data-state', 'down');
  await expect(words).toContainText(/API not answering \(network\) since \d/);
  expect(await connection(), 'the page shows what outbox.connection says').toMatchObject({ state: 'unreachable', reason: 'network' });

  server.api.setMode('503');
  await say(page, 'into the 503s');
  await expect(indicator).toHaveAttribute('data-state', 'degraded', { timeout: 20_000 });
  await expect(words).toContainText('(http-503)');

  server.api.setMode('up');
  await expect(indicator).toHaveAttribute('data-state', 'ok', { timeout: 20_000 });
  await expect(words).toHaveText('Browser online · API answering');
  expect(await connection()).toEqual({ state: 'online' });
  await waitForStored(2);
  const ids = await page.$$eval('#messages .message', (items) => items.map((li) => (li as HTMLElement).dataset.id!));
  expectStoredExactly(server, ids, ['into the dropped connections', 'into the 503s']);
});

test('demo server: the page\'s files are served, the server\'s own source (.mjs) is not', async ({ request, server }) => {
  expect((await request.get(`${server.url}/app.js`)).status()).toBe(200);
  expect((await request.get(`${server.url}/chat-view.js`)).status()).toBe(200);
  for (const source of ['/server.mjs', '/server/api.mjs', '/server/chat.mjs', '/relay.mjs']) {
    expect((await request.get(`${server.url}${source}`)).status(), source).toBe(404);
  }
});
