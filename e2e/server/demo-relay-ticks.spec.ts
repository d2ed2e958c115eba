// The demo behind a real outbox-relay (as `npm run demo:relay` runs it): a
// message sent while the chat API is down shows one tick (relayed: the relay
// holds it), then two (delivered) once the relay forwarded it and its lookup
// says so, with nobody touching the page; the API stored it once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '../fixtures';
// @ts-ignore: plain ESM module without type declarations
import { startRelay } from '../../server/src/relay/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

test('demo through the relay: one tick while the relay holds a message, two once the API stored it', async ({ page, context, server }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-demo-relay-'));
  const relay = await startRelay({
    upstream: server.url, listen: '127.0.0.1:0', store: `sqlite:${path.join(dir, 'relay.db')}`,
    retryBaseMs: 200, retryMaxMs: 1_000, lookupPath: '/api/lookup', log: quiet,
  });
  try {
    await context.grantPermissions(['background-sync'], { origin: relay.url });
    await page.goto(`${relay.url}/`);
    await page.waitForSelector('html[data-outbox="ready"]');
    server.api.setMode('unreachable');
    await page.fill('#text', 'held by the relay');
    await page.press('#text', 'Enter');
    const message = page.locator('.message', { hasText: 'held by the relay' });
    await expect(message).toHaveAttribute('data-status', 'relayed');
    await expect(message.locator('.badge')).toHaveText('✓ Relayed');
    expect(server.api.stored).toHaveLength(0);

    server.api.setMode('up');
    await expect(message).toHaveAttribute('data-status', 'delivered', { timeout: 20_000 });
    await expect(message.locator('.badge')).toHaveText('✓✓ Delivered');
    expect(server.api.stored.map((m) => JSON.parse(m.bodyText).text)).toEqual(['held by the relay']);
  } finally {
    await relay.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
