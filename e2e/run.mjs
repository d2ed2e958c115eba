// Runs the end-to-end suite: finds (or installs) Chromium, Firefox and WebKit,
// runs Playwright with e2e/playwright.config.ts, then the server half's
// node:test suite (server/test/, after the browsers, so the two never share
// the cores), then prints a line per engine and one plain closing line
// `e2e: N passed, N failed[, N skipped]` that counts both. Extra arguments go
// to Playwright and skip the server tests, e.g.
// `node e2e/run.mjs e2e/ordering/offline.spec.ts -g reload` or `node e2e/run.mjs --project=firefox`.
//
// Outside CI an engine that cannot be had is one line and the run goes on
// without it; in CI (CI=true) it fails the run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium } from './chromium.mjs';
import { findEngines } from './engines/find.mjs';
import { runServerTests } from '../server/test/run.js';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
process.chdir(repo);

const chromium = findChromium();
const engines = findEngines();
for (const [engine, why] of Object.entries(engines.missing)) {
  console.error(`e2e: ${engine} cannot run: ${why}${process.env.CI ? '' : ' (going on without it)'}`);
}
if (process.env.CI && Object.keys(engines.missing).length > 0) process.exit(1);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'outbox-e2e-'));
const summaryFile = path.join(tmp, 'summary.json');

const child = spawn(
  process.execPath,
  ['node_modules/@playwright/test/cli.js', 'test', '-c', 'e2e/playwright.config.ts', ...process.argv.slice(2)],
  {
    cwd: repo,
    stdio: 'inherit',
    env: {
      ...process.env,
      ...engines.env,
      CHROMIUM_PATH: chromium,
      OUTBOX_ENGINES: ['chromium', ...engines.found].join(','),
      OUTBOX_E2E_SUMMARY: summaryFile,
    },
  },
);

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => child.kill(signal));
}

/**
 * What summary-reporter.mjs (or server/test/run.js) wrote.
 * @typedef {{ passed: number, failed: number, skipped?: number }} Counts
 * @typedef {Counts & { engines?: Record<string, Counts & { version?: string, notes?: Record<string, number> }> }} Summary
 */

/** @param {string} file @returns {Summary | null} */
const readSummary = (file) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null; // the runner ended before its reporter did (crash, bad config, signal)
  }
};

const countsText = (/** @type {Counts} */ c) => `${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`;

/** A line per engine, then why each skip (once per reason); several words before each colon, so none reads as the closing line. */
/** @param {Summary} summary */
function printEngines(summary) {
  for (const [engine, counts] of Object.entries(summary.engines ?? {})) {
    const label = engine === 'unit' ? 'unit tests' : `in ${engine}${counts.version ? ` (${counts.version})` : ''}`;
    console.log(`browser ${label}: ${countsText(counts)}`);
    for (const [note, tests] of Object.entries(counts.notes ?? {})) console.log(`  ${engine} ${note} (${tests} test${tests === 1 ? '' : 's'})`);
  }
  for (const engine of Object.keys(engines.missing)) console.log(`browser in ${engine}: not run (see above)`);
}

child.on('exit', async (code, signal) => {
  const summary = readSummary(summaryFile);
  let exitCode = code ?? 1;
  const total = summary ? { passed: summary.passed, failed: summary.failed, skipped: summary.skipped ?? 0 } : null;
  if (summary) {
    printEngines(summary);
    console.log(`browser: ${countsText(summary)}`);
  }
  if (process.argv.length <= 2 && !signal) {
    const serverSummaryFile = path.join(tmp, 'server-summary.json');
    const serverCode = await runServerTests({ summaryFile: serverSummaryFile });
    const server = readSummary(serverSummaryFile);
    if (server) {
      console.log(`server: ${countsText(server)}`);
      if (total) for (const k of /** @type {const} */ (['passed', 'failed', 'skipped'])) total[k] += server[k] ?? 0;
    } else {
      console.log(`server: the run ended before any result was reported (exit code ${serverCode})`);
    }
    if (serverCode !== 0 || !server) exitCode = exitCode || serverCode || 1;
  }
  rmSync(tmp, { recursive: true, force: true });
  if (total) {
    console.log(`e2e: ${countsText(total)}`);
  } else {
    console.log(`e2e: the run ended before any result was reported (${signal ? `signal ${signal}` : `exit code ${code}`})`);
  }
  process.exit(exitCode);
});
