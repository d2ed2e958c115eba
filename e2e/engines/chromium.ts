/**
 * The neutral driver for Chromium, through Playwright (CDP). Chromium is
 * Debian's, from CHROMIUM_PATH (e2e/chromium.mjs finds or installs it).
 *
 * - Offline: the pages' only (CDP `Network.emulateNetworkConditions` on each
 *   page target), as in Firefox. Playwright's `context.setOffline` also cuts
 *   the worker, but lifts it target by target: the page's `online` can reach
 *   the worker while the worker is still cut off, and the drain it asks for
 *   fails as a network error (2 runs in 6 here), leaving delivery to the
 *   worker's timer. The Chromium-only specs (every spec outside e2e/neutral/) use setOffline.
 * - Background Sync is granted (`background-sync`), as a site's users have it.
 * - Workers are stopped with CDP `ServiceWorker.stopAllWorkers`.
 * - A restart is `launchPersistentContext` on the same profile directory.
 */
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
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

/**
 * Offline for one page only: its `navigator.onLine` and `online`/`offline`
 * events; its worker's fetches still go out. The emulation lasts as long as
 * its CDP session, so each page keeps one.
 */
function pageNetwork(page: Page): (offline: boolean) => Promise<void> {
  let cdp: Promise<CDPSession> | undefined;
  return async (offline) => {
    cdp ??= page.context().newCDPSession(page).then(async (session) => {
      await session.send('Network.enable');
      return session;
    });
    await (await cdp).send('Network.emulateNetworkConditions', { offline, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  };
}

async function sessionOf(context: BrowserContext, closeContext: () => Promise<void>): Promise<Session> {
  // Without the grant `registration.sync.register()` fails silently.
  await context.grantPermissions(['background-sync']);
  const tabs = new Map<Page, (offline: boolean) => Promise<void>>();
  let offline = false;
  return {
    async newTab() {
      const page = await context.newPage();
      const setOffline = pageNetwork(page);
      tabs.set(page, setOffline);
      page.once('close', () => tabs.delete(page));
      if (offline) await setOffline(true);
      return tabOf(page);
    },
    network: {
      async setOffline(value) {
        offline = value;
        await Promise.all([...tabs.values()].map((setOffline) => setOffline(value)));
      },
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
