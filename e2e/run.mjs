// Runs the end-to-end suite: finds (or installs) Chromium, runs Playwright
// with e2e/playwright.config.ts, then the server half's node:test suite
// (server/test/, after the browsers, so the two never share the cores), then
// prints one plain closing line `e2e: N passed, N failed[, N skipped]` that
// counts both. Extra arguments go to Playwright and skip the server tests,
// e.g. `node e2e/run.mjs e2e/offline.spec.ts -g reload`.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium } from './chromium.mjs';
import { runServerTests } from '../server/test/run.js';

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

const readSummary = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null; // the runner ended before its reporter did (crash, bad config, signal)
  }
};

child.on('exit', async (code, signal) => {
  const summary = readSummary(summaryFile);
  let exitCode = code ?? 1;
  const total = summary ? { passed: summary.passed, failed: summary.failed, skipped: summary.skipped ?? 0 } : null;
  if (summary) console.log(`browser: ${summary.passed} passed, ${summary.failed} failed${summary.skipped ? `, ${summary.skipped} skipped` : ''}`);
  if (process.argv.length <= 2 && !signal) {
    const serverSummaryFile = path.join(tmp, 'server-summary.json');
    const serverCode = await runServerTests({ summaryFile: serverSummaryFile });
    const server = readSummary(serverSummaryFile);
    if (server) {
      console.log(`server: ${server.passed} passed, ${server.failed} failed${server.skipped ? `, ${server.skipped} skipped` : ''}`);
      if (total) for (const k of ['passed', 'failed', 'skipped']) total[k] += server[k];
    } else {
      console.log(`server: the run ended before any result was reported (exit code ${serverCode})`);
    }
    if (serverCode !== 0 || !server) exitCode = exitCode || serverCode || 1;
  }
  rmSync(tmp, { recursive: true, force: true });
  if (total) {
    const skipped = total.skipped ? `, ${total.skipped} skipped` : '';
    console.log(`e2e: ${total.passed} passed, ${total.failed} failed${skipped}`);
  } else {
    console.log(`e2e: the run ended before any result was reported (${signal ? `signal ${signal}` : `exit code ${code}`})`);
  }
  process.exit(exitCode);
});
