/**
 * Fixtures for the engine-neutral specs (e2e/neutral/*.spec.ts). Each spec
 * runs once per engine project (chromium, firefox, webkit in
 * e2e/playwright.config.ts); the project's `engineName` picks the driver
 * (e2e/engines/driver.ts), launched once per Playwright worker.
 *
 * - `server`, `waitFor`, `waitForStored` are the Chromium suite's
 *   (e2e/fixtures.ts): a demo server per test, so an origin per test.
 * - `session` is a fresh browser profile per test; `tab` its first tab.
 * - `harness(tab, swQuery, options)` opens e2e/pages/harness.html with the
 *   worker at /test/sw-errors.js (the ready-made /sw.js, its errors forwarded
 *   to the page) and waits for the outbox.
 * - `needs(step)` skips the test where the engine cannot do that step, with
 *   the engine's reason as the skip's description; the run's closing lines
 *   list each reason once per engine (e2e/summary-reporter.mjs).
 * - `replaced(step, how)` records that an engine did a step another way.
 */
import { test as base, expect, attachText, harnessUrl, poll, type HarnessOptions, type SendResult } from '../fixtures';

export { list, events, flush, statusesOf, heardAll } from '../fixtures';
import type { Engine, EngineName, Session, SessionOptions, Step, Tab } from './driver';
import { launchChromium } from './chromium';
import { launchFirefox } from './firefox';
import { launchWebKit } from './webkit';

export { expect };
export type { Engine, Session, Tab };

const LAUNCHERS: Record<EngineName, () => Promise<Engine>> = {
  chromium: launchChromium,
  firefox: launchFirefox,
  webkit: launchWebKit,
};

type Fixtures = {
  session: Session;
  tab: Tab;
  /** Opens a session of its own (a persistent profile, for a restart); closed after the test. */
  openSession: (options?: SessionOptions) => Promise<Session>;
  harness: (tab: Tab, swQuery?: string, options?: HarnessOptions) => Promise<void>;
  needs: (step: Step) => void;
  replaced: (step: Step, how: string) => void;
  /** Every tab opened through a session fixture, for the failure report. */
  openTabs: Tab[];
};

type WorkerFixtures = {
  engineName: EngineName;
  engine: Engine;
};

export const test = base.extend<Fixtures, WorkerFixtures>({
  engineName: ['chromium', { scope: 'worker', option: true }],

  engine: [
    async ({ engineName }, use) => {
      const engine = await LAUNCHERS[engineName]();
      await use(engine);
      await engine.close();
    },
    { scope: 'worker', timeout: 60_000 },
  ],

  openTabs: async ({}, use) => {
    await use([]);
  },

  openSession: async ({ engine, openTabs }, use, testInfo) => {
    // The browser and its version, for the closing lines (e2e/summary-reporter.mjs).
    testInfo.annotations.push({ type: 'engine', description: engine.version });
    const sessions: Session[] = [];
    await use(async (options) => {
      const session = tracked(await engine.newSession(options), openTabs);
      sessions.push(session);
      return session;
    });
    for (const session of sessions) await session.close().catch(() => {});
  },

  session: async ({ openSession }, use) => {
    await use(await openSession());
  },

  tab: async ({ session }, use) => {
    await use(await session.newTab());
  },

  // openSession: torn down after this, so the tabs can still be read for the report.
  harness: async ({ server, openTabs, openSession: _sessionsOutliveThis }, use, testInfo) => {
    await use(async (tab, swQuery = 'api=/api/chat', options = {}) => {
      await tab.goto(harnessUrl(server.url, `/test/sw-errors.js?${swQuery}`, options));
      await waitForHarness(tab);
    });
    if (testInfo.status !== testInfo.expectedStatus) {
      const logs: string[] = [];
      for (const [i, tab] of openTabs.entries()) {
        const errors = await tab.evaluate(() => (window as any).pageErrors ?? null).catch((err: Error) => `(not readable: ${err.message.split('\n')[0]})`);
        logs.push(`tab ${i + 1}: ${typeof errors === 'string' ? errors : JSON.stringify(errors, null, 1)}`);
      }
      if (logs.length > 0) await attachText(testInfo, 'page-errors', logs.join('\n'));
    }
  },

  needs: async ({ engine }, use, testInfo) => {
    await use((step) => {
      const reason = engine.cannot[step];
      if (reason) testInfo.skip(true, `${engine.name} cannot ${STEP_NAMES[step]}: ${reason}`);
    });
  },

  replaced: async ({ engine }, use, testInfo) => {
    await use((step, how) => {
      testInfo.annotations.push({ type: 'replaced', description: `${engine.name} cannot ${STEP_NAMES[step]} (${engine.cannot[step] ?? 'see the spec'}): ${how}` });
    });
  },
});

const STEP_NAMES: Record<Step, string> = {
  offline: 'emulate offline',
  'stop-workers': 'stop service workers',
  restart: 'restart the browser on the same profile',
};

/** The session, with every tab it opens listed in `tabs` (for the failure report). */
function tracked(session: Session, tabs: Tab[]): Session {
  return {
    ...session,
    async newTab() {
      const tab = await session.newTab();
      tabs.push(tab);
      return tab;
    },
  };
}

/** Waits until the harness page created its outbox (window.outboxReady), or fails with the page's error. */
export async function waitForHarness(tab: Tab): Promise<void> {
  const state = await poll(
    () => tab.evaluate(() => ((window as any).outboxReady === true ? 'ready' : ((window as any).outboxError as string | undefined) ?? null)),
    { timeoutMs: 20_000, intervalMs: 50, message: 'the harness page to create its outbox' },
    () => '',
  );
  if (state !== 'ready') throw new Error(`the harness page failed to create its outbox: ${state}`);
}

// ---- page helpers: send and sendAll answer without the Response (a tab's answers cross as JSON);
// list, events, flush, statusesOf, heardAll are e2e/fixtures.ts's, for a page or a tab ----

export function send(tab: Tab, text: string | Record<string, unknown>): Promise<SendResult> {
  const body = typeof text === 'string' ? { text } : text;
  return tab.evaluate((b) => (window as any).outbox.send('/api/chat', b).then(({ response, ...result }: any) => result), body);
}

/** Sends each text in turn (each send awaited before the next). */
export function sendAll(tab: Tab, texts: string[]): Promise<SendResult[]> {
  return tab.evaluate(async (list) => {
    const results = [];
    for (const text of list) {
      const { response, ...result } = await (window as any).outbox.send('/api/chat', { text });
      results.push(result);
    }
    return results;
  }, texts);
}
