// A site without accounts, on a cookie session: the session expired, so the
// API redirects to the sign-in page and the messages wait (queued, `auth`).
// The user signs in (maybe in another tab: the browser attaches the new
// cookie by itself, no page has credentials to hand over) and presses retry.
// That must try again at once; it used to wait until a reload.
import { test, expect, sendAll, list, call, expectStoredExactly, type DemoServer } from '../fixtures';
import { addRoute } from '../promise-helpers';

/** /api/chat redirects to /login until `session.signedIn`. */
function expiringSession(server: DemoServer) {
  const session = { signedIn: false, logins: 0 };
  addRoute(server, (req, res, url) => {
    if (url.pathname === '/login') {
      session.logins += 1;
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<form>sign in</form>');
      return true;
    }
    if (url.pathname === '/api/chat' && req.method === 'POST' && !session.signedIn) {
      req.resume();
      res.writeHead(302, { Location: '/login' }).end();
      return true;
    }
    return false;
  });
  return session;
}

for (const press of ['flush()', 'retry(id)'] as const) {
  test(`signed in again elsewhere, then ${press}: the paused messages go at once, in order, once`, async ({ page, server, openHarness, waitForStored }) => {
    const session = expiringSession(server);
    // No probe: only the user's action may end the pause here.
    await openHarness(page, undefined, { probe: false });
    const [first, second] = await sendAll(page, ['while signed out', 'behind it']);
    expect(first).toMatchObject({ status: 'queued', reason: 'auth' });
    expect(second!.status).toBe('queued');
    expect((await list(page)).map((m) => [m.id, m.reason])).toEqual([
      [first!.id, 'auth'],
      [second!.id, undefined],
    ]);
    expect(server.api.stored).toEqual([]);

    session.signedIn = true; // another tab signed in: the cookie is new, nothing is declared
    if (press === 'flush()') {
      const report = await page.evaluate(() => (window as any).outbox.flush());
      expect(report, 'the flush itself delivered them').toMatchObject({ delivered: 2, stoppedBy: 'empty' });
    } else {
      expect(await call(page, 'retry', first!.id)).toMatchObject({ ok: true });
    }
    await waitForStored(2, { timeoutMs: 10_000 });
    expectStoredExactly(server, [first!.id, second!.id], ['while signed out', 'behind it']);
    expect(await list(page)).toEqual([]);
  });
}
