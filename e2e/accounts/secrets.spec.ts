// What reaches the disk. Every database of the origin is read from the page
// (indexedDB.databases(), every store, every record, byte buffers decoded) and
// searched for the secrets. Chromium only (CDP stops the worker; Playwright
// copies the disk's records): a secret in the page's address is not kept; with
// encrypt=1 no message text is there either, and after purge what was copied
// off the disk cannot be read back. That no Authorization or Cookie value is
// ever there, queued or failed, is checked in every engine by
// e2e/neutral/accounts.spec.ts.
import { test, expect, list, waitForHarness } from '../fixtures';
import { bearer, purge, queueEntriesOf, sendAs, serverState, storedWithAuth } from '../accounts/helpers';

test('a secret in the sending page\'s address (a sign-in link\'s query) is not stored with the message', async ({ page, server, waitForStored }) => {
  const MAGIC = 'magic-link-secret-51c9e0';
  // A page opened from a sign-in link: the token is in its query, and the page's address is each message's Referer.
  await page.goto(`${server.url}/test/harness.html?ns=alice&signin=${MAGIC}`);
  await waitForHarness(page);
  server.api.setMode('unreachable');
  const queued = await sendAs(page, ['sent from a sign-in link page']);
  expect(queued[0]!.status).toBe('queued');
  const entries = await queueEntriesOf(page, 'alice');
  expect(entries).toHaveLength(1);
  expect(entries[0].requestData.referrer, 'the page is still named, without its query').toBe(`${server.url}/test/harness.html`);
  expect(await page.evaluate((m) => (window as any).idbSearch([m]), MAGIC), 'the page\'s query in IndexedDB').toEqual([]);
  server.api.setMode('up');
  await waitForStored(1);
});

test('after a worker restart (memory gone) queued messages wait for the page\'s credentials, then go out with them', async ({ page, context, server, openHarness, cdp, waitFor, waitForStored }) => {
  server.api.validTokens.add('tok-a-1');
  await openHarness(page, 'api=/api/chat', { ns: 'alice', token: 'tok-a-1', creds: 'fn' });
  const callsAtStart: number = await page.evaluate(() => (window as any).credentialCalls);
  server.api.setMode('unreachable');
  const queued = await sendAs(page, ['restart one', 'restart two']);
  expect(queued.map((r) => r.status)).toEqual(['queued', 'queued']);

  // The token is refreshed meanwhile; the page's credentials function now gives the new one.
  server.api.validTokens.clear();
  server.api.validTokens.add('tok-a-2');
  await page.evaluate(() => ((window as any).currentToken = 'tok-a-2'));
  const c = await cdp(page);
  await c.stopWorkers();
  server.api.setMode('up');
  // Whatever wakes the worker, its 'started' makes the page hand credentials again.
  await page.evaluate(() => (window as any).outbox.flush().catch(() => undefined));
  await waitForStored(2);
  expect(await page.evaluate(() => (window as any).credentialCalls), 'the credentials function was asked again').toBeGreaterThan(callsAtStart);
  expect(storedWithAuth(server).map((m) => [m.text, m.authorization]), serverState(server)).toEqual([
    ['restart one', bearer('tok-a-2')],
    ['restart two', bearer('tok-a-2')],
  ]);
  await waitFor(async () => (await list(page)).length === 0, { message: 'list empties' });
});

test('encrypt=1: no message text in IndexedDB; after purge the copied ciphertext cannot be read', async ({ page, context, server, openHarness, waitForStored }) => {
  const secretTexts = ['plaintext-alpha-7c41', 'plaintext-beta-92de'];
  await openHarness(page, 'api=/api/chat&encrypt=1', { ns: 'alice', token: 'tok-a' });
  server.api.setMode('unreachable');
  const queued = await sendAs(page, secretTexts);
  expect(queued.map((r) => r.status)).toEqual(['queued', 'queued']);
  // The page still reads them (the worker decrypts for list()).
  expect((await list(page)).map((m) => JSON.parse(m.bodyText!).text)).toEqual(secretTexts);

  expect(await page.evaluate((t) => (window as any).idbSearch(t), secretTexts), 'message text in IndexedDB').toEqual([]);
  const records = await queueEntriesOf(page, 'alice');
  expect(records).toHaveLength(2);
  for (const r of records) expect(r.metadata.iv).toBeTruthy();
  expect(await page.evaluate(() => (window as any).keyNamespaces())).toEqual(['alice']);

  // Copy the raw records off the disk, as someone who had the profile would.
  // Script on the origin can use the stored key (non-extractable is not unusable):
  // the copy decrypts while the key exists.
  await page.evaluate(async () => {
    const w = window as any;
    w.copied = (await w.queueRecords()).filter((r: any) => r.metadata?.namespace === 'alice');
  });
  expect(await page.evaluate(() => (window as any).tryDecrypt((window as any).copied)), 'sanity: the key opens the copy').toEqual(
    secretTexts.map((t) => JSON.stringify({ text: t })),
  );

  expect(await purge(page)).toBe(2);
  expect(await page.evaluate(() => (window as any).keyNamespaces()), 'A\'s key after purge').toEqual([]);
  expect(await queueEntriesOf(page, 'alice')).toEqual([]);

  // A new key for the same user (a new message after the purge) does not open the old records either.
  server.api.setMode('up');
  // (The worker may still be backing off from the outage: delivered now or soon.)
  const [after] = await sendAs(page, ['after the purge']);
  expect(['delivered', 'queued']).toContain(after!.status);
  expect(await page.evaluate(() => (window as any).keyNamespaces())).toEqual(['alice']);
  const opened = await page.evaluate(() => (window as any).tryDecrypt((window as any).copied));
  expect(opened, 'the copied records decrypt with a key left after purge').toEqual([null, null]);
  const copyText = await page.evaluate(() => JSON.stringify((window as any).copied.map((r: any) => Array.from(new Uint8Array(r.requestData.body)))));
  const bytes = Buffer.from(JSON.parse(copyText).flat());
  for (const t of secretTexts) expect(bytes.includes(Buffer.from(t)), `plaintext ${t} in the copied ciphertext`).toBe(false);

  await waitForStored(1);
  expect(storedWithAuth(server).map((m) => m.text), serverState(server)).toEqual(['after the purge']);
});

