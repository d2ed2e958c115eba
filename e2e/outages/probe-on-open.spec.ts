// A page opened on messages an earlier visit left, while the API is down: its
// declaration kicks a drain, whose report (stopped by the outage) starts the
// page's health probe at once, without the page sending or listing anything
// (a list reads every stored body: with 10,000 queued it kept the worker busy
// for seconds on every page load). The worker's timer is set a minute off and
// Background Sync is off, so nothing else would tell this page to probe.
import { test, expect, sendAll, texts } from '../fixtures';

test('a page opened on messages an earlier visit left probes the API for them at once, without sending or listing', async ({ context, server, openHarness }) => {
  const worker = 'api=/api/chat&retryBase=60000&retryMax=60000&sync=0';
  const first = await context.newPage();
  await openHarness(first, worker, { probe: false });
  server.api.setMode('unreachable');
  const results = await sendAll(first, texts('left', 2));
  expect(results.map((r) => r.status)).toEqual(['queued', 'queued']);
  await first.close();

  const second = await context.newPage();
  let probes = 0;
  second.on('request', (request) => {
    if (request.url().endsWith('/api/health')) probes += 1;
  });
  // Every command the page posts to the worker, by type.
  await second.addInitScript(() => {
    const commands: string[] = ((window as any).outboxCommands = []);
    const post = ServiceWorker.prototype.postMessage as (this: ServiceWorker, message: any, transfer: Transferable[]) => void;
    ServiceWorker.prototype.postMessage = function (this: ServiceWorker, message: any, transfer?: any) {
      commands.push(String(message?.command?.type));
      return post.call(this, message, transfer ?? []);
    } as typeof ServiceWorker.prototype.postMessage;
  });
  await openHarness(second, worker, { healthMs: 1_000 });
  await expect.poll(() => probes, { message: 'the probe asks the API', timeout: 10_000 }).toBeGreaterThan(0);
  // What the probe learned reaches the page's connection state.
  await expect.poll(() => second.evaluate(() => (window as any).outbox.connection.get().state), { timeout: 10_000 }).toBe('unreachable');
  expect(server.api.stored).toEqual([]);
  const commands = await second.evaluate(() => (window as any).outboxCommands as string[]);
  expect(commands, 'it said hello').toContain('hello');
  expect(commands, 'nothing listed the queue').not.toContain('list');
});
