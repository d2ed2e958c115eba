// A Vite app (e2e/vite-app/) with outbox/vite, in `vite` dev (the dev
// server started here, on 127.0.0.1 and a free port) and after `vite build`
// (served by `vite preview`): the ready-made worker and the files it loads
// are served with a JavaScript MIME type and no copy by hand, and messages
// sent while the API is down reach the test's API server once each, in order.
// The API is the demo server, behind Vite's proxy as a Vite site's API is in dev.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, createServer, preview, type InlineConfig } from 'vite';
import { test, expect, expectStoredExactly, sendAll, waitForHarness, type DemoServer, type Page } from '../fixtures';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = path.join(repo, 'dist');

// The plugin as a site gets it: the built dist/vite.js (which finds dist/sw.js beside itself).
const { outboxWorker } = (await import(pathToFileURL(path.join(dist, 'vite.js')).href)) as typeof import('../../vite/index.js');

/** The files the package's sw.js loads with importScripts, read from it. */
const companions = [...readFileSync(path.join(dist, 'sw.js'), 'utf8').matchAll(/importScripts\("([\w.-]+)"\)/g)].map((m) => m[1]!);

function appConfig(api: DemoServer, tmp: string): InlineConfig {
  return {
    root: path.join(repo, 'e2e/vite-app'),
    configFile: false,
    cacheDir: path.join(tmp, 'cache'),
    logLevel: 'silent',
    // `outbox/client` as a site gets it from the package: the built file.
    resolve: { alias: { 'outbox/client': path.join(dist, 'client.js'), 'outbox/sw': path.join(dist, 'sw/index.js') } },
    plugins: [outboxWorker()],
    server: { host: '127.0.0.1', port: 0, proxy: { '/api': api.url }, watch: null },
    preview: { host: '127.0.0.1', port: 0, proxy: { '/api': api.url } },
    build: { outDir: path.join(tmp, 'out'), emptyOutDir: true },
  };
}

/** What a fetch of `url` from the page gives: status, MIME type and text. */
function fetchFromPage(page: Page, url: string) {
  return page.evaluate(async (u) => {
    const response = await fetch(u, { cache: 'no-store' });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  }, url);
}

/** The page's last status for each id. */
function lastStatuses(page: Page, ids: string[]) {
  return page.evaluate(
    (list) => list.map((id) => ((window as any).events as Array<{ id: string; status: string }>).filter((e) => e.id === id).at(-1)?.status),
    ids,
  );
}

async function sendThroughOutage(page: Page, server: DemoServer, waitForStored: (n: number) => Promise<unknown>, label: string): Promise<void> {
  server.api.setMode('unreachable');
  const texts = [1, 2, 3].map((n) => `${label} #${n}`);
  const sent = await sendAll(page, texts);
  expect(sent.map((r) => r.status), 'queued while the API is down').toEqual(['queued', 'queued', 'queued']);
  expect(server.api.stored).toHaveLength(0);
  server.api.setMode('up');
  await waitForStored(3);
  expectStoredExactly(server, sent.map((r) => r.id), texts);
  await expect.poll(() => lastStatuses(page, sent.map((r) => r.id))).toEqual(['delivered', 'delivered', 'delivered']);
  expect(server.api.stored, 'nothing more arrives later').toHaveLength(3);
}

