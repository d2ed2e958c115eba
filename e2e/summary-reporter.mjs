// A Playwright reporter that only counts outcomes and writes them to the file
// named by OUTBOX_E2E_SUMMARY; e2e/run.mjs prints the closing lines from it.
// A test that passed on a retry counts as passed (Playwright calls it flaky,
// and the list reporter says so). Counts are also kept per engine (a
// project's `metadata.engine`; the unit tests have none), with each reason an
// engine skipped or replaced a step (e2e/engines/fixtures.ts), and each
// `fact` a spec recorded (e2e/neutral/storage.spec.ts), once.
import { writeFileSync } from 'node:fs';

const emptyCounts = () => ({ passed: 0, failed: 0, skipped: 0, flaky: 0 });
/** @typedef {ReturnType<typeof emptyCounts> & { version: string | undefined, notes: Record<string, Set<string>> }} EngineCounts */

/** @typedef {import('@playwright/test/reporter').Reporter} Reporter */

/** @implements {Reporter} */
export default class SummaryReporter {
  /** @type {import('@playwright/test/reporter').Suite | undefined} */
  suite;
  errors = 0;

  /** @param {import('@playwright/test/reporter').FullConfig} _config @param {import('@playwright/test/reporter').Suite} suite */
  onBegin(_config, suite) {
    this.suite = suite;
    this.errors = 0;
  }

  onError() {
    this.errors += 1;
  }

  /** @param {import('@playwright/test/reporter').FullResult} result */
  onEnd(result) {
    /** @type {Record<string, EngineCounts>} */
    const engines = {};
    const counts = { ...emptyCounts(), errors: this.errors, status: result.status, engines };
    for (const test of this.suite?.allTests() ?? []) {
      const engine = String(test.parent.project()?.metadata?.engine ?? 'unit');
      const perEngine = (counts.engines[engine] ??= { ...emptyCounts(), version: undefined, notes: {} });
      const outcome = test.outcome();
      for (const bucket of [counts, perEngine]) {
        if (outcome === 'expected') bucket.passed += 1;
        else if (outcome === 'flaky') {
          bucket.passed += 1;
          bucket.flaky += 1;
        } else if (outcome === 'unexpected') bucket.failed += 1;
        else bucket.skipped += 1;
      }
      const annotations = [...test.annotations, ...test.results.flatMap((r) => r.annotations ?? [])];
      for (const { type, description } of annotations) {
        if (type === 'engine' && description) perEngine.version = description;
        if ((type === 'skip' || type === 'replaced' || type === 'fact') && description) {
          const key = `${type === 'skip' ? 'skipped' : type}: ${description}`;
          perEngine.notes[key] = (perEngine.notes[key] ?? new Set()).add(test.id);
        }
      }
    }
    // Sets of test ids become their sizes in the JSON.
    const written = { ...counts, engines: Object.fromEntries(Object.entries(engines).map(([engine, perEngine]) => [engine, { ...perEngine, notes: Object.fromEntries(Object.entries(perEngine.notes).map(([note, tests]) => [note, tests.size])) }])) };
    const file = process.env.OUTBOX_E2E_SUMMARY;
    if (file) writeFileSync(file, JSON.stringify(written));
    else console.log(`e2e: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
  }

  printsToStdio() {
    return !process.env.OUTBOX_E2E_SUMMARY;
  }
}
