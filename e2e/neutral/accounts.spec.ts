// Accounts in every engine: a user's queued messages are theirs. Sign-out
// purges them (from the page's list, Workbox's store and the ledger); another
// user's page neither lists nor sends them; each message goes out with its
// owner's credentials; a 401 pauses only that user; no secret reaches
// IndexedDB. The outage is the API's (server modes), so a message may reach
// the server once, refused, before the assertions about what happens after.
// These are the one copy of each case: the Chromium-only specs in
// e2e/accounts/ keep what needs CDP or Playwright's context (a worker stopped,
// purge during a slow drain, cookies set from outside, encryption's key
// deletion) and cases no engine-neutral spec has.
import { test, expect, list, events, flush } from '../engines/fixtures';
import { attemptsFor, attemptsSince, bearer, expectDeliveredPerUser, queueForTwoUsers, ledgerOf, listOf, purge, queueEntriesOf, sendAs, serverState, sleep, storedWithAuth, switchUser } from '../accounts/helpers';

const A = { ns: 'alice', token: 'tok-alice-1' };
const B = { ns: 'bob', token: 'tok-bob-1' };

test('sign-out purges: none of A\'s queued messages is sent afterwards; B\'s go out, as B', async ({ tab, server, harness, waitFor, waitForStored }) => {
  await harness(tab, 'api=/api/chat', { ns: A.ns, token: A.token, probe: false });
  server.api.setMode('unreachable');
  const sentA = await sendAs(tab, ['alice: first', 'alice: second']);
  expect(sentA.map((r) => r.status)).toEqual(['queued', 'queued']);
  const fromA = sentA.map((r) => r.id);
  expect((await list(tab)).map((m) => m.id)).toEqual(fromA);

  expect(await purge(tab)).toBe(2);
  const purgedAtMs = Date.now();
  expect(await list(tab), 'A\'s list after purge').toEqual([]);
  expect(await queueEntriesOf(tab, A.ns), 'A\'s entries in Workbox\'s store after purge').toEqual([]);
  expect(await ledgerOf(tab, A.ns), 'A\'s ledger records after purge').toEqual([]);
  const discarded = (await events(tab)).filter((e) => e.status === 'discarded').map((e) => e.id);
  expect(discarded.sort(), 'the page hears that the purged messages are gone').toEqual([...fromA].sort());

  await switchUser(tab, B.ns, B.token);
  const [fromB] = await sendAs(tab, ['bob: hello']);
  expect(fromB!.status).toBe('queued');
  server.api.setMode('up');
  await flush(tab);
  await waitForStored(1);
  await waitFor(async () => (await list(tab)).length === 0, { message: 'B\'s list empties' });

  // A comes back: nothing of A's is left to send.
  await switchUser(tab, A.ns, A.token);
  expect(await list(tab), 'A\'s list when A is back').toEqual([]);
  await flush(tab);
  await sleep(1_000);
  expect(storedWithAuth(server), serverState(server)).toEqual([{ key: fromB!.id, text: 'bob: hello', authorization: bearer(B.token), cookie: undefined }]);
  expect(attemptsSince(server, fromA, purgedAtMs), `A's messages sent after the purge${serverState(server)}`).toEqual([]);
});

test('switching user without purge: B\'s go out as B, A\'s wait for A, then go out as A', async ({ tab, server, harness, waitFor, waitForStored }) => {
  await harness(tab, 'api=/api/chat', { ns: A.ns, token: A.token, probe: false });
  server.api.setMode('unreachable');
  const fromA = await sendAs(tab, ['alice: one', 'alice: two']);
  expect(fromA.map((r) => r.status)).toEqual(['queued', 'queued']);
  const idsA = fromA.map((r) => r.id);

  await switchUser(tab, B.ns, B.token);
  const switchedAtMs = Date.now();
  expect(await list(tab), 'B starts with an empty list: A\'s are not B\'s').toEqual([]);
  const fromB = await sendAs(tab, ['bob: one', 'bob: two']);
  expect(fromB.map((r) => r.status)).toEqual(['queued', 'queued']);
  const idsB = fromB.map((r) => r.id);
  expect((await list(tab)).map((m) => m.id)).toEqual(idsB);

  server.api.setMode('up');
  await flush(tab);
  await waitForStored(2);
  await waitFor(async () => (await list(tab)).length === 0, { message: 'B\'s list empties' });
  await flush(tab);
  await sleep(1_000);
  expect(storedWithAuth(server).map((m) => [m.text, m.authorization]), serverState(server)).toEqual([
    ['bob: one', bearer(B.token)],
    ['bob: two', bearer(B.token)],
  ]);
  expect(attemptsSince(server, idsA, switchedAtMs), `A's messages wait while no page of A is open${serverState(server)}`).toEqual([]);
  expect((await listOf(tab, A.ns)).map((m) => [m.id, m.status]), 'A\'s list, still queued').toEqual(idsA.map((id) => [id, 'queued']));

  await switchUser(tab, A.ns, A.token);
  await waitForStored(4);
  await waitFor(async () => (await list(tab)).length === 0, { message: 'A\'s list empties' });
  expect(storedWithAuth(server).map((m) => [m.key, m.text, m.authorization]), serverState(server)).toEqual([
    [idsB[0], 'bob: one', bearer(B.token)],
    [idsB[1], 'bob: two', bearer(B.token)],
    [idsA[0], 'alice: one', bearer(A.token)],
    [idsA[1], 'alice: two', bearer(A.token)],
  ]);
});

