// Finding 1: a 302/303 to a sign-in page is not delivery. The worker follows
// redirects (the page's fetch does too), so the login page's 200 used to count
// as the server taking the message: it was removed, and the server had
// nothing. Now a redirect to the site itself pauses the user like a 401
// (queued, reason auth), and one elsewhere fails with reason http-3xx; the
// message stays listed and nothing is removed before a 2xx.
import { test, expect, list, events, expectStoredExactly, sendAll } from '../fixtures';
import { addRoute, otherOrigin } from '../promise-helpers';

test('a redirect to the site\'s sign-in page pauses the message (queued/auth) on the first attempt and on replay; delivered once the session is back', async ({ page, server, openHarness, waitFor, waitForStored }) => {
  let signedIn = false;
  const logins: string[] = [];
  addRoute(server, (req, res, url) => {
    if (url.pathname === '/login') {
      logins.push(req.method ?? '');
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<form>sign in</form>');
      return true;
    }
    if (url.pathname === '/api/chat' && req.method === 'POST' && !signedIn) {
      req.resume();
      res.writeHead(302, { Location: '/login' }).end();
      return true;
    }
    return false;
  });
  await openHarness(page);
  // Straight path: the queue is empty, so the first attempt goes out at once.
  const [first] = await sendAll(page, ['sent while the session had expired']);
  expect(first, 'the page is told the message waits, not that it was delivered').toMatchObject({ status: 'queued', reason: 'auth' });
  // Replay path: the page declares itself again (still signed out): the stored copy is tried, redirected again.
  await page.evaluate(() => (window as any).outbox.setCredentials({}));
  await waitFor(() => logins.length >= 2, { message: 'the replay was redirected to the sign-in page too' });
  const [second] = await sendAll(page, ['queued behind it']);
  expect(second!.status).toBe('queued');
  expect(server.api.stored, 'the server stored nothing').toEqual([]);
  const pending = await list(page);
  expect(pending.map((m) => [m.id, m.status])).toEqual([
    [first!.id, 'queued'],
    [second!.id, 'queued'],
  ]);
  expect(pending[0]!.reason).toBe('auth');
  expect((await events(page)).some((e) => e.status === 'delivered'), 'no message was shown delivered').toBe(false);

  // The user signs in again: the page declares itself, the paused messages go, in order, once.
  signedIn = true;
  await page.evaluate(() => (window as any).outbox.setCredentials({}));
  await waitForStored(2);
  expectStoredExactly(server, [first!.id, second!.id], ['sent while the session had expired', 'queued behind it']);
  await waitFor(async () => (await list(page)).length === 0, { message: 'list() empties' });
});

test('a redirect to another origin fails the message with reason http-3xx and where it pointed; it stays listed and the next one goes on', async ({ page, server, openHarness, waitFor, waitForStored }) => {
  // Another origin that lets the worker read its answer (CORS): without that
  // the fetch fails at the network level (see dead-head.spec.ts).
  const elsewhere = await otherOrigin((req, res) => {
    req.resume();
    // The redirected request keeps its Idempotency-Key header, so it is preflighted.
    const cors = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': '*', 'Access-Control-Allow-Methods': '*' };
    if (req.method === 'OPTIONS') res.writeHead(204, cors).end();
    else res.writeHead(200, { 'Content-Type': 'text/plain', ...cors }).end('moved');
  });
  try {
    addRoute(server, (req, res, url) => {
      if (url.pathname !== '/api/chat/moved' || req.method !== 'POST') return false;
      req.resume();
      res.writeHead(303, { Location: `${elsewhere.url}/new-home` }).end();
      return true;
    });
    await openHarness(page);
    const moved = await page.evaluate(() => (window as any).outbox.send('/api/chat/moved', { text: 'to the old address' }));
    expect(moved).toMatchObject({ status: 'failed', reason: 'http-3xx' });
    expect(moved.detail).toContain(`${elsewhere.url}/new-home`);
    expect(elsewhere.hits.filter((hit) => hit.startsWith('GET')).length, 'the worker followed the redirect').toBeGreaterThan(0);
    const [next] = await sendAll(page, ['the next one']);
    expect(next!.status).toBe('delivered');
    await waitForStored(1);
    expectStoredExactly(server, [next!.id], ['the next one']);
    const pending = await waitFor(async () => {
      const messages = await list(page);
      return messages.length === 1 ? messages : undefined;
    }, { message: 'only the redirected message is listed' });
    expect(pending[0]).toMatchObject({ id: moved.id, status: 'failed', reason: 'http-3xx', bodyText: JSON.stringify({ text: 'to the old address' }) });
  } finally {
    await elsewhere.close();
  }
});
