// Browser restart: messages queued offline survive closing the browser, and
// reach the server once, in order, when it starts again online.
//
// The browser runs on a profile kept on disk (launchPersistentContext on a
// temp dir). The demo server is started once for the test, so its port (and
// the origin) is the same across the restart.
//
// What delivers after the restart, as observed with Chromium 156 headless:
// - with Background Sync, Chromium starts the worker by itself about 50 ms
//   after launch to fire the pending one-shot sync: the queue is delivered
//   before any page of the site is opened;
// - without it (sync=0) nothing starts the worker until a page of the origin
//   is opened; a plain page that does not load the client is enough, because
//   its navigation starts the worker and the worker drains when it starts.
//   That case is checked in every engine that can restart on a profile
//   (Chromium, Firefox) by e2e/neutral/restart.spec.ts, the one copy; this
//   Chromium-only file keeps what needs Background Sync.
import { test, expect, sendAll, expectStoredExactly, texts, type DemoServer, type HarnessOptions } from '../fixtures';
import { tempProfile } from '../fault-helpers';
import type { BrowserContext, Page } from '@playwright/test';

const N = 6;

/** Opens the harness in a fresh profile, queues N messages offline, closes the browser. */
async function queueThenQuit(
  server: DemoServer,
  openHarness: (page: Page, swQuery?: string, options?: HarnessOptions) => Promise<void>,
  launch: () => Promise<BrowserContext>,
  swQuery: string,
  prefix: string,
) {
  const context = await launch();
  const page = context.pages()[0] ?? (await context.newPage());
  await openHarness(page, swQuery);
  await context.setOffline(true);
  const sent = texts(prefix, N);
  const results = await sendAll(page, sent);
  expect(results.map((r) => r.status)).toEqual(Array(N).fill('queued'));
  await context.close();
  expect(server.api.attempts, 'nothing reached the server before the restart').toHaveLength(0);
  return { sent, ids: results.map((r) => r.id) };
}

test('after a browser restart, offline-queued messages are delivered once and in order, before any page of the site is opened', async ({ server, openHarness, waitForStored }) => {
  const profile = tempProfile();
  let context: BrowserContext | undefined;
  try {
    const { sent, ids } = await queueThenQuit(server, openHarness, () => profile.launch(server.url), 'api=/api/chat', 'restart sync');

    const launchedAtMs = Date.now();
    context = await profile.launch(server.url);
    await waitForStored(N, { timeoutMs: 15_000, message: `${N} stored after the restart, with no page of the site open` });
    const pages = context.pages().map((p) => p.url());
    expect(pages.every((url) => !url.startsWith(server.url)), `no page of the site was open: ${pages.join(', ')}`).toBe(true);
    expectStoredExactly(server, ids, sent);
    expect(server.api.attempts.map((a) => a.outcome), 'one attempt per message: no drain ran twice').toEqual(Array(N).fill('stored'));
    console.log(`restart: delivered ${server.api.stored[0]!.receivedAtMs - launchedAtMs} ms after launch, by the browser-fired sync (no page open)`);
  } finally {
    await context?.close();
    profile.remove();
  }
});
