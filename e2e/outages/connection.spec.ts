// `outbox.connection`: the page's one state value for its way to the API
// (online, offline, checking, unreachable, and since when), learned from the
// outbox's own traffic and the health probe, the same in every tab. Asserted
// against what the server stored and what the states were, in order.
import type { Page } from '@playwright/test';
import type { ConnectionState } from '../../client/index.ts';
import { test, expect, send, call, events, expectStoredExactly } from '../fixtures';

/** Starts recording every state the page's connection goes through. */
async function recordConnection(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { outbox: { connection: { subscribe(l: (s: ConnectionState) => void): () => void } }; connectionLog: ConnectionState[] };
    w.connectionLog = [];
    w.outbox.connection.subscribe((state) => w.connectionLog.push(state));
  });
}

const states = (page: Page): Promise<ConnectionState[]> => page.evaluate(() => (window as unknown as { connectionLog: ConnectionState[] }).connectionLog);
const lastState = async (page: Page): Promise<ConnectionState | undefined> => (await states(page)).at(-1);

test('an API outage is `unreachable` with its reason and start, going offline keeps the start, and the first answer makes it `online` in every tab', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page, 'api=/api/chat&retryBase=200&retryMax=2000', { healthMs: 1_000 });
  const other = await context.newPage();
  await openHarness(other, 'api=/api/chat&retryBase=200&retryMax=2000', { healthMs: 1_000 });
  await recordConnection(page);
  await recordConnection(other);
  expect(await lastState(page)).toEqual({ state: 'online' });

  server.api.setMode('unreachable');
  const beforeMs = Date.now();
  const first = await send(page, { text: 'during the outage' });
  expect(first.status).toBe('queued');
  await expect.poll(async () => (await lastState(page))?.state).toBe('unreachable');
  const down = (await lastState(page)) as Extract<ConnectionState, { state: 'unreachable' }>;
  expect(down.reason).toBe('network');
  expect(down.downSinceMs).toBeGreaterThanOrEqual(beforeMs - 50);
  // The other tab sent nothing: it learns from the worker's broadcast of this tab's message.
  await expect.poll(async () => (await lastState(other))?.state, { message: 'the other tab hears of the outage' }).toBe('unreachable');

  // The network goes too, then comes back while the API is still down: one outage, one start.
  await context.setOffline(true);
  await expect.poll(async () => lastState(page)).toEqual({ state: 'offline', downSinceMs: down.downSinceMs });
  await context.setOffline(false);
  await expect.poll(async () => (await lastState(page))?.state, { message: 'the probe finds the API still down' }).toBe('unreachable');
  expect(((await lastState(page)) as { downSinceMs: number }).downSinceMs, 'the outage keeps its start').toBe(down.downSinceMs);
  expect((await states(page)).map((s) => s.state)).toContain('checking');
  expect(server.api.stored).toHaveLength(0);

  // The API returns; nobody on the page does anything.
  server.api.setMode('up');
  await waitForStored(1, { timeoutMs: 15_000, message: 'the queued message delivered once the API is back' });
  expectStoredExactly(server, [first.id], ['during the outage']);
  await expect.poll(async () => lastState(page), { timeout: 15_000 }).toEqual({ state: 'online' });
  await expect.poll(async () => lastState(other), { timeout: 15_000, message: 'the other tab too' }).toEqual({ state: 'online' });
  // Back, with nothing waiting: the probe stops (the connection never polls an idle API).
  let probes = 0;
  page.on('request', (request) => { if (request.url().endsWith('/api/health')) probes += 1; });
  await page.waitForTimeout(3_000);
  expect(probes, 'health requests after the API answered with nothing waiting').toBe(0);
});

test('a refusal is an answer: a 503 makes the connection `unreachable`, and a 422 after it makes it `online` again', async ({ page, server, openHarness }) => {
  // No probe: only the sends' own answers may move the state.
  await openHarness(page, 'api=/api/chat&retryBase=200&retryMax=500', { probe: false });
  await recordConnection(page);
  server.api.setMode('503');
  const queued = await send(page, { text: 'overloaded' });
  expect(queued).toMatchObject({ status: 'queued', reason: 'http-503' });
  await expect.poll(async () => lastState(page)).toMatchObject({ state: 'unreachable', reason: 'http-503' });
  // Nothing queued ahead of the next send, so the server's refusal reaches the page.
  await call(page, 'discard', queued.id);
  server.api.setMode('up');
  // The demo API refuses an empty text with 422: the API answered, so the
  // outage is over. (Sent at once, or queued for the lane's backoff and sent
  // by the worker's timer: either way the page hears the refusal.)
  const refused = await send(page, { text: '' });
  await expect.poll(async () => (await events(page)).find((e) => e.id === refused.id && e.status === 'failed')?.reason ?? (refused.status === 'failed' ? refused.reason : undefined), { timeout: 15_000 }).toBe('http-422');
  await expect.poll(async () => lastState(page)).toEqual({ state: 'online' });
  expect((await states(page)).map((s) => s.state)).toEqual(['online', 'unreachable', 'online']);
  expect(server.api.stored).toHaveLength(0);
});

test('without a health URL, the network coming back is `online` at once (nothing would check the API)', async ({ page, context, openHarness }) => {
  await openHarness(page, 'api=/api/chat', { probe: false });
  await recordConnection(page);
  await context.setOffline(true);
  await expect.poll(async () => (await lastState(page))?.state).toBe('offline');
  await context.setOffline(false);
  await expect.poll(async () => lastState(page)).toEqual({ state: 'online' });
  expect((await states(page)).map((s) => s.state)).toEqual(['online', 'offline', 'online']);
});
