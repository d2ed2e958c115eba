// One queued record the browser can no longer read (its blob file is gone
// from the profile: Chromium reports "data lost due to missing file") is set
// aside as failed/`corrupt`; it stops neither createOutbox(), nor the
// delivery of the messages before and after it, nor new sends.
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { test, expect, send, list, expectStoredExactly } from '../fixtures';
import { tempProfile } from '../fault-helpers';
import type { BrowserContext } from '@playwright/test';

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

test('a record whose blob file is gone: set aside as corrupt; the others are delivered in order, createOutbox resolves, new sends work', async ({ server, openHarness, waitForStored }) => {
  const profile = tempProfile();
  let context: BrowserContext | undefined;
  try {
    context = await profile.launch(server.url);
    let page = context.pages()[0] ?? (await context.newPage());
    // No Background Sync: nothing is delivered before the test has damaged the profile.
    await openHarness(page, 'api=/api/chat&sync=0');
    await context.setOffline(true);
    const first = await send(page, 'before the photo');
    // Large enough that Chromium keeps the value in a blob file of its own.
    // Random bytes: Chromium compresses a compressible value instead of wrapping it in a blob file.
    const photo = await page.evaluate(() => {
      const bytes = new Uint8Array(900_000);
      for (let i = 0; i < bytes.length; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
      return (window as any).outbox.send('/api/chat', new Blob([bytes], { type: 'image/png' }));
    });
    const third = await send(page, 'after the photo');
    expect([first.status, photo.status, third.status]).toEqual(['queued', 'queued', 'queued']);
    await context.close();
    context = undefined;

    // Chromium keeps an origin's IndexedDB blobs in `…indexeddb.blob/` (under
    // Default/IndexedDB/ or, with storage buckets, Default/WebStorage/<id>/IndexedDB/).
    const blobs = filesUnder(profile.dir).filter((file) => /indexeddb\.blob/.test(file));
    expect(blobs.length, `the photo is kept in a blob file (profile: ${filesUnder(profile.dir).filter((f) => /IndexedDB/i.test(f)).join(', ')})`).toBeGreaterThan(0);
    for (const file of blobs) rmSync(file);

    context = await profile.launch(server.url);
    page = context.pages()[0] ?? (await context.newPage());
    await openHarness(page, 'api=/api/chat&sync=0');
    await waitForStored(2, { timeoutMs: 20_000, message: 'the readable messages are delivered around the unreadable one' });
    expectStoredExactly(server, [first.id, third.id], ['before the photo', 'after the photo']);

    await expect.poll(async () => (await list(page)).map((m) => [m.status, m.reason])).toEqual([['failed', 'corrupt']]);
    const next = await send(page, 'a new message');
    expect(next.status).toBe('delivered');
    await waitForStored(3);
    expect(server.api.stored.map((m) => m.key)).toEqual([first.id, third.id, next.id]);
  } finally {
    await context?.close();
    profile.remove();
  }
});
