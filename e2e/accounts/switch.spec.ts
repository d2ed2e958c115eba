// Accounts on one browser: a user's queued messages are theirs. Signing out
// (purge) deletes them; switching user without purge leaves them waiting for
// their owner; two users in two tabs each see and send only their own. The
// server's record (`stored[i].headers.authorization`) says who each message
// went out as.
import { test, expect, list, events, type OutboxEvent } from '../fixtures';
import { attemptsFor, bearer, ledgerOf, listOf, purge, queueEntriesOf, sendAs, serverState, sleep, storedWithAuth, switchUser } from '../accounts/helpers';

const A = { ns: 'alice', token: 'tok-alice-1' };
const B = { ns: 'bob', token: 'tok-bob-1' };

test('sign-out purges: none of A\'s queued messages ever reach the server; B\'s do, as B', async ({ page, context, server, openHarness, waitFor, waitForStored }) => {
  await openHarness(page, 'api=/api/chat', { ns: A.ns, token: A.token });
  await context.setOffline(true);
  const fromA = await sendAs(page, ['alice: first', 'alice: second']);
  expect(fromA.map((r) => r.status)).toEqual(['queued', 'queued']);
  expect((await list(page)).map((m) => m.id)).toEqual(fromA.map((r) => r.id));

  // Sign-out: purge, then B signs in on the same page.
  expect(await purge(page)).toBe(2);
  expect(await list(page), 'A\'s list after purge').toEqual([]);
  expect(await queueEntriesOf(page, A.ns), 'A\'s entries in Workbox\'s store after purge').toEqual([]);
  expect(await ledgerOf(page, A.ns), 'A\'s ledger records after purge').toEqual([]);
  const discarded = (await events(page)).filter((e: OutboxEvent) => e.status === 'discarded').map((e) => e.id);
  expect(discarded.sort(), 'the page hears that the purged messages are gone').toEqual(fromA.map((r) => r.id).sort());

  await switchUser(page, B.ns, B.token);
  const fromB = await sendAs(page, ['bob: hello']);
  expect(fromB[0]!.status).toBe('queued');
  await context.setOffline(false);
  await waitForStored(1);
  await waitFor(async () => (await list(page)).length === 0, { message: 'B\'s list empties' });

  // A comes back: there is nothing of A's left to send.
  await switchUser(page, A.ns, A.token);
  expect(await list(page), 'A\'s list when A is back').toEqual([]);
  await page.evaluate(() => (window as any).outbox.flush());
  await sleep(1_000);
  expect(storedWithAuth(server), serverState(server)).toEqual([
    { key: fromB[0]!.id, text: 'bob: hello', authorization: bearer(B.token), cookie: undefined },
  ]);
  expect(attemptsFor(server, fromA.map((r) => r.id)), `A's messages must never reach the server${serverState(server)}`).toEqual([]);
});

