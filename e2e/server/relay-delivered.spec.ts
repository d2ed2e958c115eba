// Relayed is not delivered: through a real outbox-relay (SQLite) with the
// worker's `lookup=`, a message the relay takes while the upstream is down
// is `relayed` (one tick), stays listed as such, and becomes `delivered`
// (two ticks) in every tab once the relay says the upstream stored it,
// without the page doing anything. Asserted on what the upstream stored.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect, send, list, events, expectStoredExactly, waitForHarness } from '../fixtures';
// @ts-ignore: plain ESM module without type declarations
import { startRelay } from '../../server/src/relay/index.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const LOOKUP = '/outbox-lookup';

test('relayed while the upstream is down, then delivered in every tab once the relay says the upstream stored it', async ({ page, context, server, waitFor, waitForStored }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-relay-delivered-'));
  const relay = await startRelay({
    upstream: server.url, listen: '127.0.0.1:0', store: `sqlite:${path.join(dir, 'relay.db')}`,
    retryBaseMs: 200, retryMaxMs: 1_000, lookupPath: LOOKUP, log: quiet,
  });
  try {
    await context.grantPermissions(['background-sync'], { origin: relay.url });
    const sw = encodeURIComponent(`/sw.js?api=/api/chat&lookup=${LOOKUP}`);
    await page.goto(`${relay.url}/test/harness.html?sw=${sw}&healthMs=1000`);
    await waitForHarness(page);
    const other = await context.newPage();
    await other.goto(`${relay.url}/test/harness.html?sw=${sw}&healthMs=1000`);
    await waitForHarness(other);

    server.api.setMode('unreachable');
    const sent = [await send(page, 'relayed 1'), await send(page, 'relayed 2')];
    expect(sent.map((r) => r.status)).toEqual(['relayed', 'relayed']);
    expect(server.api.stored).toHaveLength(0);
    // Listed as relayed (it survives a reload as such), not gone and not delivered.
    expect((await list(page)).map((m) => [m.id, m.status])).toEqual(sent.map((r) => [r.id, 'relayed']));

    server.api.setMode('up');
    await waitForStored(2, { timeoutMs: 15_000, message: 'the relay forwarded both' });
    expectStoredExactly(server, sent.map((r) => r.id), ['relayed 1', 'relayed 2']);
    for (const tab of [page, other]) {
      await waitFor(async () => {
        const seen = await events(tab);
        return sent.every(({ id }) => seen.some((e) => e.id === id && e.status === 'delivered'));
      }, { timeoutMs: 20_000, message: 'both delivered in this tab, with nobody doing anything' });
      const seen = await events(tab);
      for (const { id } of sent) {
        const statuses = seen.filter((e) => e.id === id).map((e) => e.status);
        expect(statuses.indexOf('relayed'), `${id}: relayed before delivered (${statuses.join(' → ')})`).toBeLessThan(statuses.indexOf('delivered'));
        expect(statuses.indexOf('relayed')).toBeGreaterThan(-1);
      }
    }
    expect(await list(page), 'nothing left to follow').toEqual([]);
    expect(server.api.stored, 'stored once each').toHaveLength(2);
  } finally {
    await relay.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
