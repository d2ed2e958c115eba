// Findings 2 and 7: worker updates.
// 2. A new version used to announce itself while the old one still controlled
//    the page, so the page declared its session to the old one: the new
//    version never learned who was signed in, and a signed-in user's queue
//    stalled for good. Now the client declares again on `controllerchange`
//    and the worker asks again once it is active.
// 7. "The queue is known empty" was a belief each worker held on its own: a
//    new version that started while the queue was empty sent a new message
//    straight out, past the ones the old version queued meanwhile. Now the
//    straight path checks the store, under the lock.
import { test, expect, list, expectStoredExactly, texts, type Page } from '../fixtures';
import { sleep } from '../fault-helpers';
import { bearer, sendAs, storedWithAuth } from '../accounts/helpers';
import { sendWith, serveWorker } from '../promise-helpers';

function controllerUrl(page: Page): Promise<string | undefined> {
  return page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
}

for (const creds of ['object', 'fn'] as const) {
  test(`a signed-in user's queued messages go out with their Authorization after a new version takes over (credentials as ${creds === 'fn' ? 'a function' : 'an object'})`, async ({ page, server, openHarness, waitFor, waitForStored }) => {
    server.api.validTokens.add('tok-alice');
    await openHarness(page, 'api=/api/chat', { ns: 'alice', token: 'tok-alice', ...(creds === 'fn' ? { creds: 'fn' as const } : {}) });
    server.api.setMode('unreachable');
    const sent = texts('before the update', 3);
    const results = await sendAs(page, sent);
    expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);

    await page.evaluate((url) => navigator.serviceWorker.register(url).then(() => undefined), '/sw.js?api=/api/chat&v=2');
    await waitFor(async () => (await controllerUrl(page))?.endsWith('v=2'), { timeoutMs: 15_000, message: 'the new version controls the page' });
    server.api.setMode('up');
    // No page action: the client and the new worker sort out who is signed in by themselves.
    await waitForStored(3, { timeoutMs: 20_000 });
    expectStoredExactly(server, results.map((r) => r.id), sent);
    expect(storedWithAuth(server).map((m) => m.authorization), 'each with alice\'s token').toEqual(Array(3).fill(bearer('tok-alice')));
    await waitFor(async () => (await list(page)).length === 0, { message: 'list() empties' });
  });
}

// A new version whose install waits until the test releases it: its script
// (and its start drain, on an empty queue) runs while the old version still
// controls the page and queues messages.
const HELD_WORKER = `
self.addEventListener('install', (event) => {
  event.waitUntil(new Promise((resolve) => self.addEventListener('message', (m) => m.data === 'release' && resolve())));
});
importScripts('/sw.js');
`;

test('a new version never sends a new message past the ones the old version queued while it was installing', async ({ page, server, openHarness, waitFor, waitForStored }) => {
  serveWorker(server, '/held-sw.js', HELD_WORKER);
  // The old version retries only on its own timer, and not for a minute.
  await openHarness(page, 'api=/api/chat&sync=0&retryBase=60000&retryMax=60000', { probe: false, online: false });
  await page.evaluate(() => navigator.serviceWorker.register('/held-sw.js?api=/api/chat&sync=0&v=2').then(() => undefined));
  await waitFor(() => page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.installing), { message: 'the new version is installing' });
  await sleep(500); // its start drain finds the queue empty

  server.api.setMode('unreachable');
  const old = texts('queued by the old version', 2);
  const queued = [];
  for (const text of old) queued.push(await sendWith(page, text));
  expect(queued.map((r) => r.status)).toEqual(['queued', 'queued']);
  server.api.setMode('up');

  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.installing!.postMessage('release'));
  await waitFor(async () => (await controllerUrl(page))?.includes('held-sw.js'), { timeoutMs: 15_000, message: 'the new version controls the page' });
  const fresh = await sendWith(page, 'sent to the new version');
  expect(fresh.status).not.toBe('failed');
  await page.evaluate(() => (window as any).outbox.flush());
  await waitForStored(3);
  expectStoredExactly(server, [...queued.map((r) => r.id), fresh.id], [...old, 'sent to the new version']);
});
