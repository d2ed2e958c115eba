// The own-worker recipe (docs/recipe/): a site's worker built with esbuild,
// workbox-precaching with an injected manifest, and installOutbox first. The
// same offline reload as the ready-made shell's; and what a leftover Workbox
// POST route on the API's path does when it is registered after the outbox.
import { cpSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testWithBuiltSite, expect, sendAll, list, expectStoredExactly, texts, waitForHarness } from '../fixtures';
// @ts-ignore: plain ESM module without type declarations
import { buildWorker } from '../../docs/recipe/build.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The recipe's workers and page, built once per Playwright worker into a temporary folder. */
const test = testWithBuiltSite('/recipe/', async (dir) => {
  cpSync(path.join(repo, 'e2e/pages/recipe'), dir, { recursive: true });
  const precache = [
    { url: '/recipe/index.html', file: path.join(dir, 'index.html') },
    { url: '/recipe/page.js', file: path.join(dir, 'page.js') },
    { url: '/client.js', file: path.join(repo, 'dist/client.js') },
  ];
  // `outbox/sw` as a site gets it from the package: the built library.
  const alias = { 'outbox/sw': path.join(repo, 'dist/sw/index.js') };
  await buildWorker({ outfile: path.join(dir, 'sw.js'), precache, alias });
  await buildWorker({ outfile: path.join(dir, 'sw-legacy.js'), entry: path.join(repo, 'e2e/pages/recipe/sw-legacy-route.js'), precache, alias });
});

test('own worker (precache + installOutbox): an offline reload shows the page and its queue; back online each message arrives once, in order', async ({ page, context, server, waitForStored }) => {
  await page.goto(`${server.url}/recipe/index.html`);
  await waitForHarness(page);
  const precached = await page.evaluate(async () => {
    const names = await caches.keys();
    const urls = await Promise.all(names.map(async (name) => (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname)));
    return { names, urls: urls.flat().sort() };
  });
  expect(precached.names).toEqual([expect.stringMatching(/^workbox-precache-v2-/)]);
  expect(precached.urls).toEqual(['/client.js', '/recipe/index.html', '/recipe/page.js']);

  await context.setOffline(true);
  const before = texts('recipe offline', 2);
  const first = await sendAll(page, before);
  expect(first.map((r) => r.status)).toEqual(['queued', 'queued']);

  // A query the manifest does not name: the navigation route gives the precached page.
  await page.goto(`${server.url}/recipe/index.html?after=reload`);
  await waitForHarness(page);
  expect((await list(page)).map((m) => m.id), 'the queue after the offline reload').toEqual(first.map((r) => r.id));
  const after = await sendAll(page, ['recipe offline #03, after the reload']);
  expect(after[0]!.status).toBe('queued');
  expect(server.api.attempts).toHaveLength(0);

  await context.setOffline(false);
  await waitForStored(3);
  await expect.poll(async () => (await list(page)).length, { message: 'list() empties once delivered' }).toBe(0);
  expectStoredExactly(server, [...first, ...after].map((r) => r.id), [...before, 'recipe offline #03, after the reload']);
});

test('own worker: a leftover Workbox POST route registered after installOutbox never sees a message; nothing is doubled', async ({ page, context, server, waitForStored }) => {
  await page.goto(`${server.url}/recipe/index.html?sw=sw-legacy.js`);
  await waitForHarness(page);
  const online = await sendAll(page, ['legacy route, online']);
  expect(online[0]!.status).toBe('delivered');

  await context.setOffline(true);
  const offline = await sendAll(page, texts('legacy route, offline', 2));
  expect(offline.map((r) => r.status), 'the outbox queued them (the page got its 202)').toEqual(['queued', 'queued']);
  const legacy = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('workbox-background-sync');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const all = await new Promise<Array<{ queueName: string }>>((resolve, reject) => {
      const request = db.transaction('requests').objectStore('requests').getAll();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    db.close();
    return all.map((entry) => entry.queueName);
  });
  // The recipe's worker is registered with scope /recipe/: its queue is that scope's (wiring.ts, defaultQueueName).
  expect(legacy, 'only the outbox\'s queue holds them; the legacy route queued nothing').toEqual(['outbox:/recipe/', 'outbox:/recipe/']);

  await context.setOffline(false);
  await waitForStored(3);
  await expect.poll(async () => (await list(page)).length).toBe(0);
  expectStoredExactly(server, [...online, ...offline].map((r) => r.id), ['legacy route, online', ...texts('legacy route, offline', 2)]);
  expect(server.api.attempts.filter((a) => a.outcome === 'stored').length, 'no second POST of any message').toBe(3);
});
