// What each engine says about keeping the outbox's storage: whether the page
// may ask for persistent storage (exempt from eviction under storage
// pressure), and the quota it reports. Recorded as a `fact` annotation, which
// the run prints per engine (e2e/run.mjs); the README's browser table quotes
// it. Asserted: only that each answer is of its type.
import { test, expect } from '../engines/fixtures';

test('storage: what persist() answers, and the quota the engine reports', async ({ tab, server }, testInfo) => {
  await tab.goto(`${server.url}/test/plain.html`);
  const facts = await tab.evaluate(async () => {
    const storage = navigator.storage as StorageManager | undefined;
    if (!storage) return null;
    const persistedBefore = await storage.persisted();
    // Firefox asks the user; a prompt nobody answers must not hang the test.
    const persist = await Promise.race([
      storage.persist(),
      new Promise<string>((resolve) => setTimeout(() => resolve('no answer within 3 s (the browser asks the user)'), 3_000)),
    ]);
    const { quota } = await storage.estimate();
    return { persistedBefore, persist, quotaBytes: quota ?? null };
  });
  let fact: string;
  if (facts === null) {
    fact = 'no navigator.storage (no persist(), no estimate())';
  } else {
    expect(typeof facts.persistedBefore).toBe('boolean');
    expect(typeof facts.quotaBytes).toBe('number');
    fact = `navigator.storage.persist() answered ${facts.persist}; quota reported ${(facts.quotaBytes! / 2 ** 30).toFixed(1)} GiB`;
  }
  testInfo.annotations.push({ type: 'fact', description: fact });
});
