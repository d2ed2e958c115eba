// outbox/devtools in a page: the panel shows a message queued through an
// outage and then delivered, the worker's decision log live (switched on at
// run time in the one dist/sw.js: no debug=1 here), and its buttons flush and
// retry; what the server stored is the judge. Chromium (the panel is a
// development tool; nothing in it is engine-specific, but one engine is enough).
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect, expectStoredExactly, send } from './fixtures';

async function mount(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const { mountOutboxDevtools } = await import('/devtools.js');
    const outbox = (window as unknown as { outbox: Parameters<typeof mountOutboxDevtools>[0] }).outbox;
    (window as unknown as { unmountDevtools: () => void }).unmountDevtools = mountOutboxDevtools(outbox);
  });
}

test('the panel shows a message queued through an outage, then delivered, with the worker\'s log; retry on a failed one delivers it once', async ({ page, server, openHarness, waitFor }) => {
  // retention=0.05: three seconds, so a message held by the outage expires (failed) for the retry case.
  await openHarness(page, 'api=/api/chat&retryBase=300&retryMax=600&retention=0.05', { probe: false });
  await mount(page);
  const panel = page.locator('outbox-devtools');
  const row = (id: string) => panel.locator(`tr[data-id="${id}"]`);
  await expect(panel.locator('h2', { hasText: 'decision log (on)' })).toBeVisible();

  // An outage: the message is queued, and the panel says so with the reason.
  server.api.setMode('503');
  const held = await send(page, 'held by the outage');
  expect(held.status).toBe('queued');
  await expect(row(held.id)).toHaveAttribute('data-status', 'queued', { timeout: 30_000 });
  await expect(row(held.id).locator('td.reason')).toHaveText('http-503');
  await expect(panel.locator(`li[data-id="${held.id}"]`, { hasText: 'backing off until' }).first()).toBeVisible();
  // Refresh reads list() again: the lane's backoff gives the message's next try.
  await panel.locator('button[data-action="refresh"]').click();
  await expect(row(held.id).locator('td.next')).toHaveText(/^\d\d:\d\d:\d\d$/);

  // The server is back; Flush in the panel delivers it.
  server.api.setMode('up');
  await panel.locator('button[data-action="flush"]').click();
  await expect(row(held.id)).toHaveAttribute('data-status', 'delivered', { timeout: 30_000 });
  await expect(panel.locator(`li[data-id="${held.id}"]`, { hasText: 'delivered' })).toBeVisible();
  expectStoredExactly(server, [held.id], ['held by the outage']);

  // A message the outage held past the retention time is failed (expired); Retry in the panel delivers it.
  server.api.setMode('503');
  const expired = await send(page, 'expired, then retried');
  expect(expired.status).toBe('queued');
  await expect(row(expired.id)).toHaveAttribute('data-status', 'failed', { timeout: 60_000 });
  await expect(row(expired.id).locator('td.reason')).toHaveText('expired');
  server.api.setMode('up');
  await row(expired.id).locator('button[data-action="retry"]').click();
  await expect(row(expired.id)).toHaveAttribute('data-status', 'delivered', { timeout: 30_000 });
  await waitFor(() => server.api.stored.length === 2, { message: 'the retried message stored' });
  expectStoredExactly(server, [held.id, expired.id], ['held by the outage', 'expired, then retried']);

  // The panel names the worker and what it last saw of the API.
  await expect(panel.locator('header')).toContainText('worker: controls this page');
  await expect(panel.locator('header')).toContainText('API answering');
  await expect(panel.locator('header')).toContainText(/storage: .*MiB used of/);
  // docs/devtools-panel.png is made here: OUTBOX_DEVTOOLS_SCREENSHOT=1 node e2e/run.mjs e2e/devtools-panel.spec.ts
  if (process.env.OUTBOX_DEVTOOLS_SCREENSHOT) await panel.screenshot({ path: 'docs/devtools-panel.png' });

  // Unmounted: gone from the page, and the worker's log is off again (a message now leaves no line).
  await page.evaluate(() => {
    const lines: string[] = ((window as unknown as { traceLines: string[] }).traceLines = []);
    new BroadcastChannel('outbox:outbox').onmessage = ({ data }) => {
      if (data?.type === 'trace') lines.push(data.id);
    };
    (window as unknown as { unmountDevtools: () => void }).unmountDevtools();
  });
  await expect(panel).toHaveCount(0);
  // The worker answers commands in order: once this one is answered, the unmount's `trace` off was taken.
  await page.evaluate(() => (window as unknown as { rawCommand(c: unknown): Promise<unknown> }).rawCommand({ type: 'hello' }));
  const quiet = await send(page, 'after unmount');
  expect(quiet.status).toBe('delivered');
  await page.waitForTimeout(500);
  expect(await page.evaluate(() => (window as unknown as { traceLines: string[] }).traceLines)).toEqual([]);
  expectStoredExactly(server, [held.id, expired.id, quiet.id], ['held by the outage', 'expired, then retried', 'after unmount']);
});

test('a worker stopped and started again is asked for its log again: the panel keeps showing decisions', async ({ page, server, openHarness, cdp, waitForStored }) => {
  await openHarness(page, 'api=/api/chat&retryBase=300&retryMax=600', { probe: false });
  await mount(page);
  const panel = page.locator('outbox-devtools');
  await expect(panel.locator('h2', { hasText: 'decision log (on)' })).toBeVisible();
  // The new worker starts with the log off (only `debug` survives); its `started` broadcast makes the panel ask again.
  await (await cdp(page)).stopWorkers();
  server.api.setMode('503');
  const after = await send(page, 'sent to the new worker');
  expect(after.status).toBe('queued');
  await expect(panel.locator(`li[data-id="${after.id}"]`, { hasText: 'backing off until' }).first()).toBeVisible({ timeout: 30_000 });
  server.api.setMode('up');
  await panel.locator('button[data-action="flush"]').click();
  await expect(panel.locator(`tr[data-id="${after.id}"]`)).toHaveAttribute('data-status', 'delivered', { timeout: 30_000 });
  await waitForStored(1);
  expectStoredExactly(server, [after.id], ['sent to the new worker']);
});

test('the panel is not in the client bundle: dist/client.js has none of it', () => {
  const client = readFileSync('dist/client.js', 'utf8');
  expect(client).not.toContain('outbox-devtools');
  expect(readFileSync('dist/devtools.js', 'utf8')).toContain('outbox-devtools');
});