test('switching user without purge: B\'s go out as B, A\'s wait for A, then go out as A', async ({ page, context, server, openHarness, waitFor, waitForStored }) => {
  await openHarness(page, 'api=/api/chat', { ns: A.ns, token: A.token });
  await context.setOffline(true);
  const fromA = await sendAs(page, ['alice: one', 'alice: two']);
  expect(fromA.map((r) => r.status)).toEqual(['queued', 'queued']);
  const idsA = fromA.map((r) => r.id);

  await switchUser(page, B.ns, B.token);
  expect(await list(page), 'B starts with an empty list: A\'s are not B\'s').toEqual([]);
  const fromB = await sendAs(page, ['bob: one', 'bob: two']);
  expect(fromB.map((r) => r.status)).toEqual(['queued', 'queued']);
  const idsB = fromB.map((r) => r.id);
  expect((await list(page)).map((m) => m.id)).toEqual(idsB);

  await context.setOffline(false);
  await waitForStored(2);
  await waitFor(async () => (await list(page)).length === 0, { message: 'B\'s list empties' });
  // More chances for A's to slip out while B's page is the only one: a flush and a second.
  await page.evaluate(() => (window as any).outbox.flush());
  await sleep(1_000);
  expect(storedWithAuth(server).map((m) => [m.text, m.authorization]), serverState(server)).toEqual([
    ['bob: one', bearer(B.token)],
    ['bob: two', bearer(B.token)],
  ]);
  expect(attemptsFor(server, idsA), `A's messages wait while no page of A is open${serverState(server)}`).toEqual([]);
  const waitingA = await listOf(page, A.ns);
  expect(waitingA.map((m) => [m.id, m.status]), 'A\'s list, still queued').toEqual(idsA.map((id) => [id, 'queued']));

  // A returns: A's go out, as A.
  await switchUser(page, A.ns, A.token);
  await waitForStored(4);
  await waitFor(async () => (await list(page)).length === 0, { message: 'A\'s list empties' });
  expect(storedWithAuth(server).map((m) => [m.key, m.text, m.authorization]), serverState(server)).toEqual([
    [idsB[0], 'bob: one', bearer(B.token)],
    [idsB[1], 'bob: two', bearer(B.token)],
    [idsA[0], 'alice: one', bearer(A.token)],
    [idsA[1], 'alice: two', bearer(A.token)],
  ]);
});

// With `restart`, the worker is stopped while the messages wait: the headers it
// held in memory are gone, so each message goes out with its own user's session
// credentials, handed over again by that user's tab. (That variant cuts the API,
// not the network: a worker that Chromium starts while the context is offline
// can stay offline after `setOffline(false)` in this harness.)
for (const restart of [false, true]) test(`two users in two tabs${restart ? ', worker restarted' : ''}: each tab lists only its own, each message goes out with its owner's credentials`, async ({ context, server, openHarness, cdp, waitFor, waitForStored }) => {
  const tabA = await context.newPage();
  const tabB = await context.newPage();
  await openHarness(tabA, 'api=/api/chat', { ns: A.ns, token: A.token });
  await openHarness(tabB, 'api=/api/chat', { ns: B.ns, token: B.token });

  const cut = (down: boolean) => (restart ? server.api.setMode(down ? 'unreachable' : 'up') : context.setOffline(down));
  await cut(true);
  const a1 = await sendAs(tabA, ['alice in tab 1: one']);
  const b1 = await sendAs(tabB, ['bob in tab 2: one']);
  const a2 = await sendAs(tabA, ['alice in tab 1: two']);
  const b2 = await sendAs(tabB, ['bob in tab 2: two']);
  const idsA = [a1[0]!.id, a2[0]!.id];
  const idsB = [b1[0]!.id, b2[0]!.id];
  for (const r of [...a1, ...a2, ...b1, ...b2]) expect(r.status).toBe('queued');

  expect((await list(tabA)).map((m) => m.id), 'tab 1 lists A\'s only').toEqual(idsA);
  expect((await list(tabB)).map((m) => m.id), 'tab 2 lists B\'s only').toEqual(idsB);
  for (const m of await list(tabA)) expect(m.namespace).toBe(A.ns);

  if (restart) await (await cdp(tabA)).stopWorkers();
  await cut(false);
  await waitForStored(4);
  await waitFor(async () => (await list(tabA)).length === 0 && (await list(tabB)).length === 0, { message: 'both lists empty' });
  await waitFor(async () => {
    const seenA = await events(tabA);
    return idsA.every((id) => seenA.some((e) => e.id === id && e.status === 'delivered'));
  }, { message: 'tab 1 sees A\'s delivered' });

  const byKey = new Map(storedWithAuth(server).map((m) => [m.key, m]));
  for (const id of idsA) expect(byKey.get(id)?.authorization, serverState(server)).toBe(bearer(A.token));
  for (const id of idsB) expect(byKey.get(id)?.authorization, serverState(server)).toBe(bearer(B.token));
  expect(server.api.stored).toHaveLength(4);
  // FIFO within each user.
  const order = server.api.stored.map((m) => m.key);
  expect(order.filter((k) => idsA.includes(k))).toEqual(idsA);
  expect(order.filter((k) => idsB.includes(k))).toEqual(idsB);

  // Each tab heard only its own user's statuses.
  const heardA = new Set((await events(tabA)).map((e: OutboxEvent) => e.id));
  const heardB = new Set((await events(tabB)).map((e: OutboxEvent) => e.id));
  expect(idsB.filter((id) => heardA.has(id)), 'tab 1 heard B\'s messages').toEqual([]);
  expect(idsA.filter((id) => heardB.has(id)), 'tab 2 heard A\'s messages').toEqual([]);
});

