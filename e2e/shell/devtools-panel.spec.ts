// outbox/devtools in a page: the panel shows a message queued through an
// outage and then delivered, the worker's decision log live (switched on at
// run time in the one dist/sw.js: no debug=1 here), and its buttons flush and
// retry; what the server stored is the judge. Chromium (the panel is a
// development tool; nothing in it is engine-specific, but one engine is enough).
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect, expectStoredExactly, send } from '../fixtures';

async function mount(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const { mountOutboxDevtools } = await import('/devtools.js');
    const outbox = (window as unknown as { outbox: Parameters<typeof mountOutboxDevtools>[0] }).outbox;
    (window as unknown as { unmountDevtools: () => void }).unmountDevtools = mountOutboxDevtools(outbox);
  });
}

test('the panel shows a message queued through an outage, then delivered, with the worker\'s log and state; unmounted, the log is off', async ({ page, server, openHarness }) => {
  await openHarness(page, 'api=/api/chat&retryBase=1000&retryMax=2000', { probe: false });
  await mount(page);
  const panel = page.locator('outbox-devtools');
  const row = (id: string) => panel.locator(`tr[data-id="${id}"]`);
  await expect(panel.locator('h2', { hasText: 'decision log (on)' })).toBeVisible();

  // An outage: the message is queued, and the panel says so with the reason.
  server.api.setMode('503');
  const held = await send(page, 'held by the outage');
  expect(held.status).toBe('queued');
  await expect(row(held.id)).toHaveAttribute('data-status', 'queued', { timeout: 30_000 });
  await expect(row(held.id).locator('td.reason')).toHaveText('http-503', { timeout: 30_000 });
  await expect(panel.locator(`li[data-id="${held.id}"]`, { hasText: 'backing off until' }).first()).toBeVisible();
  // Refresh reads list() again: the lane's backoff gives the message's next try (until its next
  // status clears it, so asked again until a refresh lands between two attempts).
  await expect(async () => {
    await panel.locator('button[data-action="refresh"]').click();
    await expect(row(held.id).locator('td.next')).toHaveText(/^\d\d:\d\d:\d\d$/, { timeout: 1000 });
  }).toPass({ timeout: 30_000 });

  // The server is back; Flush in the panel delivers it.
  server.api.setMode('up');
  await panel.locator('button[data-action="flush"]').click();
  await expect(row(held.id)).toHaveAttribute('data-status', 'delivered', { timeout: 30_000 });
  await expect(panel.locator(`li[data-id="${held.id}"]`, { hasText: 'delivered' })).toBeVisible();
  expectStoredExactly(server, [held.id], ['held by the outage']);

  // The panel names the worker and what it last saw of the API.
  await expect(panel.locator('header')).toContainText('worker: controls this page');
  await expect(panel.locator('header')).toContainText('API answering');
  await expect(panel.locator('header')).toContainText(/storage: .*MiB used of/);
  // docs/devtools-panel.png is made here: OUTBOX_DEVTOOLS_SCREENSHOT=1 node e2e/run.mjs e2e/shell/devtools-panel.spec.ts
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
  expectStoredExactly(server, [held.id, quiet.id], ['held by the outage', 'after unmount']);
});

test('Retry in the panel on a failed (expired) message delivers it once', async ({ page, server, openHarness, waitFor }) => {
  // retention=0.1: six seconds, so a message held by the outage expires (failed, still retryable).
  await openHarness(page, 'api=/api/chat&retryBase=300&retryMax=600&retention=0.1', { probe: false });
  await mount(page);
  const panel = page.locator('outbox-devtools');
  const row = (id: string) => panel.locator(`tr[data-id="${id}"]`);
  // A message the outage held past the retention time is failed (expired); Retry in the panel delivers it.
  server.api.setMode('503');
  const expired = await send(page, 'expired, then retried');
  expect(expired.status).toBe('queued');
  await expect(row(expired.id)).toHaveAttribute('data-status', 'failed', { timeout: 60_000 });
  await expect(row(expired.id).locator('td.reason')).toHaveText('expired');
  server.api.setMode('up');
  await row(expired.id).locator('button[data-action="retry"]').click();
  await expect(row(expired.id)).toHaveAttribute('data-status', 'delivered', { timeout: 30_000 });
  await waitFor(() => server.api.stored.length === 1, { message: 'the retried message stored' });
  expectStoredExactly(server, [expired.id], ['expired, then retried']);
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
