// Adoption: what a new user gets. The package is packed from a clean copy of
// the repository, installed from the tarball into a throwaway app beside a
// different Workbox 7 (7.0.0, where we build with 7.4.1), and the app is the
// code of docs/getting-started.md and docs/own-worker.md as printed. It must
// type-check under strict with moduleResolution Bundler, Node16 and Node,
// bundle with esbuild into a worker holding one copy of Workbox, and carry a
// message through an outage to the server in Chromium.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { test, expect, expectStoredExactly, type DemoServer } from '../fixtures';
import { cleanCopy, codeBlocks, install, pack, typecheck, writeFiles, type Resolution } from '../adoption/app';
// @ts-ignore: plain ESM module without type declarations
import { startServer } from '../../demo/server.mjs';

const run = promisify(execFile);
/** Not the version the repository builds with, so two copies would show. */
const OTHER_WORKBOX = '7.0.0';

const PAGE_HTML = `<!doctype html>
<meta charset="utf-8"><title>adopter</title>
<ul id="messages"></ul>
<form id="composer"><input name="text" autocomplete="off"><button disabled>Send</button></form>
<script type="module" src="/page.js"></script>
`;

test('packed from a clean clone, installed, type-checked three ways, bundled, and a send survives an outage', async ({ browser }) => {
  // About 10 s on an idle machine; packing builds and type-checks six programs, which a loaded one stretches.
  test.setTimeout(300_000);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'outbox-adoption-'));
  let server: DemoServer | undefined;
  try {
    // ---- the package, from what is committed ----
    const clone = path.join(tmp, 'clone');
    await cleanCopy(clone);
    const { tarball, files } = await pack(clone, tmp);
    const extra = files.filter((f) => !/^(dist\/.+|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/.test(f));
    expect(extra, 'files in the tarball besides dist/, README, LICENSE, CHANGELOG').toEqual([]);
    for (const wanted of ['dist/client.js', 'dist/client.js.map', 'dist/sw.js', 'dist/sw.js.map', 'dist/sw/index.js', 'dist/sw/index.js.map', 'dist/types/client/index.d.ts', 'dist/types/sw/index.d.ts', 'LICENSE', 'CHANGELOG.md', 'README.md']) {
      expect(files, `the tarball holds ${wanted}`).toContain(wanted);
    }
    expect(files.filter((f) => /\.test\.d\.ts$/.test(f)), 'test declarations in the tarball').toEqual([]);
    // moduleResolution "node" ignores `exports`: each entry point with types needs its typesVersions twin.
    const manifest = JSON.parse(readFileSync(path.join(clone, 'package.json'), 'utf8'));
    for (const [subpath, target] of Object.entries(manifest.exports as Record<string, string | { types?: string }>)) {
      if (typeof target !== 'object' || target.types === undefined) continue;
      expect(manifest.typesVersions['*'][subpath.slice(2)], `typesVersions for ${subpath}`).toEqual([target.types]);
      expect(Object.keys(target)[0], `types first in exports['${subpath}']`).toBe('types');
    }

    // ---- the app: the docs' code, the tarball and another Workbox 7 ----
    const app = path.join(tmp, 'app');
    await install(app, [tarball, `workbox-precaching@${OTHER_WORKBOX}`, `workbox-routing@${OTHER_WORKBOX}`, `workbox-background-sync@${OTHER_WORKBOX}`]);
    // The app's files; vite.config.ts is shown for vite-plugin-pwa users, not built here.
    const sources = new Map([...codeBlocks('docs/getting-started.md'), ...codeBlocks('docs/own-worker.md')].filter(([name]) => name !== 'vite.config.ts'));
    expect([...sources.keys()].sort()).toEqual(['src/page.ts', 'src/service-worker.ts', 'tsconfig.json', 'tsconfig.sw.json']);
    writeFiles(app, sources);

    for (const resolution of ['Bundler', 'Node16', 'Node'] as Resolution[]) {
      for (const project of ['tsconfig.json', 'tsconfig.sw.json']) {
        expect(typecheck(app, project, resolution), `tsc -p ${project} with moduleResolution ${resolution}`).toBe('');
      }
    }

    // Server-side rendering: the client loads in Node and rejects with the named error.
    const ssr = await run(
      process.execPath,
      ['--input-type=module', '-e', "import { createOutbox } from 'outbox/client'; createOutbox().then(() => console.log('resolved'), (e) => console.log(e.name));"],
      { cwd: app },
    );
    expect(ssr.stdout.trim()).toBe('NoServiceWorkerError');

    const site = path.join(app, 'site');
    await build({ entryPoints: [path.join(app, 'src/page.ts')], outfile: path.join(site, 'page.js'), bundle: true, format: 'esm', target: 'es2022', logLevel: 'error', absWorkingDir: app });
    await build({
      entryPoints: [path.join(app, 'src/service-worker.ts')],
      outfile: path.join(site, 'service-worker.js'),
      bundle: true,
      format: 'iife',
      target: 'es2022',
      logLevel: 'error',
      absWorkingDir: app,
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    // What injectManifest does to the built worker.
    const workerFile = path.join(site, 'service-worker.js');
    const worker = readFileSync(workerFile, 'utf8');
    writeFileSync(workerFile, worker.replace('self.__WB_MANIFEST', JSON.stringify([{ url: '/index.html', revision: '1' }])));
    writeFileSync(path.join(site, 'index.html'), PAGE_HTML);
    const markers = [...worker.matchAll(/workbox:([a-z-]+):([\d.]+)/g)].map(([, pkg, version]) => `${pkg}@${version}`);
    expect(markers.filter((m) => m.startsWith('core@')), 'copies of workbox-core in the worker').toEqual([`core@${OTHER_WORKBOX}`]);
    expect(markers.filter((m) => !m.endsWith(`@${OTHER_WORKBOX}`)), 'Workbox modules of another version').toEqual([]);
    // The outbox keeps Workbox's storage format (database, schema, StorableRequest fields, sync tag)
    // without its runtime code (sw/request-queue.ts), so no background-sync marker is expected.

    // ---- one send through an outage, in Chromium ----
    server = (await startServer({ port: 0, quiet: true, staticDirs: [{ prefix: '/', dir: site }] })) as DemoServer;
    const context = await browser.newContext();
    await context.grantPermissions(['background-sync'], { origin: server.url });
    const page = await context.newPage();
    await page.goto(`${server.url}/index.html`);
    await expect(page.locator('#composer button')).toBeEnabled({ timeout: 20_000 });

    server.api.setMode('unreachable');
    await page.fill('#composer input', 'hello from an adopter');
    await page.click('#composer button');
    const item = page.locator('#messages li');
    await expect(item).toHaveAttribute('data-status', 'queued');
    expect(server.api.stored).toHaveLength(0);
    server.api.setMode('up');
    // The health probe notices, the worker drains.
    await expect(item).toHaveAttribute('data-status', 'delivered', { timeout: 20_000 });
    expectStoredExactly(server, [(await item.getAttribute('data-id'))!], ['hello from an adopter']);
    await context.close();
  } finally {
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
});
