import { defineConfig } from '@playwright/test';
import type { EngineName } from './engines/driver';

// Run through `npm test` (node e2e/run.mjs), which finds the browsers and sets
// CHROMIUM_PATH, FIREFOX_PATH, WEBKIT_DRIVER_PATH and MINIBROWSER_PATH, and
// OUTBOX_ENGINES (the neutral engines it found). Each test gets its own demo
// server (so its own origin, service worker and IndexedDB) and its own
// context (Chromium) or session (e2e/engines/).
const neutralEngines = (process.env.OUTBOX_ENGINES ?? 'chromium,firefox,webkit').split(',').filter(Boolean) as EngineName[];

// The neutral projects set the worker option `engineName` (e2e/engines/fixtures.ts).
export default defineConfig<{}, { engineName: EngineName }>({
  // One run and one closing line: the pure policy (sw/**/*.test.ts, no
  // browser), the Chromium specs (e2e/<promise>/*.spec.ts: Background Sync,
  // CDP and the faults), and the engine-neutral specs (e2e/neutral/) once per engine.
  // `metadata.engine` is what e2e/summary-reporter.mjs counts by.
  projects: [
    { name: 'unit', testDir: '../sw', testMatch: '**/*.test.ts' },
    { name: 'e2e', testDir: '.', testMatch: '**/*.spec.ts', testIgnore: ['bench/**', 'neutral/**'], metadata: { engine: 'chromium' } },
    ...neutralEngines.map((engine) => ({
      name: engine,
      testDir: './neutral',
      testMatch: '*.spec.ts',
      metadata: { engine },
      use: { engineName: engine },
    })),
  ],
  outputDir: '../test-results',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 45_000,
  expect: { timeout: 10_000 },
  forbidOnly: !!process.env.CI,
  reporter: [['list'], ['./summary-reporter.mjs']],
  use: {
    headless: true,
    actionTimeout: 15_000,
    navigationTimeout: 15_000,
    trace: 'off',
    screenshot: 'off',
    video: 'off',
  },
});
