// The demo page's user switcher: each user's messages go out with that user's
// token, the other's wait for them, and "Sign out" deletes the unsent ones.
import { test, expect } from '../fixtures';
// @ts-ignore: plain ESM module without type declarations
import { DEMO_TOKENS } from '../../demo/server.mjs';

test('demo: switch user, sign out, and who the server saw', async ({ page, server, waitFor }) => {
  for (const token of DEMO_TOKENS as string[]) server.api.validTokens.add(token);
  await page.goto(`${server.url}/`);
  await page.waitForSelector('html[data-outbox="ready"]');
  await expect(page.locator('html')).toHaveAttribute('data-user', 'alice');
  const say = async (text: string) => {
    await page.fill('#text', text);
    await page.press('#text', 'Enter');
    await expect(page.locator('.message', { hasText: text })).toHaveAttribute('data-status', /queued|delivered|sending/);
  };

  await say('alice online');
  await expect(page.locator('.message', { hasText: 'alice online' })).toHaveAttribute('data-status', 'delivered');
  server.api.setMode('unreachable');
  await say('alice waits');
  await page.click('[data-user="bob"]');
  await expect(page.locator('html')).toHaveAttribute('data-user', 'bob');
  await expect(page.locator('.message', { hasText: 'alice' }), 'Bob does not see Alice\'s messages').toHaveCount(0);
  await say('bob during the outage');
  server.api.setMode('up');
  await page.evaluate(() => (window as any).outbox.flush()).catch(() => undefined);
  await expect(page.locator('.message', { hasText: 'bob during the outage' })).toHaveAttribute('data-status', 'delivered', { timeout: 15_000 });
  await expect(page.locator('#stored li', { hasText: 'bob during the outage' }).locator('.who')).toHaveAttribute('data-user', 'bob');
  expect(server.api.stored.map((m) => [JSON.parse(m.bodyText).text, m.headers.authorization])).toEqual([
    ['alice online', 'Bearer demo-alice-1'],
    ['bob during the outage', 'Bearer demo-bob-1'],
  ]);

  // Bob signs out with a message unsent: it is deleted; Alice's goes out as Alice.
  server.api.setMode('unreachable');
  await say('bob never sent');
  await page.click('#sign-out');
  await expect(page.locator('html')).toHaveAttribute('data-user', 'alice');
  server.api.setMode('up');
  await page.evaluate(() => (window as any).outbox.flush()).catch(() => undefined);
  await waitFor(() => server.api.stored.length >= 3, { message: 'Alice\'s waiting message delivered' });
  await page.waitForTimeout(1_000);
  expect(server.api.stored.map((m) => [JSON.parse(m.bodyText).text, m.headers.authorization])).toEqual([
    ['alice online', 'Bearer demo-alice-1'],
    ['bob during the outage', 'Bearer demo-bob-1'],
    ['alice waits', 'Bearer demo-alice-1'],
  ]);
  await expect(page.locator('#stored li', { hasText: 'alice waits' }).locator('.who')).toHaveText(/from Alice/);
});
