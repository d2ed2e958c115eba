// createOutbox({ type: 'module' }): an own worker written as an ES module (a
// static import, which a classic script cannot evaluate) is registered as
// one, and messages sent through it during an outage arrive once, in order.
// Also adopted: the page registers the module worker itself.
import { cpSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { testWithBuiltSite, expect, expectStoredExactly, sendAll, waitForHarness } from '../fixtures';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const test = testWithBuiltSite('/module/', async (dir) => {
  // The harness page beside the worker, so the worker's scope (/module/) covers it.
  for (const file of ['harness.html', 'harness.js']) cpSync(path.join(repo, 'e2e/pages', file), path.join(dir, file));
  for (const file of ['sw.js', 'sw-bad-options.js']) cpSync(path.join(repo, 'e2e/pages/module-worker', file), path.join(dir, file));
  // `outbox/sw` as a site gets it from the package (the built library), as one ES module the worker imports.
  await build({
    stdin: { contents: "export { installOutbox } from 'outbox/sw';", resolveDir: repo, loader: 'js' },
    outfile: path.join(dir, 'outbox-sw.js'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    logLevel: 'error',
    alias: { 'outbox/sw': path.join(repo, 'dist/sw/index.js') },
    define: { 'process.env.NODE_ENV': '"production"' },
  });
});

for (const how of ['createOutbox registers it', 'the page registers it and createOutbox adopts it']) {
  test(`an ES module worker with type 'module' (${how}): an outage is delivered once, in order`, async ({ page, server, waitForStored }) => {
    const query = new URLSearchParams({ sw: '/module/sw.js', type: 'module' });
    if (how.startsWith('the page')) query.set('register', 'page');
    await page.goto(`${server.url}/module/harness.html?${query}`);
    await waitForHarness(page);
    const worker = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
    expect(worker).toBe(`${server.url}/module/sw.js`);
    const scopes = await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).map((r) => new URL(r.scope).pathname));
    expect(scopes, 'one registration: the module worker\'s, none registered beside it').toEqual(['/module/']);

    server.api.setMode('unreachable');
    const texts = ['module #1', 'module #2', 'module #3'];
    const sent = await sendAll(page, texts);
    expect(sent.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
    server.api.setMode('up');
    await waitForStored(3);
    expectStoredExactly(server, sent.map((r) => r.id), texts);
    await expect
      .poll(async () => page.evaluate((ids) => ids.map((id) => (window as any).events.filter((e: any) => e.id === id).at(-1)?.status), sent.map((r) => r.id)))
      .toEqual(['delivered', 'delivered', 'delivered']);
  });
}

test('an own worker given options it cannot use: createOutbox rejects with OutboxConfigError naming the option, the worker\'s other routes still run, and the chat\'s POST reaches the server untouched', async ({ page, server }) => {
  const query = new URLSearchParams({ sw: '/module/sw-bad-options.js', type: 'module' });
  await page.goto(`${server.url}/module/harness.html?${query}`);
  const handle = await page.waitForFunction(() => (window as any).outboxReady === true || (window as any).outboxError, null, { timeout: 20_000 });
  expect(String(await handle.jsonValue()).split('\n')[0]).toMatch(/^OutboxConfigError: outbox: option 'apiPaths': each must start with '\/', got "api\/chat"/);
  const seen = await page.evaluate(async () => {
    const own = await (await fetch('/module/own-route')).text();
    const response = await fetch('/api/chat', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'own-cfg-1' }, body: JSON.stringify({ text: 'straight to the server' }) });
    return { own, status: response.status, outbox: response.headers.get('Outbox-Status'), controlled: navigator.serviceWorker.controller !== null };
  });
  expect(seen).toEqual({ own: 'the site route still answers', status: 201, outbox: null, controlled: true });
  expect(server.api.stored.map((m) => [m.key, JSON.parse(m.bodyText).text])).toEqual([['own-cfg-1', 'straight to the server']]);
});
