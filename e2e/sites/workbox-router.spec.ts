// outboxHandler on a site's own workbox-routing router (the real one, 7.4.1
// here; e2e/sites/packed-package.spec.ts bundles it with 7.0.0): the router decides the
// order, the outbox behaves like any other strategy next to a precache route,
// a GET route and another POST route. And a conflicting route never takes the
// chat API's messages silently: the worker's console says so in development
// builds, every page's console says so always.
import { cpSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { testWithBuiltSite, expect, sendAll, list, expectStoredExactly, texts, waitForHarness, type DemoServer, type Page } from '../fixtures';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WARNING = /did not go through the outbox/;

type Variant = 'router' | 'leftover-route' | 'leftover-listener';

const test = testWithBuiltSite('/router/', async (dir) => {
  cpSync(path.join(repo, 'e2e/pages/harness.html'), path.join(dir, 'harness.html'));
  cpSync(path.join(repo, 'e2e/pages/harness.js'), path.join(dir, 'harness.js'));
  const manifest = [
    { url: '/router/harness.html', revision: '1' },
    { url: '/router/harness.js', revision: '1' },
    { url: '/client.js', revision: '1' },
  ];
  const builds: Array<[string, Variant, string]> = [
    ['router.js', 'router', 'production'],
    ['leftover-route.js', 'leftover-route', 'development'],
    ['leftover-route.prod.js', 'leftover-route', 'production'],
    ['leftover-listener.js', 'leftover-listener', 'development'],
  ];
  await Promise.all(
    builds.map(([file, variant, env]) =>
      build({
        entryPoints: [path.join(repo, 'e2e/pages/router/sw.ts')],
        outfile: path.join(dir, file),
        bundle: true,
        format: 'iife',
        target: 'es2022',
        logLevel: 'error',
        // `outbox/sw` as a site gets it from the package: the built library.
        alias: { 'outbox/sw': path.join(repo, 'dist/sw/index.js') },
        define: { VARIANT: JSON.stringify(variant), 'process.env.NODE_ENV': JSON.stringify(env), 'self.__WB_MANIFEST': JSON.stringify(manifest) },
      }),
    ),
  );
});

/** Console lines of the page and of the worker, apart. */
function consoles(page: Page): { page: string[]; worker: string[] } {
  const lines = { page: [] as string[], worker: [] as string[] };
  page.context().on('console', (message) => {
    const fromWorker = (message as unknown as { worker?: () => unknown }).worker?.();
    (fromWorker ? lines.worker : lines.page).push(message.text());
  });
  return lines;
}

async function open(page: Page, server: DemoServer, worker: string): Promise<void> {
  await page.goto(`${server.url}/router/harness.html?sw=${encodeURIComponent(worker)}`);
  await waitForHarness(page);
}

test('outboxHandler among precache, GET and POST routes: queued through an outage, delivered once in order; an offline reload comes from the precache; the other routes are untouched', async ({ page, context, server, waitForStored }) => {
  const lines = consoles(page);
  await open(page, server, 'router.js');

  server.api.setMode('unreachable');
  const first = await sendAll(page, texts('router outage', 3));
  expect(first.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);

  // The precache route serves the page and its scripts with the network gone; the queue is still there.
  await context.setOffline(true);
  await open(page, server, 'router.js');
  expect((await list(page)).map((m) => m.id)).toEqual(first.map((r) => r.id));
  await context.setOffline(false);

  // Another POST route (NetworkOnly) gets its request as it was: no outbox answer, no key added.
  const other = await page.evaluate(async () => {
    const response = await fetch('/api/other', { method: 'POST', body: 'x' });
    return { status: response.status, outbox: response.headers.get('Outbox-Status') };
  });
  expect(other).toEqual({ status: 404, outbox: null });
  // The GET route answers from the network.
  expect(await page.evaluate(async () => (await fetch('/api/messages')).status)).toBe(200);

  server.api.setMode('up');
  await waitForStored(3);
  await expect.poll(async () => (await list(page)).length).toBe(0);
  expectStoredExactly(server, first.map((r) => r.id), texts('router outage', 3));
  expect([...lines.page, ...lines.worker].filter((line) => WARNING.test(line)), 'no warning when the routes are right').toEqual([]);
});

for (const [worker, by, workerWarns] of [
  ['leftover-route.js', 'route', true],
  ['leftover-route.prod.js', 'route', false],
  ['leftover-listener.js', 'listener', true],
] as const) {
  test(`a leftover recipe route ahead of the outbox (${by}, ${workerWarns ? 'development' : 'production'} build) is announced on the page${workerWarns ? ' and in the worker' : ''}, never silent`, async ({ page, server }) => {
    const lines = consoles(page);
    await open(page, server, worker);
    server.api.setMode('unreachable');
    const [result] = await sendAll(page, ['taken by the leftover route']);
    // What the issue saw: the recipe's route answers (its fetch fails), the outbox holds nothing.
    expect(result!.status).toBe('failed');
    expect(result!.reason).toBe('network');
    expect(await list(page)).toEqual([]);

    await expect.poll(() => lines.page.filter((line) => WARNING.test(line)).length, { message: "the page's console" }).toBeGreaterThan(0);
    const [warning] = lines.page.filter((line) => WARNING.test(line));
    expect(warning).toContain(`${server.url}/api/chat`);
    expect(warning).toContain(by === 'route' ? 'the router did not hand it to outboxHandler' : "another fetch listener answered it before the outbox's");
    expect(warning).toContain('docs/migration.md');
    // The worker says it only in a development build.
    if (workerWarns) await expect.poll(() => lines.worker.filter((line) => WARNING.test(line)).length, { message: "the worker's console" }).toBeGreaterThan(0);
    else expect(lines.worker.filter((line) => WARNING.test(line))).toEqual([]);
  });
}