async function openApp(page: Page, url: string): Promise<void> {
  await page.context().grantPermissions(['background-sync'], { origin: url });
  await page.goto(`${url}/`);
  await waitForHarness(page);
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${url}/sw.js?api=/api/chat`);
}

test('vite dev: outbox/vite serves the worker and its companions; an outage is delivered once, in order', async ({ page, server, waitForStored }) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'outbox-vite-dev-'));
  const vite = await createServer(appConfig(server, tmp));
  try {
    await vite.listen();
    const url = vite.resolvedUrls!.local[0]!.replace(/\/$/, '');
    await openApp(page, url);
    // The package's files as they are, as JavaScript (not Vite's index.html fallback).
    for (const name of ['sw.js', ...companions]) {
      const served = await fetchFromPage(page, `/${name}`);
      expect(served.type, name).toBe('text/javascript; charset=utf-8');
      expect(served.text === readFileSync(path.join(dist, name), 'utf8'), `${name} is the package's`).toBe(true);
    }
    // The companions load at run time too: with `shell=` the worker importScripts sw-shell.js (a 404 there fails its evaluation).
    const shellWorker = await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.register('/sw.js?api=/api/chat&shell=/', { scope: '/shell-check/' });
      const worker = registration.installing ?? registration.waiting ?? registration.active;
      const settled = (state: string) => state === 'activated' || state === 'redundant';
      if (worker && !settled(worker.state)) await new Promise((resolve) => worker.addEventListener('statechange', () => settled(worker.state) && resolve(null)));
      return worker?.state;
    });
    expect(shellWorker, 'the worker with sw-shell.js loaded').toBe('activated');
    await sendThroughOutage(page, server, waitForStored, 'vite dev');
  } finally {
    await vite.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('vite dev, an own worker as an ES module (outbox/sw, Workbox through Vite) with type \'module\': an outage is delivered once, in order', async ({ page, server, waitForStored }) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'outbox-vite-own-'));
  const vite = await createServer(appConfig(server, tmp));
  try {
    await vite.listen();
    const url = vite.resolvedUrls!.local[0]!.replace(/\/$/, '');
    await page.context().grantPermissions(['background-sync'], { origin: url });
    await page.goto(`${url}/?own=module`);
    await waitForHarness(page);
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toBe(`${url}/own-sw.js`);
    await sendThroughOutage(page, server, waitForStored, 'vite dev, own module worker');
  } finally {
    await vite.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('vite build: outbox/vite emits the worker and its companions; served by vite preview, an outage is delivered once, in order', async ({ page, server, waitForStored }) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'outbox-vite-build-'));
  try {
    await build(appConfig(server, tmp));
    const out = path.join(tmp, 'out');
    const emitted = readdirSync(out).filter((name) => name.endsWith('.js') || name.endsWith('.map')).sort();
    expect(emitted, 'the worker and the files it loads, no maps (build.sourcemap is off)').toEqual(['sw.js', ...companions].sort());
    for (const name of emitted) {
      const mapless = readFileSync(path.join(dist, name), 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
      expect(readFileSync(path.join(out, name), 'utf8') === mapless, `${name} is the package's, without its map comment`).toBe(true);
    }
    const site = await preview(appConfig(server, tmp));
    try {
      const url = site.resolvedUrls!.local[0]!.replace(/\/$/, '');
      await openApp(page, url);
      for (const name of ['sw.js', ...companions]) {
        expect((await fetchFromPage(page, `/${name}`)).type, name).toMatch(/^text\/javascript/);
      }
      await sendThroughOutage(page, server, waitForStored, 'vite build');
    } finally {
      await site.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('a copy of the worker left in publicDir (the manual setup) is refused, naming it: it would shadow the package\'s', async ({ server }) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'outbox-vite-public-'));
  try {
    const publicDir = path.join(tmp, 'public');
    mkdirSync(publicDir);
    writeFileSync(path.join(publicDir, 'sw.js'), '// copied by hand from an older version\n');
    const refused = await build({ ...appConfig(server, tmp), publicDir }).then(
      () => 'built',
      (error: Error) => `${error.name}: ${error.message}`,
    );
    expect(refused).toBe(`OutboxViteError: outbox/vite: ${path.join(publicDir, 'sw.js')} is a copy of the worker's /sw.js: delete it, outbox/vite serves the package's`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('under a base and a path of its own (/app/outbox/sw.js), the companions are served and emitted beside the worker', async ({ server }) => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'outbox-vite-base-'));
  const config: InlineConfig = { ...appConfig(server, tmp), base: '/app/', plugins: [outboxWorker({ path: '/app/outbox/sw.js' })] };
  const vite = await createServer(config);
  try {
    await vite.listen();
    const url = vite.resolvedUrls!.local[0]!.replace(/\/app\/$/, '');
    for (const name of ['sw.js', ...companions]) {
      const response = await fetch(`${url}/app/outbox/${name}`);
      expect(`${name} ${response.status} ${response.headers.get('content-type')}`).toBe(`${name} 200 text/javascript; charset=utf-8`);
      expect((await response.text()) === readFileSync(path.join(dist, name), 'utf8'), `${name} is the package's`).toBe(true);
    }
    expect((await fetch(`${url}/app/sw.js`)).headers.get('content-type'), 'nothing served at the default path').not.toMatch(/javascript/);
  } finally {
    await vite.close();
  }
  try {
    await build(config);
    expect(readdirSync(path.join(tmp, 'out', 'outbox')).sort()).toEqual(['sw.js', ...companions].sort());
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
