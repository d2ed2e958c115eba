// A ready-made worker given a configuration it cannot use says so on the
// page: createOutbox() rejects with OutboxConfigError in the words of the
// query key the developer wrote, instead of "ServiceWorker script evaluation
// failed". The worker keeps nothing and intercepts nothing meanwhile: the
// chat's POSTs reach the server as they are.
import type { Page } from '@playwright/test';
import { test, expect, harnessUrl } from '../fixtures';

/** Opens the harness with this worker query; the error the page got from createOutbox (name: message). */
async function configError(page: Page, origin: string, swQuery: string): Promise<string> {
  await page.goto(harnessUrl(origin, `/sw.js?${swQuery}`));
  const handle = await page.waitForFunction(() => (window as any).outboxReady === true || (window as any).outboxError, null, { timeout: 20_000 });
  const value = await handle.jsonValue();
  if (value === true) return 'no error';
  return String(value).split('\n')[0]!;
}

test('a value the worker cannot take: OutboxConfigError names the query key, the unit and an example', async ({ page, server }) => {
  expect(await configError(page, server.url, 'api=/api/chat&retention=1day')).toBe(
    "OutboxConfigError: outbox: retention=1day in the worker's URL: retention takes a number of minutes above 0, e.g. retention=1440",
  );
});

test('with the app shell on (shell=), a value the worker cannot take is still an OutboxConfigError, not a script that fails to evaluate', async ({ page, server }) => {
  // dist/sw-shell.js takes the outbox's queue and api from dist/sw.js; it used to parse the query again and throw.
  expect(await configError(page, server.url, 'api=/api/chat&retention=1day&shell=/')).toBe(
    "OutboxConfigError: outbox: retention=1day in the worker's URL: retention takes a number of minutes above 0, e.g. retention=1440",
  );
});

test('a misspelt key is not ignored in silence: did you mean; an unrelated key (a cache-busting v=2) is the site\'s own', async ({ page, browser, server }) => {
  expect(await configError(page, server.url, 'api=/api/chat&retenton=1440')).toBe(
    "OutboxConfigError: outbox: the worker's URL has 'retenton=', which it does not know: did you mean 'retention'?",
  );
  // A browser context of its own: a registration of its own, not an update of the one above.
  const fresh = await browser.newContext();
  try {
    expect(await configError(await fresh.newPage(), server.url, 'api=/api/chat&v=2')).toBe('no error');
  } finally {
    await fresh.close();
  }
});

test('an option the worker refuses (api=api/chat, not a path) is an OutboxConfigError too, and under it the chat\'s POST reaches the server untouched', async ({ page, server }) => {
  const error = await configError(page, server.url, 'api=api/chat');
  expect(error).toMatch(/^OutboxConfigError: outbox: option 'apiPaths': each must start with '\/', got "api\/chat"/);
  // The worker controls the page but keeps nothing: a plain fetch goes to the network as it is.
  const answer = await page.evaluate(async () => {
    const response = await fetch('/api/chat', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'cfg-1' }, body: JSON.stringify({ text: 'straight to the server' }) });
    return { status: response.status, outbox: response.headers.get('Outbox-Status'), controlled: navigator.serviceWorker.controller !== null };
  });
  expect(answer).toEqual({ status: 201, outbox: null, controlled: true });
  expect(server.api.stored.map((m) => [m.key, JSON.parse(m.bodyText).text])).toEqual([['cfg-1', 'straight to the server']]);
});