test('encrypt=1: a refused message kept for retry is encrypted too, and still retryable', async ({ page, server, openHarness, waitForStored }) => {
  const MARK = 'refused-plaintext-3e8a';
  await openHarness(page, 'api=/api/chat&encrypt=1', { ns: 'alice', token: 'tok-a' });
  // Online, queue empty: the message goes straight to the server, which refuses it (422).
  const refused = await page.evaluate(
    (mark) => (window as any).outbox.send('/api/chat', { text: '', mark }, { headers: { Authorization: 'Bearer tok-a' } }),
    MARK,
  );
  expect(refused).toMatchObject({ status: 'failed', reason: 'http-422' });
  const [kept] = await list(page);
  expect(kept).toMatchObject({ id: refused.id, status: 'failed' });
  expect(JSON.parse(kept!.bodyText!), 'the page can still show it').toEqual({ text: '', mark: MARK });
  expect(await page.evaluate((m) => (window as any).idbSearch([m]), MARK), 'plaintext of the failed message in IndexedDB').toEqual([]);
  // Retry sends the same (decrypted) body: the server refuses it again, for the same reason, not as corrupt.
  await page.evaluate((id) => (window as any).outbox.retry(id), refused.id);
  await expect.poll(async () => (await list(page))[0]?.reason).toBe('http-422');
  expect(server.api.attempts.filter((a) => a.key === refused.id).map((a) => a.outcome)).toEqual(['rejected', 'rejected']);
  await page.evaluate(() => (window as any).outbox.send('/api/chat', { text: 'fine' }, { headers: { Authorization: 'Bearer tok-a' } }));
  await waitForStored(1);
});

test('encrypt=1: a stop between key deletion and record deletion leaves records nobody can read or send', async ({ page, server, openHarness, cdp, waitFor }) => {
  const secretTexts = ['crash-plain-1f0a', 'crash-plain-2b7e'];
  // No backoff timer may fire between the key's deletion and the stop: a pass
  // then would set the records aside (its key is gone) before the "crash".
  await openHarness(page, 'api=/api/chat&encrypt=1&retryBase=60000&retryMax=60000', { ns: 'alice', token: 'tok-a' });
  server.api.setMode('unreachable');
  const queued = await sendAs(page, secretTexts);
  const ids = queued.map((r) => r.id);

  const attemptsBefore = server.api.attempts.length;
  // Purge's first step (delete the key), then the worker stops before the second.
  await page.evaluate(async () => {
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open('outbox-keys');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const tx = open.result.transaction('keys', 'readwrite');
        tx.objectStore('keys').delete('alice');
        tx.oncomplete = () => {
          open.result.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
    });
  });
  // The records as the stop leaves them, read before it: a worker woken right
  // after the stop (a probe's fetch, a sync event) drains at its start and
  // sets them aside at once, which the rest of the test checks anyway.
  const left = await queueEntriesOf(page, 'alice');
  await (await cdp(page)).stopWorkers();
  expect(left, 'the records a crash left behind').toHaveLength(2);
  expect(await page.evaluate((r) => (window as any).tryDecrypt(r), left)).toEqual([null, null]);
  expect(await page.evaluate((t) => (window as any).idbSearch(t), secretTexts)).toEqual([]);

  // The worker comes back: the leftovers cannot be rebuilt, so they fail (corrupt) and are never sent.
  server.api.setMode('up');
  await page.evaluate(() => (window as any).outbox.flush().catch(() => undefined));
  await waitFor(async () => {
    const pending = await list(page);
    return pending.length === 2 && pending.every((m) => m.status === 'failed' && m.reason === 'corrupt');
  }, { message: 'leftovers marked failed (corrupt)' });
  for (const m of await list(page)) expect(m.bodyText).toBeUndefined();
  expect(server.api.attempts.slice(attemptsBefore).filter((a) => ids.includes(a.key)), `sent after the crash${serverState(server)}`).toEqual([]);
  expect(server.api.stored).toEqual([]);
  expect(await page.evaluate((t) => (window as any).idbSearch(t), secretTexts)).toEqual([]);
});
