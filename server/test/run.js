// Runs the server half's tests (node:test, one file at a time on a small
// machine): `npm test -w outbox-server`, or from the repo root as part of
// `npm test`. Extra arguments go to node (e.g. --test-name-pattern=relay).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The test files: *.test.js beside this script (fixtures and support are not tests). */
export const testFiles = () => readdirSync(here).filter((f) => f.endsWith('.test.js')).sort().map((f) => path.join(here, f));

/**
 * Spawns node --test on every test file; resolves with its exit code.
 * @param {{ extraArgs?: string[], summaryFile?: string }} [options]
 * @returns {Promise<number>}
 */
export function runServerTests({ extraArgs = [], summaryFile } = {}) {
  const reporters = summaryFile
    ? ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${path.join(here, 'summary-reporter.js')}`, `--test-reporter-destination=${summaryFile}`]
    : [];
  // Two files at a time: they mostly wait (child processes starting, leases lapsing), not compute.
  const child = spawn(process.execPath, ['--test', '--test-concurrency=2', ...reporters, ...extraArgs, ...testFiles()], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => child.kill(/** @type {NodeJS.Signals} */ (signal)));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exit(await runServerTests({ extraArgs: process.argv.slice(2) }));
}
