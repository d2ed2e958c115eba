// A Playwright reporter that only counts outcomes and writes them to the file
// named by OUTBOX_E2E_SUMMARY; e2e/run.mjs prints the closing line from it.
// A test that passed on a retry counts as passed (Playwright calls it flaky,
// and the list reporter says so).
import { writeFileSync } from 'node:fs';

export default class SummaryReporter {
  onBegin(config, suite) {
    this.suite = suite;
    this.errors = 0;
  }

  onError() {
    this.errors += 1;
  }

  onEnd(result) {
    const counts = { passed: 0, failed: 0, skipped: 0, flaky: 0, errors: this.errors, status: result.status };
    for (const test of this.suite?.allTests() ?? []) {
      const outcome = test.outcome();
      if (outcome === 'expected') counts.passed += 1;
      else if (outcome === 'flaky') {
        counts.passed += 1;
        counts.flaky += 1;
      } else if (outcome === 'unexpected') counts.failed += 1;
      else counts.skipped += 1;
    }
    const file = process.env.OUTBOX_E2E_SUMMARY;
    if (file) writeFileSync(file, JSON.stringify(counts));
    else console.log(`e2e: ${counts.passed} passed, ${counts.failed} failed${counts.skipped ? `, ${counts.skipped} skipped` : ''}`);
  }

  printsToStdio() {
    return !process.env.OUTBOX_E2E_SUMMARY;
  }
}
