// Finding 4: what the page is told about an aborted send must match what the
// worker does. Once `send()` is called the message is the outbox's: the
// worker may have stored it and put it on the wire before any abort could
// reach it. So the signal is not passed on, and the send resolves with the
// worker's answer, never `failed` with the body handed back (which a user
// would retype and send twice) while the stored copy goes out.
import { test, expect, list, expectStoredExactly } from '../fixtures';

test('an AbortSignal that fires mid-send does not make the page think the message was not kept: one copy stored, the page told delivered, no body handed back', async ({ page, server, openHarness, waitFor, waitForStored }) => {
  await openHarness(page);
  server.api.delayMs = 600; // the answer is slow: the abort fires while the message is on the wire
  const result = await page.evaluate(async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const sent = await (window as any).outbox.send('/api/chat', { text: 'aborted by the page' }, { signal: controller.signal });
    return { ...sent, response: undefined, hasBody: 'body' in sent, aborted: controller.signal.aborted };
  });
  expect(result.aborted).toBe(true);
  expect(result.hasBody, 'no body handed back: the outbox kept it').toBe(false);
  expect(result.status, 'told what the worker did').toBe('delivered');
  await waitForStored(1);
  expectStoredExactly(server, [result.id], ['aborted by the page']);

  // Offline, the same: queued, kept, delivered later; still no body handed back.
  server.api.delayMs = 0;
  server.api.setMode('unreachable');
  const queued = await page.evaluate(async () => {
    const controller = new AbortController();
    const sending = (window as any).outbox.send('/api/chat', { text: 'aborted while queued' }, { signal: controller.signal });
    controller.abort();
    const sent = await sending;
    return { ...sent, hasBody: 'body' in sent };
  });
  expect(queued).toMatchObject({ status: 'queued', hasBody: false });
  server.api.setMode('up');
  await page.evaluate(() => (window as any).outbox.flush());
  await waitForStored(2);
  expectStoredExactly(server, [result.id, queued.id], ['aborted by the page', 'aborted while queued']);
  await waitFor(async () => (await list(page)).length === 0, { message: 'list() empties' });
});
