/**
 * The neutral driver for Firefox: Debian's stock firefox-esr driven by
 * puppeteer-core over WebDriver BiDi (Playwright needs its own patched
 * Firefox build, which this project never downloads). FIREFOX_PATH comes from
 * e2e/engines/find.mjs.
 *
 * - A fresh session is a BiDi user context (`createBrowserContext`): its own
 *   cookies, IndexedDB and service worker registrations.
 * - Offline: `page.setOfflineMode` flips the page's `navigator.onLine` and
 *   fires its `offline`/`online` events, but the service worker's fetches
 *   still go out (measured with Firefox 153 ESR).
 * - No Background Sync (no `SyncManager`), and BiDi has no command to stop a
 *   service worker.
 * - A restart is a second launch on the same profile directory.
 */
import puppeteer, { type Browser, type BrowserContext, type Page } from 'puppeteer-core';
import { evaluationResult, evaluationScript, type Engine, type Session, type SessionOptions, type Tab } from './driver';

function firefoxPath(): string {
  const path = process.env.FIREFOX_PATH;
  if (!path) throw new Error('FIREFOX_PATH is not set: run the suite with `npm test` (node e2e/run.mjs)');
  return path;
}

const launch = (userDataDir?: string) =>
  puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath(),
    headless: true,
    ...(userDataDir ? { userDataDir } : {}),
    // Nothing outside 127.0.0.1 is reachable here; keep Firefox from trying.
    extraPrefsFirefox: {
      'app.update.enabled': false,
      'browser.safebrowsing.malware.enabled': false,
      'browser.safebrowsing.phishing.enabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'extensions.update.enabled': false,
    },
  });

function tabOf(page: Page, tabs: Set<Page>): Tab {
  return {
    async goto(url) {
      await page.goto(url, { waitUntil: 'load' });
    },
    async evaluate(fn, ...args) {
      return evaluationResult(await page.evaluate(evaluationScript(fn, args)));
    },
    async reload() {
      await page.reload({ waitUntil: 'load' });
    },
    async close() {
      tabs.delete(page);
      await page.close();
    },
  };
}

function sessionOf(context: BrowserContext | Browser, closeSession: () => Promise<void>): Session {
  const tabs = new Set<Page>();
  let offline = false;
  return {
    async newTab() {
      const page = await context.newPage();
      tabs.add(page);
      if (offline) await page.setOfflineMode(true);
      return tabOf(page, tabs);
    },
    network: {
      async setOffline(value) {
        offline = value;
        await Promise.all([...tabs].map((page) => page.setOfflineMode(value)));
      },
    },
    stopWorkers: null,
    close: closeSession,
  };
}

export async function launchFirefox(): Promise<Engine> {
  const browser = await launch();
  return {
    name: 'firefox',
    version: (await browser.version()).replace(/^firefox\//i, 'Firefox '),
    cannot: {
      'stop-workers': 'WebDriver BiDi has no command to stop a service worker',
    },
    backgroundSync: false,
    async newSession(options: SessionOptions = {}) {
      if (options.profileDir) {
        const own = await launch(options.profileDir);
        return sessionOf(own, () => own.close());
      }
      const context = await browser.createBrowserContext();
      return sessionOf(context, () => context.close());
    },
    close: () => browser.close(),
  };
}