// Bearer: the purged messages also lose their credentials. Cookie session: nothing
// but the exclusive section keeps the drain from sending what it already read.
for (const auth of ['bearer', 'cookie'] as const) test(`purge during a running drain (${auth}): nothing of A's is sent after purge resolves`, async ({ page, context, server, openHarness, waitFor }) => {
  await openHarness(page, 'api=/api/chat', auth === 'bearer' ? { ns: A.ns, token: A.token } : { ns: A.ns, cookie: 'cookie-alice' });
  await context.setOffline(true);
  const ids = (await sendAs(page, ['drain 1', 'drain 2', 'drain 3', 'drain 4', 'drain 5', 'drain 6'])).map((r) => r.id);
  // A slow server: the drain spends 400 ms on each message.
  server.api.delayMs = 400;
  await context.setOffline(false);
  await waitFor(() => server.api.stored.length >= 1, { message: 'the drain is under way' });

  const purgeCalledAt = Date.now();
  const removed = await purge(page);
  const purgeDoneAt = Date.now();
  const storedAtPurge = server.api.stored.length;
  expect(removed + storedAtPurge, 'each message was either sent or purged').toBeGreaterThanOrEqual(ids.length - 1);
  await sleep(1_500);
  const late = server.api.attempts.filter((a) => ids.includes(a.key) && a.receivedAtMs > purgeDoneAt);
  expect(late, `sent after purge resolved${serverState(server)}`).toEqual([]);
  // At most the one on the wire when purge was called arrives afterwards.
  expect(server.api.attempts.filter((a) => ids.includes(a.key) && a.receivedAtMs >= purgeCalledAt).length).toBeLessThanOrEqual(1);
  expect(server.api.stored.length).toBeLessThanOrEqual(storedAtPurge + 1);
  expect(server.api.stored.length).toBeLessThan(ids.length);
  expect(await list(page)).toEqual([]);
  expect(await queueEntriesOf(page, A.ns)).toEqual([]);
});

test('closing the owner\'s tab stops its replay; the owner\'s next page resumes it', async ({ context, server, openHarness, waitForStored }) => {
  const tabA = await context.newPage();
  const tabB = await context.newPage();
  await openHarness(tabA, 'api=/api/chat', { ns: A.ns, token: A.token });
  await openHarness(tabB, 'api=/api/chat', { ns: B.ns, token: B.token });
  await context.setOffline(true);
  const idsA = (await sendAs(tabA, ['closed tab: alice'])).map((r) => r.id);
  await tabA.close();
  const idsB = (await sendAs(tabB, ['open tab: bob'])).map((r) => r.id);
  await context.setOffline(false);
  await waitForStored(1);
  await tabB.evaluate(() => (window as any).outbox.flush());
  await sleep(1_000);
  expect(attemptsFor(server, idsA), `A's tab is closed: A's message waits${serverState(server)}`).toEqual([]);
  expect(storedWithAuth(server).map((m) => [m.key, m.authorization])).toEqual([[idsB[0], bearer(B.token)]]);

  // A opens the site again (credentials handed over by the new page: the held ones may be gone).
  const tabA2 = await context.newPage();
  await openHarness(tabA2, 'api=/api/chat', { ns: A.ns, token: A.token });
  await waitForStored(2);
  expect(storedWithAuth(server).map((m) => [m.key, m.authorization])).toEqual([
    [idsB[0], bearer(B.token)],
    [idsA[0], bearer(A.token)],
  ]);
});
