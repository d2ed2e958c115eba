/**
 * The neutral driver for Chromium, through Playwright (CDP). Chromium is
 * Debian's, from CHROMIUM_PATH (e2e/chromium.mjs finds or installs it).
 *
 * - Offline: `context.setOffline` reaches the service worker's fetches too.
 * - Background Sync is granted (`background-sync`), as a site's users have it.
 * - Workers are stopped with CDP `ServiceWorker.stopAllWorkers`.
 * - A restart is `launchPersistentContext` on the same profile directory.
 */
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
// @ts-ignore: plain ESM module without type declarations
import { launchArgs } from '../chromium.mjs';
import { evaluationResult, evaluationScript, type Engine, type Session, type SessionOptions, type Tab } from './driver';

function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH;
  if (!path) throw new Error('CHROMIUM_PATH is not set: run the suite with `npm test` (node e2e/run.mjs)');
  return path;
}

function tabOf(page: Page): Tab {
  return {
    async goto(url) {
      await page.goto(url);
    },
    async evaluate(fn, ...args) {
      return evaluationResult(await page.evaluate(evaluationScript(fn, args)));
    },
    async reload() {
      await page.reload();
    },
    close: () => page.close(),
  };
}

async function sessionOf(context: BrowserContext, closeContext: () => Promise<void>): Promise<Session> {
  // Without the grant `registration.sync.register()` fails silently.
  await context.grantPermissions(['background-sync']);
  return {
    newTab: async () => tabOf(await context.newPage()),
    network: {
      reach: 'page and worker',
      setOffline: (offline) => context.setOffline(offline),
    },
    async stopWorkers() {
      // A CDP session needs a page target; any page of the context will do.
      const page = context.pages()[0] ?? (await context.newPage());
      const cdp = await context.newCDPSession(page);
      try {
        await cdp.send('ServiceWorker.enable');
        await cdp.send('ServiceWorker.stopAllWorkers');
      } finally {
        await cdp.detach().catch(() => {});
      }
    },
    close: closeContext,
  };
}

export async function launchChromium(): Promise<Engine> {
  const executablePath = chromiumPath();
  let browser: Browser | undefined;
  const shared = async () => (browser ??= await chromium.launch({ executablePath, args: launchArgs, headless: true }));
  const version = (await shared()).version();
  return {
    name: 'chromium',
    version: `Chromium ${version}`,
    cannot: {},
    backgroundSync: true,
    async newSession(options: SessionOptions = {}) {
      if (options.profileDir) {
        const context = await chromium.launchPersistentContext(options.profileDir, { executablePath, args: launchArgs, headless: true });
        // A persistent context opens with one blank page; it is not a tab of the site.
        return sessionOf(context, () => context.close());
      }
      const context = await (await shared()).newContext();
      return sessionOf(context, () => context.close());
    },
    async close() {
      await browser?.close();
    },
  };
}
