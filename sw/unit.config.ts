import { defineConfig } from '@playwright/test';

// Pure logic only (classification, backoff, options, protocol checks): no
// browser. Everything the outbox promises about IndexedDB, the worker's
// lifecycle and sync is tested in Chromium under e2e/.
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.test.ts',
  outputDir: '../test-results/unit',
  workers: 2,
  reporter: [['list'], ['../e2e/summary-reporter.mjs']],
});
