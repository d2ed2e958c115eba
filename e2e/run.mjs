// Runs the end-to-end suite: finds (or installs) Chromium, runs Playwright
// with e2e/playwright.config.ts, then prints one plain closing line
// `e2e: N passed, N failed[, N skipped]`. Extra arguments go to Playwright,
// e.g. `node e2e/run.mjs e2e/offline.spec.ts -g reload`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium } from './chromium.mjs';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
process.chdir(repo);

const chromium = findChromium();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'outbox-e2e-'));
const summaryFile = path.join(tmp, 'summary.json');

const child = spawn(
  process.execPath,
  ['node_modules/@playwright/test/cli.js', 'test', '-c', 'e2e/playwright.config.ts', ...process.argv.slice(2)],
  {
    cwd: repo,
    stdio: 'inherit',
    env: { ...process.env, CHROMIUM_PATH: chromium, OUTBOX_E2E_SUMMARY: summaryFile },
  },
);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => child.kill(signal));
}

child.on('exit', (code, signal) => {
  let summary = null;
  try {
    summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
  } catch {
    // Playwright ended before its reporters did (crash, bad config, signal).
  }
  rmSync(tmp, { recursive: true, force: true });
  if (summary) {
    const skipped = summary.skipped ? `, ${summary.skipped} skipped` : '';
    console.log(`e2e: ${summary.passed} passed, ${summary.failed} failed${skipped}`);
  } else {
    console.log(`e2e: the run ended before any result was reported (${signal ? `signal ${signal}` : `exit code ${code}`})`);
  }
  process.exit(code ?? 1);
});
