// Finding 6: the wall clock stepping (NTP, a person changing the time) must
// neither stall the queue nor expire it. The worker here is a test-only
// wrapper that offsets Date.now() by what the page tells it, then loads the
// real dist/sw.js with importScripts. Backoff deadlines used to be absolute
// Date.now() values: a step back made the timer find "too early" and set no
// new timer, and every trigger answered `backoff` until the worker restarted.
import { test, expect, list, events, expectStoredExactly, type Page } from '../fixtures';
import { openWith, sendWith, serveWorker } from '../promise-helpers';

const CLOCK_WORKER = `
const realNow = Date.now;
let offsetMs = 0;
Date.now = () => realNow() + offsetMs;
self.addEventListener('message', (event) => {
  if (typeof event.data?.clockOffsetMs !== 'number') return;
  offsetMs = event.data.clockOffsetMs;
  event.ports[0]?.postMessage('stepped');
});
importScripts('/sw.js');
`;

const HOUR_MS = 60 * 60 * 1000;

function stepClock(page: Page, offsetMs: number): Promise<void> {
  return page.evaluate(
    (ms) =>
      new Promise<void>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve();
        navigator.serviceWorker.controller!.postMessage({ clockOffsetMs: ms }, [channel.port2]);
      }),
    offsetMs,
  );
}

test('the worker\'s clock stepping back does not stall the backoff, and stepping forward does not expire the queue', async ({ page, server, waitFor, waitForStored }) => {
  serveWorker(server, '/clock-sw.js', CLOCK_WORKER);
  // Only the worker's own timer retries: no probe, no page `online`, no Background Sync.
  await openWith(page, server, '/clock-sw.js?api=/api/chat&sync=0&retryBase=400&retryMax=800&retention=60', { probe: '0', online: '0' });

  server.api.setMode('503');
  const first = await sendWith(page, 'queued before the clock went back');
  expect(first.status).toBe('queued');
  await stepClock(page, -2 * HOUR_MS);
  server.api.setMode('up');
  await waitForStored(1, { timeoutMs: 6_000, message: 'the backoff timer delivers it although the clock went back two hours' });

  server.api.setMode('unreachable');
  const second = await sendWith(page, 'queued before the clock jumped ahead');
  expect(second.status).toBe('queued');
  // Past the retention time (60 minutes) in one step.
  await stepClock(page, 3 * HOUR_MS);
  const pending = await list(page);
  // The worker's timer may have it on the wire right now (`sending`): what matters is that it is not `failed` / `expired`.
  expect(pending.map((m) => [m.id, m.status === 'sending' ? 'queued' : m.status]), 'not expired by the step').toEqual([[second.id, 'queued']]);
  expect(pending[0]!.reason).not.toBe('expired');
  server.api.setMode('up');
  await page.evaluate(() => (window as any).outbox.flush());
  await waitForStored(2, { timeoutMs: 6_000 });
  expectStoredExactly(server, [first.id, second.id], ['queued before the clock went back', 'queued before the clock jumped ahead']);
  expect((await events(page)).some((e) => e.status === 'failed'), 'nothing was shown failed').toBe(false);
  await waitFor(async () => (await list(page)).length === 0, { message: 'list() empties' });
});
