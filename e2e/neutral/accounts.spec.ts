// Accounts in every engine (the cases of e2e/accounts/*.spec.ts that need no
// CDP): a user's queued messages are theirs. Sign-out purges them; another
// user's page neither lists nor sends them; each message goes out with its
// owner's credentials; a 401 pauses only that user; no secret reaches
// IndexedDB. The outage is the API's (server modes), so a message may reach
// the server once, refused, before the assertions about what happens after.
import { test, expect, list, events, flush, type Tab } from '../engines/fixtures';
import { attemptsFor, bearer, serverState, storedWithAuth } from '../accounts/helpers';
import type { PendingMessage, SendResult } from '../fixtures';

const A = { ns: 'alice', token: 'tok-alice-1' };
const B = { ns: 'bob', token: 'tok-bob-1' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** outbox.send with the page's live `Authorization`, as a site using bearer tokens does. */
function sendAs(tab: Tab, texts: string[]): Promise<SendResult[]> {
  return tab.evaluate(async (list) => {
    const w = window as any;
    const results = [];
    for (const text of list) {
      const headers: Record<string, string> = w.currentToken ? { Authorization: `Bearer ${w.currentToken}` } : {};
      const { response, ...result } = await w.outbox.send('/api/chat', { text }, { headers });
      results.push(result);
    }
    return results;
  }, texts);
}

function switchUser(tab: Tab, ns: string, token: string): Promise<void> {
  return tab.evaluate(async (n, t) => {
    const w = window as any;
    w.currentToken = t;
    await w.outbox.setNamespace(n, w.bearer(t));
  }, ns, token);
}

const purge = (tab: Tab): Promise<number> => tab.evaluate(() => (window as any).outbox.purge());

/** Another namespace's list, asked of the worker directly. */
async function listOf(tab: Tab, ns: string): Promise<PendingMessage[]> {
  const reply = await tab.evaluate((n) => (window as any).rawCommand({ type: 'list', namespace: n }), ns);
  expect(reply.ok, JSON.stringify(reply)).toBe(true);
  return reply.value;
}

/** Attempts of these keys that reached the server after `sinceMs`. */
const attemptsSince = (server: Parameters<typeof attemptsFor>[0], keys: string[], sinceMs: number) => attemptsFor(server, keys).filter((a) => a.receivedAtMs >= sinceMs);

test('sign-out purges: none of A\'s queued messages is sent afterwards; B\'s go out, as B', async ({ tab, server, harness, waitFor, waitForStored }) => {
  await harness(tab, 'api=/api/chat', { ns: A.ns, token: A.token, probe: false });
  server.api.setMode('unreachable');
  const fromA = (await sendAs(tab, ['alice: first', 'alice: second'])).map((r) => r.id);
  expect((await list(tab)).map((m) => m.id)).toEqual(fromA);

  expect(await purge(tab)).toBe(2);
  const purgedAtMs = Date.now();
  expect(await list(tab), 'A\'s list after purge').toEqual([]);
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
  const idsA = (await sendAs(tab, ['alice: one', 'alice: two'])).map((r) => r.id);

  await switchUser(tab, B.ns, B.token);
  const switchedAtMs = Date.now();
  expect(await list(tab), 'B starts with an empty list: A\'s are not B\'s').toEqual([]);
  const idsB = (await sendAs(tab, ['bob: one', 'bob: two'])).map((r) => r.id);
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
  server.api.setMode('unreachable');
  const a1 = await sendAs(tabA, ['alice in tab 1: one']);
  const b1 = await sendAs(tabB, ['bob in tab 2: one']);
  const a2 = await sendAs(tabA, ['alice in tab 1: two']);
  const b2 = await sendAs(tabB, ['bob in tab 2: two']);
  const idsA = [a1[0]!.id, a2[0]!.id];
  const idsB = [b1[0]!.id, b2[0]!.id];
  expect((await list(tabA)).map((m) => m.id), 'tab 1 lists A\'s only').toEqual(idsA);
  expect((await list(tabB)).map((m) => m.id), 'tab 2 lists B\'s only').toEqual(idsB);

  server.api.setMode('up');
  await flush(tabA);
  await waitForStored(4);
  await waitFor(async () => (await list(tabA)).length === 0 && (await list(tabB)).length === 0, { message: 'both lists empty' });

  const byKey = new Map(storedWithAuth(server).map((m) => [m.key, m]));
  for (const id of idsA) expect(byKey.get(id)?.authorization, serverState(server)).toBe(bearer(A.token));
  for (const id of idsB) expect(byKey.get(id)?.authorization, serverState(server)).toBe(bearer(B.token));
  const order = server.api.stored.map((m) => m.key);
  expect(order.filter((k) => idsA.includes(k)), 'A\'s in order').toEqual(idsA);
  expect(order.filter((k) => idsB.includes(k)), 'B\'s in order').toEqual(idsB);
  const heardA = new Set((await events(tabA)).map((e) => e.id));
  const heardB = new Set((await events(tabB)).map((e) => e.id));
  expect(idsB.filter((id) => heardA.has(id)), 'tab 1 heard B\'s messages').toEqual([]);
  expect(idsA.filter((id) => heardB.has(id)), 'tab 2 heard A\'s messages').toEqual([]);
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
  expect((await list(tab)).map((m) => [m.id, m.status]), 'all still queued, in order').toEqual(ids.map((id) => [id, 'queued']));
  expect((await events(tab)).some((e) => e.id === ids[0] && e.status === 'queued' && e.reason === 'auth')).toBe(true);

  // Paused: more triggers do not send it again with the dead token.
  await flush(tab);
  await sleep(1_000);
  await flush(tab);
  expect(server.api.attempts.filter((a) => a.outcome === 'unauthorized').map((a) => a.key), `one 401, for the head only${serverState(server)}`).toEqual([ids[0]]);

  await tab.evaluate(async () => {
    const w = window as any;
    w.currentToken = 'tok-a-new';
    await w.outbox.setCredentials(w.bearer('tok-a-new'));
  });
  await waitForStored(3);
  await waitFor(async () => (await list(tab)).length === 0, { message: 'list empties' });
  expect(storedWithAuth(server).map((m) => [m.key, m.text, m.authorization]), serverState(server)).toEqual(ids.map((id, i) => [id, texts[i], bearer('tok-a-new')]));
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

test('no Authorization or Cookie value is written to IndexedDB; replays still carry them', async ({ tab, server, harness, waitForStored }) => {
  const TOKEN = 'tokA-secret-4f9c2e7d';
  const COOKIE = 'cookieA-secret-8b1d3a6e';
  await harness(tab, 'api=/api/chat', { ns: 'alice', token: TOKEN, cookie: COOKIE, probe: false });
  expect(await tab.evaluate(() => document.cookie)).toContain(COOKIE);
  const [refused] = await sendAs(tab, ['']);
  expect(refused).toMatchObject({ status: 'failed', reason: 'http-422' });
  server.api.setMode('unreachable');
  const queued = await sendAs(tab, ['queued text one', 'queued text two']);
  expect(queued.map((r) => r.status)).toEqual(['queued', 'queued']);

  // The search looks where the messages are: their texts are found.
  const found = await tab.evaluate(() => (window as any).idbSearch(['queued text one', 'queued text two', 'alice']));
  expect(new Set(found.map((h: any) => h.needle))).toEqual(new Set(['queued text one', 'queued text two', 'alice']));
  expect(await tab.evaluate((t, c) => (window as any).idbSearch([t, c, 'Bearer']), TOKEN, COOKIE), 'secrets found in IndexedDB').toEqual([]);

  server.api.setMode('up');
  await flush(tab);
  await waitForStored(2);
  expect(storedWithAuth(server).map((m) => [m.text, m.authorization, m.cookie]), serverState(server)).toEqual([
    ['queued text one', bearer(TOKEN), `sid=${COOKIE}`],
    ['queued text two', bearer(TOKEN), `sid=${COOKIE}`],
  ]);
});