test('two users in two tabs: each tab lists and hears only its own; each message goes out with its owner\'s credentials, in order', async ({ session, server, harness, waitFor, waitForStored }) => {
  const tabA = await session.newTab();
  const tabB = await session.newTab();
  await harness(tabA, 'api=/api/chat', { ns: A.ns, token: A.token, probe: false });
  await harness(tabB, 'api=/api/chat', { ns: B.ns, token: B.token, probe: false });
  const { idsA, idsB } = await queueForTwoUsers(server, tabA, tabB, A.ns);

  server.api.setMode('up');
  await flush(tabA);
  await waitForStored(4);
  await expectDeliveredPerUser(server, waitFor, [{ tab: tabA, ids: idsA, token: A.token }, { tab: tabB, ids: idsB, token: B.token }]);
});

test('401 on replay pauses the user without hammering the server; fresh credentials resume; nothing lost or doubled', async ({ tab, server, harness, waitFor, waitForStored }) => {
  server.api.validTokens.add('tok-a-old');
  await harness(tab, 'api=/api/chat', { ns: 'alice', token: 'tok-a-old', probe: false });
  server.api.setMode('unreachable');
  const texts = ['auth one', 'auth two', 'auth three'];
  const ids = (await sendAs(tab, texts)).map((r) => r.id);

  // The token expires while the messages wait; the API comes back.
  server.api.validTokens.delete('tok-a-old');
  server.api.validTokens.add('tok-a-new');
  server.api.setMode('up');
  await flush(tab);
  await waitFor(async () => (await list(tab))[0]?.reason === 'auth', { message: 'the head is queued with reason auth' });
  const pending = await list(tab);
  expect(pending.map((m) => [m.id, m.status]), 'all still queued, in order').toEqual(ids.map((id) => [id, 'queued']));
  const attemptsWhenPaused = pending[0]!.attempts;
  expect((await events(tab)).some((e) => e.id === ids[0] && e.status === 'queued' && e.reason === 'auth')).toBe(true);
  expect(server.api.stored).toHaveLength(0);

  // Paused: more triggers do not send it again with the dead token.
  await flush(tab);
  await sleep(1_500);
  await flush(tab);
  expect((await list(tab))[0]).toMatchObject({ id: ids[0], reason: 'auth', attempts: attemptsWhenPaused });
  expect(server.api.attempts.filter((a) => a.outcome === 'unauthorized').map((a) => a.key), `one 401, for the head only${serverState(server)}`).toEqual([ids[0]]);

  await tab.evaluate(async () => {
    const w = window as any;
    w.currentToken = 'tok-a-new';
    await w.outbox.setCredentials(w.bearer('tok-a-new'));
  });
  await waitForStored(3);
  await waitFor(async () => (await list(tab)).length === 0, { message: 'list empties' });
  await sleep(300);
  expect(storedWithAuth(server).map((m) => [m.key, m.text, m.authorization]), serverState(server)).toEqual(ids.map((id, i) => [id, texts[i], bearer('tok-a-new')]));
  expect(attemptsFor(server, ids).filter((a) => a.outcome === 'stored').map((a) => a.key), 'each stored once').toEqual(ids);
});

