import { defineConfig } from '@playwright/test';

// Run through `npm test` (node e2e/run.mjs), which finds Chromium and sets
// CHROMIUM_PATH; fixtures.ts launches it. Each test gets its own demo server
// (so its own origin, service worker and IndexedDB) and its own context.
export default defineConfig({
  // Two projects, one run and one closing line: the pure policy (sw/**/*.test.ts,
  // no browser) and the end-to-end specs in Chromium.
  projects: [
    { name: 'unit', testDir: '../sw', testMatch: '**/*.test.ts' },
    { name: 'e2e', testDir: '.', testMatch: '*.spec.ts', testIgnore: ['bench/**'] },
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
