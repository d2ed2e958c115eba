// The `debug` option (`?debug=1` for the ready-made worker): each decision
// about a message, with its id and the reason, in the worker's console, read
// here over CDP. The lean dist/sw.js carries none of it: it hands a debug
// registration to dist/sw-full.js.
import { readFileSync } from 'node:fs';
import { test, expect, send } from './fixtures';
import { workerConsole } from './promise-helpers';

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
  // The production build has no trace strings at all.
  const lean = readFileSync('dist/sw.js', 'utf8');
  expect(lean).not.toContain('backing off until');
  expect(readFileSync('dist/sw-full.js', 'utf8')).toContain('backing off until');
});
