// useOutbox() in React, in Chromium: it re-renders on every status change of
// a message, in the tab that sent it and in another tab, and the server
// stores the message once.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundlePage, testWithBuiltSite, expect, expectStoredExactly, type DemoServer, type Page } from '../fixtures';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const test = testWithBuiltSite('/react/', async (dir) => {
  await bundlePage(dir, path.join(repo, 'e2e/pages/react/app.tsx'), {
    jsx: 'automatic',
    // `outbox/react` as a site gets it from the package: the built file.
    alias: { 'outbox/react': path.join(repo, 'dist/react.js') },
  });
});

async function open(page: Page, server: DemoServer): Promise<void> {
  await page.goto(`${server.url}/react/index.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 20_000 });
}

/** The statuses the component showed for `id`, one per change, in render order. */
async function renderedStatuses(page: Page, id: string): Promise<string[]> {
  const renders = await page.evaluate(() => window.renders);
  const shown: string[] = [];
  for (const render of renders) {
    const status = render[id];
    if (status !== undefined && status !== shown[shown.length - 1]) shown.push(status);
  }
  return shown;
}

/** The statuses the outbox announced for `id` in that page, one per change. */
async function announced(page: Page, id: string): Promise<string[]> {
  const events = await page.evaluate(() => window.events);
  const seen: string[] = [];
  for (const event of events) if (event.id === id && event.status !== seen[seen.length - 1]) seen.push(event.status);
  return seen;
}

test('useOutbox re-renders on every status change, in the sending tab and in another one', async ({ context, server, waitForStored }) => {
  const a = await context.newPage();
  const b = await context.newPage();
  await open(a, server);
  await open(b, server);

  server.api.setMode('unreachable');
  const result = await a.evaluate(() => window.send('/api/chat', { text: 'from a hook' }));
  expect(result.status).toBe('queued');
  // The other tab shows it too, with its text (read from the outbox's list).
  await expect(b.locator(`li[data-id="${result.id}"]`)).toHaveText('from a hook');
  await expect(b.locator(`li[data-id="${result.id}"]`)).toHaveAttribute('data-status', 'queued');
  expect(server.api.stored).toHaveLength(0);

  server.api.setMode('up');
  await waitForStored(1);
  for (const page of [a, b]) await expect(page.locator(`li[data-id="${result.id}"]`)).toHaveAttribute('data-status', 'delivered');
  expectStoredExactly(server, [result.id], ['from a hook']);

  // Every status the outbox announced was rendered, in order.
  for (const page of [a, b]) {
    const events = await announced(page, result.id);
    expect(events.slice(-3), 'the outbox announced queued, sending, delivered').toEqual(['queued', 'sending', 'delivered']);
    const shown = await renderedStatuses(page, result.id);
    let at = 0;
    for (const status of shown) if (status === events[at]) at += 1;
    expect(at, `rendered ${JSON.stringify(shown)}, announced ${JSON.stringify(events)}`).toBe(events.length);
  }
  // The sending tab showed the message from the moment send() was called.
  expect((await renderedStatuses(a, result.id))[0]).toBe('sending');
});
