// The `debug` option (`?debug=1` for the ready-made worker): each decision
// about a message, with its id and the reason, in the worker's console, read
// here over CDP. Switched on at run time in the one dist/sw.js (by `debug=1`
// or a page's `trace` command); there is no other build to load for it.
import { existsSync, readFileSync } from 'node:fs';
import { test, expect, expectStoredExactly, send } from '../fixtures';
import { workerConsole } from '../promise-helpers';

test('debug=1 logs each decision with the message id: queued because, sent, backing off until, delivered, set aside', async ({ page, browser, server, openHarness, waitFor }) => {
  await openHarness(page, 'api=/api/chat&debug=1&retryBase=300&retryMax=600', { probe: false });
  const console = await workerConsole(browser, server.url);
  try {
    server.api.setMode('503');
    const retried = await send(page, 'retried once');
    const behind = await send(page, 'behind it');
    expect([retried.status, behind.status]).toEqual(['queued', 'queued']);
    server.api.setMode('up');
    await waitFor(() => server.api.stored.length === 2, { message: 'both delivered' });
    const refused = await send(page, { text: '' });
    expect(refused).toMatchObject({ status: 'failed', reason: 'http-422' });
    const line = (id: string, pattern: RegExp) => console.lines.some((l) => l.startsWith(`outbox ${id}: `) && pattern.test(l));
    await waitFor(() => line(refused.id, /set aside: http-422/), { message: `the set-aside line\n${console.lines.join('\n')}` });
    expect(line(retried.id, /^outbox \S+: sent \(attempt 1\)$/), console.lines.join('\n')).toBe(true);
    expect(line(retried.id, /backing off until \d{4}-\d\d-\d\dT.*\(http-503\)/)).toBe(true);
    expect(line(behind.id, /queued because/)).toBe(true);
    expect(line(retried.id, /delivered$/)).toBe(true);
    expect(line(behind.id, /delivered$/)).toBe(true);
  } finally {
    await console.close();
  }
  // The worker that logged is the one a site runs: dist/sw.js loads no other build for it.
  const worker = readFileSync('dist/sw.js', 'utf8');
  expect(worker).toContain('backing off until');
  expect(worker).not.toContain('sw-full');
  expect(existsSync('dist/sw-full.js')).toBe(false);
});

test('a page switches the decision log on at run time, without debug=1: lines in the worker console and to every window; off again, none', async ({ page, browser, server, openHarness, waitFor }) => {
  await openHarness(page, 'api=/api/chat', { probe: false });
  // Every window of the origin hears the log as `trace` broadcasts on the outbox channel.
  await page.evaluate(() => {
    const lines: string[] = ((window as unknown as { traceLines: string[] }).traceLines = []);
    new BroadcastChannel('outbox:outbox').onmessage = ({ data }) => {
      if (data?.type === 'trace') lines.push(`${data.id}: ${data.decision}`);
    };
  });
  const traceLines = () => page.evaluate(() => (window as unknown as { traceLines: string[] }).traceLines);
  const rawCommand = (command: { type: 'trace'; on: boolean }) =>
    page.evaluate((command) => (window as unknown as { rawCommand(c: unknown): Promise<unknown> }).rawCommand(command), command);
  const console = await workerConsole(browser, server.url);
  try {
    const quiet = await send(page, 'before the log is on');
    expect(quiet.status).toBe('delivered');
    expect(await rawCommand({ type: 'trace', on: true })).toEqual({ ok: true, value: { tracing: true } });
    server.api.setMode('503');
    const traced = await send(page, 'traced');
    expect(traced.status).toBe('queued');
    server.api.setMode('up');
    await waitFor(() => server.api.stored.some((m) => m.key === traced.id), { message: 'delivered after the outage' });
    await waitFor(async () => (await traceLines()).includes(`${traced.id}: delivered`), { message: 'the delivered line reached the page' });
    expect(await traceLines()).toContain(`${traced.id}: sent (attempt 1)`);
    expect((await traceLines()).some((line) => line.startsWith(`${traced.id}: backing off until`))).toBe(true);
    await waitFor(() => console.lines.includes(`outbox ${traced.id}: delivered`), { message: `the worker console\n${console.lines.join('\n')}` });
    // Nothing about the message sent before the page asked.
    expect(console.lines.some((line) => line.includes(quiet.id))).toBe(false);

    expect(await rawCommand({ type: 'trace', on: false })).toEqual({ ok: true, value: { tracing: false } });
    const after = await send(page, 'after the log is off');
    expect(after.status).toBe('delivered');
    const seen = (await traceLines()).length;
    await page.waitForTimeout(500);
    expect((await traceLines()).length).toBe(seen);
    expect(console.lines.some((line) => line.includes(after.id))).toBe(false);
    expectStoredExactly(server, [quiet.id, traced.id, after.id], ['before the log is on', 'traced', 'after the log is off']);
  } finally {
    await console.close();
  }
});
