// Accounts on one browser, Chromium only: what needs CDP or a slow server
// mid-drain. A worker stopped while two users' messages wait (its memory of
// their credentials gone) still sends each with its owner's; purge during a
// running drain sends nothing of A's after it resolves. The cases every engine
// runs (sign-out purge, switching user without purge, two users in two tabs,
// closing the owner's tab) are in e2e/neutral/accounts.spec.ts.
import { test, expect, list } from '../fixtures';
import { bearer, expectDeliveredPerUser, queueForTwoUsers, purge, queueEntriesOf, sendAs, serverState, sleep } from '../accounts/helpers';

const A = { ns: 'alice', token: 'tok-alice-1' };
const B = { ns: 'bob', token: 'tok-bob-1' };

// The worker is stopped while the messages wait: the headers it held in memory
// are gone, so each message goes out with its own user's session credentials,
// handed over again by that user's tab. (The API is cut, not the network: a
// worker that Chromium starts while the context is offline can stay offline
// after `setOffline(false)` in this harness.)
test('two users in two tabs, worker restarted: each tab lists only its own, each message goes out with its owner\'s credentials', async ({ context, server, openHarness, cdp, waitFor, waitForStored }) => {
  const tabA = await context.newPage();
  const tabB = await context.newPage();
  await openHarness(tabA, 'api=/api/chat', { ns: A.ns, token: A.token });
  await openHarness(tabB, 'api=/api/chat', { ns: B.ns, token: B.token });

  const { idsA, idsB } = await queueForTwoUsers(server, tabA, tabB, A.ns);

  await (await cdp(tabA)).stopWorkers();
  server.api.setMode('up');
  await waitForStored(4);
  await expectDeliveredPerUser(server, waitFor, [{ tab: tabA, ids: idsA, token: A.token }, { tab: tabB, ids: idsB, token: B.token }]);
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
