// Expired credentials, Chromium only (the network cut, cookies set from
// outside): a 401 is not the message's fault. It pauses only that user, a send
// with an expired token answers queued, the page's live token wins, and a
// cookie session resumes after signing in again. The 401 on replay itself
// (paused without hammering the server, fresh credentials resume, each message
// once, in order) is checked in every engine by e2e/neutral/accounts.spec.ts.
import { test, expect, list } from '../fixtures';
import { bearer, sendAs, serverState, storedWithAuth } from '../accounts/helpers';

test('401 pauses only that user: another user\'s messages go on', async ({ context, server, openHarness, waitFor, waitForStored }) => {
  server.api.validTokens.add('tok-a');
  server.api.validTokens.add('tok-b');
  const tabA = await context.newPage();
  const tabB = await context.newPage();
  await openHarness(tabA, 'api=/api/chat', { ns: 'alice', token: 'tok-a' });
  await openHarness(tabB, 'api=/api/chat', { ns: 'bob', token: 'tok-b' });
  await context.setOffline(true);
  const a = (await sendAs(tabA, ['alice paused 1', 'alice paused 2'])).map((r) => r.id);
  const b = (await sendAs(tabB, ['bob goes on 1', 'bob goes on 2'])).map((r) => r.id);
  server.api.validTokens.delete('tok-a');
  await context.setOffline(false);

  await waitForStored(2);
  await waitFor(async () => (await list(tabA))[0]?.reason === 'auth', { message: 'A waits for credentials' });
  expect(storedWithAuth(server).map((m) => [m.key, m.authorization]), serverState(server)).toEqual([
    [b[0], bearer('tok-b')],
    [b[1], bearer('tok-b')],
  ]);
  expect((await list(tabA)).map((m) => m.id)).toEqual(a);
  expect(await list(tabB)).toEqual([]);
});

test('a send with an expired token answers queued (reason auth), not failed; the credentials function gives the fresh one', async ({ page, server, openHarness, waitFor, waitForStored }) => {
  server.api.validTokens.add('tok-live-2');
  // Credentials as a function: it is asked again when the worker reports `auth`.
  await openHarness(page, 'api=/api/chat', { ns: 'alice', token: 'tok-live-1', creds: 'fn' });
  // The site's token source has a fresh token by now, but this send still carries the old one.
  await page.evaluate(() => ((window as any).currentToken = 'tok-live-2'));
  const result = await page.evaluate(() =>
    (window as any).outbox.send('/api/chat', { text: 'sent with an expired token' }, { headers: { Authorization: 'Bearer tok-live-1' } }),
  );
  expect(result, 'the message is kept, so the page must not be told it failed').toMatchObject({ status: 'queued', reason: 'auth' });
  await waitForStored(1);
  expect(storedWithAuth(server).map((m) => [m.key, m.authorization]), serverState(server)).toEqual([[result.id, bearer('tok-live-2')]]);
  expect(server.api.attempts.map((a) => a.outcome)).toEqual(['unauthorized', 'stored']);
  await waitFor(async () => (await list(page)).length === 0, { message: 'list empties' });
});

test('the page\'s live Authorization wins over an older session token, on the first attempt and on replay', async ({ page, server, openHarness, waitForStored }) => {
  server.api.validTokens.add('tok-fresh');
  // Session credentials from page load: a token that has since expired.
  await openHarness(page, 'api=/api/chat', { ns: 'alice', token: 'tok-stale' });
  // The site refreshed its token and sends with it, without telling the outbox.
  await page.evaluate(() => ((window as any).currentToken = 'tok-fresh'));
  const [direct] = await sendAs(page, ['sent at once with a fresh token']);
  expect(direct, serverState(server)).toMatchObject({ status: 'delivered' });
  // Queued, then replayed: the header the message was sent with is newer than the session's.
  server.api.setMode('unreachable');
  const [queued] = await sendAs(page, ['replayed with a fresh token']);
  expect(queued!.status).toBe('queued');
  server.api.setMode('up');
  await page.evaluate(() => (window as any).outbox.flush());
  await waitForStored(2);
  expect(storedWithAuth(server).map((m) => [m.text, m.authorization]), serverState(server)).toEqual([
    ['sent at once with a fresh token', bearer('tok-fresh')],
    ['replayed with a fresh token', bearer('tok-fresh')],
  ]);
  expect(server.api.attempts.filter((a) => a.outcome === 'unauthorized'), serverState(server)).toEqual([]);
});

test('a cookie-session site: a 401 pauses the user; after signing in again (new cookie, new page) the messages go out', async ({ page, context, server, openHarness, waitFor, waitForStored }) => {
  server.api.validTokens.add('cookie-1');
  // No Authorization at all: the browser attaches the session cookie, at replay too.
  await openHarness(page, 'api=/api/chat', { ns: 'alice', cookie: 'cookie-1' });
  server.api.setMode('unreachable');
  const texts = ['cookie one', 'cookie two'];
  const ids = (await sendAs(page, texts)).map((r) => r.id);

  // The session expires on the server; the API comes back.
  server.api.validTokens.delete('cookie-1');
  server.api.validTokens.add('cookie-2');
  server.api.setMode('up');
  await page.evaluate(() => (window as any).outbox.flush());
  await waitFor(async () => (await list(page))[0]?.reason === 'auth', { message: 'paused with reason auth' });
  expect(server.api.stored).toHaveLength(0);

  // The user signs in again: a new session cookie, and the site's page loads again.
  await context.addCookies([{ name: 'sid', value: 'cookie-2', url: server.url }]);
  await openHarness(page, 'api=/api/chat', { ns: 'alice' });
  await waitForStored(2, { timeoutMs: 10_000 });
  expect(storedWithAuth(server).map((m) => [m.key, m.text, m.cookie]), serverState(server)).toEqual(
    ids.map((id, i) => [id, texts[i], 'sid=cookie-2']),
  );
  await waitFor(async () => (await list(page)).length === 0, { message: 'list empties' });
});
