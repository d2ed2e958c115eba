// The ready-made worker's opt-in app shell (`?shell=`): a reload with the
// browser offline (context.setOffline, which cuts the worker's fetches too)
// still shows the page, its queue, and sends; back online everything arrives
// once, in order. Without `shell` nothing is cached, as before.
import { test, expect, sendAll, list, expectStoredExactly, texts, waitForHarness, type Page } from '../fixtures';

/** The harness page and what it loads: the page itself is listed without its query (the fallback finds it). */
const SHELL = 'shell=/test/harness.html,/test/harness.js,/client.js';

const cacheNames = (page: Page): Promise<string[]> => page.evaluate(() => caches.keys());

/** Every URL (path and query) kept in this origin's Cache Storage, by cache. */
const cachedUrls = (page: Page): Promise<Record<string, string[]>> =>
  page.evaluate(async () => {
    const out: Record<string, string[]> = {};
    for (const name of await caches.keys()) {
      out[name] = (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search);
    }
    return out;
  });

test('shell: an offline reload shows the page and its queue; a send after it queues; back online each arrives once, in order', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page, `api=/api/chat&${SHELL}`);
  const kept = await cachedUrls(page);
  expect(Object.keys(kept), 'one shell cache, named after the queue').toEqual([expect.stringMatching(/^outbox-shell:outbox:v1-/)]);
  expect(Object.values(kept)[0]!.sort()).toEqual(['/client.js', '/test/harness.html', '/test/harness.js']);

  await context.setOffline(true);
  const before = texts('shell offline', 2);
  const first = await sendAll(page, before);
  expect(first.map((r) => r.status)).toEqual(['queued', 'queued']);

  // The real thing: the browser is offline, and the page is reloaded.
  await page.reload();
  await waitForHarness(page);
  const pending = await list(page);
  expect(pending.map((m) => m.id), 'the queue, read after the offline reload').toEqual(first.map((r) => r.id));
  expect(pending.map((m) => JSON.parse(m.bodyText!).text)).toEqual(before);

  const after = await sendAll(page, ['shell offline #03, after the reload']);
  expect(after[0]!.status, 'a send from the reloaded offline page is queued').toBe('queued');
  expect(server.api.attempts, 'nothing reached the server while offline').toHaveLength(0);

  await context.setOffline(false);
  await waitForStored(3);
  await expect.poll(async () => (await list(page)).length, { message: 'list() empties once delivered' }).toBe(0);
  expectStoredExactly(server, [...first, ...after].map((r) => r.id), [...before, 'shell offline #03, after the reload']);
});

test('no shell: navigations are not cached, so an offline reload fails as it always did', async ({ page, context, openHarness }) => {
  await openHarness(page, 'api=/api/chat');
  await page.reload();
  await waitForHarness(page);
  expect(await cacheNames(page), 'nothing in Cache Storage').toEqual([]);
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
  expect(loaded.some((url) => url.endsWith('/sw-shell.js')), 'sw-shell.js is not even loaded').toBe(false);

  await context.setOffline(true);
  const reload = await page.reload().then(() => 'loaded', (error: Error) => error.message);
  expect(reload, 'an offline reload of a page without the shell').toMatch(/ERR_INTERNET_DISCONNECTED/);
});

test('shell: the chat API\'s GETs are never cached nor served stale unless listed, and an unlisted navigation falls back to the page', async ({ page, context, server, openHarness }) => {
  // The site asks for one API URL by listing it: that one is kept, the rest of the API is not.
  await openHarness(page, `api=/api/chat&api=/api/messages&${SHELL},/api/messages?asked=1`);
  const online = await page.evaluate(async () => (await fetch('/api/messages')).status);
  expect(online).toBe(200);
  // A navigation to the API (a person opening it in a tab) would be cached like any page, were it not the API.
  const harness = page.url();
  await page.goto(`${server.url}/api/messages`);
  await page.goto(harness);
  await waitForHarness(page);
  expect(Object.values(await cachedUrls(page)).flat().filter((url) => url.startsWith('/api/')), 'only the listed API GET in the cache').toEqual(['/api/messages?asked=1']);

  await context.setOffline(true);
  const offline = await page.evaluate(() => fetch('/api/messages').then((r) => `answered ${r.status}`, (e: Error) => `rejected: ${e.name}`));
  expect(offline, 'an offline API GET fails like any fetch').toMatch(/^rejected/);
  const asked = await page.evaluate(() => fetch('/api/messages?asked=1').then((r) => `answered ${r.status}`, (e: Error) => `rejected: ${e.name}`));
  expect(asked, 'the API GET the site listed is served from the cache').toBe('answered 200');
  // A query the cache has never seen: the same page, without its query, is served.
  await page.goto(`${harness}&never=seen`);
  await waitForHarness(page);
  expect(await list(page)).toEqual([]);
  // Last: Playwright's goto rejects before the error page commits, which would cut a later goto short.
  const navigation = await page.goto(`${server.url}/api/messages`).then(() => 'loaded', (error: Error) => error.message);
  expect(navigation, 'an offline navigation to the API is not served from a cache').toMatch(/ERR_INTERNET_DISCONNECTED/);
});

test('shell: an update with other URLs starts a new cache and deletes the old one; another queue\'s cache stays', async ({ page, openHarness }) => {
  await openHarness(page, `api=/api/chat&${SHELL}`);
  const [old] = await cacheNames(page);
  await page.evaluate(() => caches.open('outbox-shell:other-queue:v1-x').then((c) => c.put('/kept', new Response('other'))));

  // The site changes its list: a new registration URL is a new worker version.
  await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.register('/sw.js?api=/api/chat&shell=/test/harness.html,/test/harness.js,/client.js,/test/plain.html');
    await new Promise<void>((resolve) => {
      const done = () => registration.active?.scriptURL.includes('plain.html') && resolve();
      navigator.serviceWorker.addEventListener('controllerchange', done);
      done();
    });
  });
  await expect.poll(() => cacheNames(page), { message: 'the old version\'s cache is deleted' }).not.toContain(old);
  const kept = await cachedUrls(page);
  expect(kept['outbox-shell:other-queue:v1-x'], 'another queue\'s cache is not ours to delete').toEqual(['/kept']);
  const mine = Object.keys(kept).filter((name) => name.startsWith('outbox-shell:outbox:'));
  expect(mine).toHaveLength(1);
  expect(kept[mine[0]!]!.sort()).toEqual(['/client.js', '/test/harness.html', '/test/harness.js', '/test/plain.html']);
});

test('shell: a page the server does not answer is served from the cache after shellTimeout', async ({ page, server, openHarness }) => {
  await openHarness(page, `api=/api/chat&${SHELL}&shellTimeout=300`);
  // Hold every request for the page itself until the test lets go: a server that accepts and never answers (lie-fi).
  const held: Array<() => void> = [];
  const [handler] = server.server.listeners('request') as Array<(req: unknown, res: unknown) => void>;
  server.server.removeAllListeners('request');
  server.server.on('request', (req: { url: string }, res: unknown) => {
    if (new URL(req.url, 'http://x').pathname === '/test/harness.html') held.push(() => handler!(req, res));
    else handler!(req, res);
  });
  try {
    await page.reload();
    await waitForHarness(page);
    expect(held.length, 'the server got the page\'s request and has not answered it').toBeGreaterThan(0);
  } finally {
    server.server.removeAllListeners('request');
    server.server.on('request', handler!);
    for (const release of held) release();
  }
});