test('closing the owner\'s tab stops its replay; the owner\'s next page resumes it', async ({ session, server, harness, waitForStored }) => {
  const tabA = await session.newTab();
  const tabB = await session.newTab();
  await harness(tabA, 'api=/api/chat', { ns: A.ns, token: A.token, probe: false });
  await harness(tabB, 'api=/api/chat', { ns: B.ns, token: B.token, probe: false });
  server.api.setMode('unreachable');
  const idsA = (await sendAs(tabA, ['closed tab: alice'])).map((r) => r.id);
  await tabA.close();
  const closedAtMs = Date.now();
  const idsB = (await sendAs(tabB, ['open tab: bob'])).map((r) => r.id);
  server.api.setMode('up');
  await flush(tabB);
  await waitForStored(1);
  await flush(tabB);
  await sleep(1_000);
  expect(attemptsSince(server, idsA, closedAtMs), `A's tab is closed: A's message waits${serverState(server)}`).toEqual([]);
  expect(storedWithAuth(server).map((m) => [m.key, m.authorization])).toEqual([[idsB[0], bearer(B.token)]]);

  const tabA2 = await session.newTab();
  await harness(tabA2, 'api=/api/chat', { ns: A.ns, token: A.token, probe: false });
  await waitForStored(2);
  expect(storedWithAuth(server).map((m) => [m.key, m.authorization])).toEqual([
    [idsB[0], bearer(B.token)],
    [idsA[0], bearer(A.token)],
  ]);
});

test('no Authorization or Cookie value is written to IndexedDB, queued or failed; replays still carry them', async ({ tab, server, harness, waitFor, waitForStored }) => {
  const TOKEN = 'tokA-secret-4f9c2e7d';
  const COOKIE = 'cookieA-secret-8b1d3a6e';
  // The page's namespace travels to the worker in a header the worker takes off.
  const namespaceHeaders: Array<string | undefined> = [];
  server.server.on('request', (req) => {
    if (req.url?.startsWith('/api/chat')) namespaceHeaders.push(req.headers['outbox-namespace'] as string | undefined);
  });
  // (harness puts the token in the URL's hash: it never reaches the server as part of the page's URL.)
  await harness(tab, 'api=/api/chat', { ns: 'alice', token: TOKEN, cookie: COOKIE, probe: false });
  expect(await tab.evaluate(() => document.cookie)).toContain(COOKIE);
  const [refused] = await sendAs(tab, ['']);
  expect(refused).toMatchObject({ status: 'failed', reason: 'http-422' });
  server.api.setMode('unreachable');
  const queued = await sendAs(tab, ['queued text one', 'queued text two']);
  expect(queued.map((r) => r.status)).toEqual(['queued', 'queued']);
  await waitFor(async () => (await list(tab)).filter((m) => m.reason === 'network').length >= 1, { message: 'a note in the ledger' });

  // The search looks where the messages are: both databases, and their texts are found.
  const dump: any[] = await tab.evaluate(() => (window as any).idbDump());
  expect([...new Set(dump.map((r) => r.db))].sort()).toEqual(expect.arrayContaining(['outbox', 'workbox-background-sync']));
  const found = await tab.evaluate(() => (window as any).idbSearch(['queued text one', 'queued text two', 'alice']));
  expect(new Set(found.map((h: any) => h.needle))).toEqual(new Set(['queued text one', 'queued text two', 'alice']));
  expect(dump.some((r) => r.db === 'outbox' && r.value?.status === 'failed' && r.value?.requestData), 'the failed message\'s request is in the ledger').toBe(true);
  expect(await tab.evaluate((t, c) => (window as any).idbSearch([t, c, 'Bearer']), TOKEN, COOKIE), 'secrets found in IndexedDB').toEqual([]);
  // Stored headers say which were taken out (names only), so a replay knows to put them back.
  const entries = await queueEntriesOf(tab, 'alice');
  expect(entries).toHaveLength(2);
  for (const e of entries) {
    expect(e.metadata.strippedHeaders).toEqual(['authorization']);
    expect(Object.keys(e.requestData.headers)).not.toContain('authorization');
  }

  server.api.setMode('up');
  await flush(tab);
  await waitForStored(2);
  expect(storedWithAuth(server).map((m) => [m.text, m.authorization, m.cookie]), serverState(server)).toEqual([
    ['queued text one', bearer(TOKEN), `sid=${COOKIE}`],
    ['queued text two', bearer(TOKEN), `sid=${COOKIE}`],
  ]);
  expect(await tab.evaluate((t, c) => (window as any).idbSearch([t, c]), TOKEN, COOKIE)).toEqual([]);
  expect(namespaceHeaders.length).toBeGreaterThanOrEqual(3);
  expect(namespaceHeaders.filter((h) => h !== undefined), 'Outbox-Namespace reached the server').toEqual([]);
});
