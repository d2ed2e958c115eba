// A browser restart on a persistent profile: messages queued before it are
// delivered once and in order after it, by the worker's start when a page of
// the origin opens (without Background Sync nothing starts the worker before).
// WebKit cannot run this: each WebKitWebDriver session starts with empty storage.
//
// The demo server is started once for the test, so the origin is the same across the restart.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect, sendAll } from '../engines/fixtures';
import { expectStoredExactly, texts } from '../fixtures';

const N = 4;

test('messages queued before a browser restart are delivered once and in order after it, when a page of the origin opens', async ({ server, openSession, harness, needs, waitForStored }) => {
  needs('restart');
  const profileDir = mkdtempSync(path.join(os.tmpdir(), 'outbox-profile-'));
  let after: Awaited<ReturnType<typeof openSession>> | undefined;
  try {
    const before = await openSession({ profileDir });
    const tab = await before.newTab();
    await harness(tab, 'api=/api/chat&sync=0', { probe: false, online: false });
    server.api.setMode('unreachable');
    const sent = texts('across a restart', N);
    const results = await sendAll(tab, sent);
    expect(results.map((r) => r.status)).toEqual(Array(N).fill('queued'));
    await before.close();
    server.api.setMode('up');
    const attemptsBefore = server.api.attempts.length;

    after = await openSession({ profileDir });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(server.api.attempts.length, 'no Background Sync: nothing is tried until a page of the origin opens').toBe(attemptsBefore);

    // A page without the client: no flush, no probe, no `online`. Only the worker's start drains.
    const plain = await after.newTab();
    await plain.goto(`${server.url}/test/plain.html`);
    await waitForStored(N, { timeoutMs: 15_000, message: `${N} stored after the restart, once a plain page started the worker` });
    expect(await plain.evaluate(() => 'outbox' in window), 'the plain page has no client').toBe(false);
    expectStoredExactly(server, results.map((r) => r.id), sent);
    expect(server.api.attempts.slice(attemptsBefore).map((a) => a.outcome), 'one attempt per message after the restart').toEqual(Array(N).fill('stored'));
  } finally {
    // The browser writes to its profile until it has exited: close it first,
    // and let rm retry what an exiting browser still holds (ENOTEMPTY seen in CI).
    await after?.close().catch(() => undefined);
    rmSync(profileDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
});
