// Corrupt or foreign records in the queue's store: records another program
// wrote into Workbox's database (`workbox-background-sync` version 3, store
// `requests`, queueName 'outbox'): an older version's, a broken one, the plain
// Workbox recipe's. The broken ones end `failed` with reason `corrupt`, the
// queue is never stuck behind them, and the valid ones are delivered in order.
import { test, expect, send, list, events, call, expectStoredExactly } from '../fixtures';
import { rawLedger, rawQueue, writeRawEntries } from '../fault-helpers';

test('broken records end failed/corrupt without blocking the queue; foreign valid ones (plain recipe, older version) are adopted and delivered in order', async ({ page, context, server, openHarness, waitFor, waitForStored }) => {
  await openHarness(page);
  // The worker's start drain has created the database by now.
  await waitFor(async () => (await page.evaluate(async () => (await indexedDB.databases()).some((d) => d.name === 'workbox-background-sync'))), {
    message: 'the queue database exists',
  });
  const api = `${server.url}/api/chat`;
  const now = Date.now();
  const json = { 'content-type': 'application/json' };
  // Distinct creation times, so list() (oldest first) has one right order.
  let tick = 0;
  const meta = (id: string) => ({ v: 1, id, createdAtMs: now + tick++ });

  const broken = [
    { name: 'no requestData', id: 'corrupt-no-request', record: { queueName: 'outbox', timestamp: now, metadata: meta('corrupt-no-request') } },
    { name: 'bad URL', id: 'corrupt-bad-url', record: { queueName: 'outbox', timestamp: now, metadata: meta('corrupt-bad-url'), requestData: { url: 'http://[not a url', method: 'POST', headers: json } } },
    { name: 'no headers', id: 'corrupt-no-headers', record: { queueName: 'outbox', timestamp: now, metadata: meta('corrupt-no-headers'), requestData: { url: api, method: 'POST' } } },
    { name: 'GET with a body', id: 'corrupt-get-body', record: { queueName: 'outbox', timestamp: now, metadata: meta('corrupt-get-body'), requestData: { url: api, method: 'GET', headers: json }, bodyText: '{"text":"never"}' } },
    { name: 'invalid header name', id: 'corrupt-header', record: { queueName: 'outbox', timestamp: now, metadata: meta('corrupt-header'), requestData: { url: api, method: 'POST', headers: { 'bad header': 'x' } }, bodyText: '{"text":"never"}' } },
    { name: 'not an http URL', id: 'corrupt-scheme', record: { queueName: 'outbox', timestamp: now, metadata: meta('corrupt-scheme'), requestData: { url: 'ftp://127.0.0.1/api/chat', method: 'POST', headers: json }, bodyText: '{"text":"never"}' } },
  ];
  const olderKey = '11111111-2222-4333-8444-555555555555';
  const foreign = [
    // The plain recipe's entry: no metadata, no Idempotency-Key (the worker gives it one: workbox-entry-<key>).
    { queueName: 'outbox', timestamp: now + 10, requestData: { url: api, method: 'POST', headers: json, mode: 'cors', credentials: 'same-origin' }, bodyText: '{"text":"from the plain recipe"}' },
    // An older version's: metadata without an id; its Idempotency-Key header is the id.
    { queueName: 'outbox', timestamp: now + 11, metadata: { v: 0 }, requestData: { url: api, method: 'POST', headers: { ...json, 'idempotency-key': olderKey } }, bodyText: '{"text":"from an older version"}' },
  ];
  // Another queue's record: not ours, left alone.
  const otherQueue = { queueName: 'someone-else', timestamp: now, requestData: { url: api, method: 'POST', headers: json }, bodyText: '{"text":"not ours"}' };

  await context.setOffline(true);
  const keys = await writeRawEntries(page, [
    ...broken.map((b) => b.record),
    ...foreign,
    otherQueue,
  ]);
  const recipeKey = `workbox-entry-${keys[broken.length]}`;
  const valid = await send(page, 'valid, behind the broken ones');
  expect(valid.status).toBe('queued');

  await context.setOffline(false);
  await waitForStored(3, { message: 'the three valid messages stored' });
  expectStoredExactly(server, [recipeKey, olderKey, valid.id], ['from the plain recipe', 'from an older version', 'valid, behind the broken ones']);
  expect(server.api.attempts.map((a) => a.key), 'nothing broken was sent').toEqual([recipeKey, olderKey, valid.id]);

  // The broken ones: failed, reason corrupt, listed (oldest first), never retried by themselves.
  await waitFor(async () => (await list(page)).length === broken.length, { message: 'only the broken records left in list()' });
  const pending = await list(page);
  expect(pending.map((m) => [m.id, m.status, m.reason])).toEqual(broken.map((b) => [b.id, 'failed', 'corrupt']));
  for (const b of broken) {
    expect((await events(page)).some((e) => e.id === b.id && e.status === 'failed' && e.reason === 'corrupt'), `a failed/corrupt event for "${b.name}"`).toBe(true);
  }
  // Set aside: out of the queue, in the ledger; the other queue's record untouched.
  const left = await rawQueue(page);
  expect(left.map((e) => e.queueName)).toEqual(['someone-else']);
  expect((await rawLedger(page)).map((r) => [r.id, r.status, r.reason]).sort()).toEqual(broken.map((b) => [b.id, 'failed', 'corrupt']).sort());

  // And the queue is not stuck: a new message goes straight through.
  const next = await send(page, 'after the cleanup');
  expect(next.status).toBe('delivered');
  expect(await call(page, 'discard', 'corrupt-no-request')).toMatchObject({ ok: true });
});
