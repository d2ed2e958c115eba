// A server outage (the network is fine), messages queued, the browser closed,
// the server back, the browser started again: the queue is delivered at the
// browser's start, with no page of the site open. The worker holds its
// Background Sync event open while its own timer retries, and registers again
// when the hold ends, so the registration is firing when the browser closes,
// and Chromium fires it again at its next start. A sync event that failed used
// to leave it to Chromium's backoff (5, 15, 45 minutes), then nothing.
import { test, expect, sendAll, expectStoredExactly, texts } from '../fixtures';
import { setMode, sleep, tempProfile } from '../fault-helpers';
import type { BrowserContext } from '@playwright/test';

test('queued during a server outage, browser closed, server back: delivered at the next browser start with no page open', async ({ server, openHarness, waitForStored }) => {
  // Two browser starts, and a close that waits for the held sync event (about 30 s).
  test.setTimeout(120_000);
  const profile = tempProfile();
  let context: BrowserContext | undefined;
  try {
    context = await profile.launch(server.url);
    const page = context.pages()[0] ?? (await context.newPage());
    await openHarness(page, 'api=/api/chat&retryBase=500&retryMax=2000', { probe: false });
    setMode(server, '503', { retryAfterSeconds: 0 });
    const sent = texts('outage', 3);
    const results = await sendAll(page, sent);
    expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
    // The browser fires the registration at once (online); the worker's timer retries meanwhile.
    await expect.poll(() => server.api.attempts.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    await sleep(1_000);
    // Closing takes about 30 s here: headless Chromium waits for the held sync event before it exits.
    await context.close();
    context = undefined;
    const attemptsBefore = server.api.attempts.length;
    expect(server.api.stored).toEqual([]);

    setMode(server, 'up');
    const launchedAtMs = Date.now();
    context = await profile.launch(server.url);
    await waitForStored(3, { timeoutMs: 30_000, message: 'delivered at the browser start, no page open' });
    console.log(`restart after an outage: delivered ${server.api.stored[0]!.receivedAtMs - launchedAtMs} ms after launch`);
    const pages = context.pages().map((p) => p.url());
    expect(pages.every((url) => !url.startsWith(server.url)), `no page of the site was open: ${pages.join(', ')}`).toBe(true);
    expectStoredExactly(server, results.map((r) => r.id), sent);
    expect(server.api.attempts.length).toBeGreaterThan(attemptsBefore);
  } finally {
    await context?.close();
    profile.remove();
  }
});
