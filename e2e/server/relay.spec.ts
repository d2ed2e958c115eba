// Page → relay → upstream across an upstream outage. The relay (server/,
// SQLite store) sits in front of the demo's chat API and proxies the page,
// the worker and the client to it; its own /api/health stays up. To the
// browser's outbox the relay's 202 (marked `Outbox-Relay: queued`) means
// relayed, not delivered: the message is off the device, on the relay's disk,
// and the relay forwards it when the API is back.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect, send, list, events, expectStoredExactly, waitForHarness } from '../fixtures';
// @ts-ignore: plain ESM module without type declarations
import { startRelay } from '../../server/src/relay/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

test('a message sent through the relay while the upstream is down is relayed (not delivered) on the device, queued on the relay, and stored upstream once, in order, when it is back', async ({ page, context, server, waitFor, waitForStored }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-relay-e2e-'));
  const relay = await startRelay({
    upstream: server.url, listen: '127.0.0.1:0', store: `sqlite:${path.join(dir, 'relay.db')}`,
    retryBaseMs: 200, retryMaxMs: 1_000, log: quiet,
  });
  try {
    await context.grantPermissions(['background-sync'], { origin: relay.url });
    const sw = encodeURIComponent('/sw.js?api=/api/chat');
    await page.goto(`${relay.url}/test/harness.html?sw=${sw}&healthMs=1000`);
    await waitForHarness(page);
    const relayStatus = async () => (await (await fetch(`${relay.url}/outbox/status`)).json()) as { queued: number; failed: number; upstream: string };

    // Upstream up: the relay passes the API's own answer through.
    const before = await send(page, 'before the outage');
    expect(before.status).toBe('delivered');
    expect(server.api.stored.map((m) => m.key)).toEqual([before.id]);

    server.api.setMode('unreachable');
    const during = [];
    for (const text of ['during 1', 'during 2', 'during 3']) during.push(await send(page, text));
    expect(during.map((r) => r.status), 'the relay\'s 202 is relayed, not delivered').toEqual(['relayed', 'relayed', 'relayed']);
    expect(await list(page), 'nothing left on the device').toEqual([]);
    // Every tab hears the same: relayed, never delivered, while the API does not have them.
    const heard = await events(page);
    for (const { id } of during) {
      expect(heard.filter((e) => e.id === id).map((e) => e.status), `statuses of ${id}`).toContain('relayed');
      expect(heard.filter((e) => e.id === id).map((e) => e.status), `statuses of ${id}`).not.toContain('delivered');
    }
    expect(heard.filter((e) => e.id === before.id).map((e) => e.status), 'the passed-through answer is delivered').toContain('delivered');
    expect(await relayStatus()).toMatchObject({ queued: 3, failed: 0, upstream: 'down' });
    expect(server.api.stored).toHaveLength(1);

    server.api.setMode('up');
    await waitForStored(4, { timeoutMs: 15_000, message: 'the relay forwarded the three once the API was back' });
    expectStoredExactly(server, [before.id, ...during.map((r) => r.id)], ['before the outage', 'during 1', 'during 2', 'during 3']);
    await waitFor(async () => (await relayStatus()).queued === 0, { message: 'the relay\'s queue empty' });
    expect(server.api.attempts.filter((a) => a.outcome === 'stored').map((a) => a.key)).toEqual([before.id, ...during.map((r) => r.id)]);
  } finally {
    await relay.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
