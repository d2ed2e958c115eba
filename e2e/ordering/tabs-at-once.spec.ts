// Many tabs: five tabs of one origin send at once while offline, then all come
// online together (five `online` flushes plus the browser's sync event). One
// drain at a time for the whole origin: the server never handles two POSTs at
// once, stores each message once, and keeps each tab's order; every tab hears
// every status of every message.
import { test, expect, list, events, expectStoredExactly, describeServer, type Page } from '../fixtures';
import { statusesIn, watchInFlight } from '../fault-helpers';

const TABS = 5;
const PER_TAB = 6;

test('five tabs send at once offline, then come online together: one drain at a time, each message once, each tab\'s order kept, every tab sees every status', async ({ context, server, openHarness, waitFor, waitForStored }) => {
  const tabs: Page[] = [];
  for (let i = 0; i < TABS; i += 1) {
    const tab = await context.newPage();
    await openHarness(tab, 'api=/api/chat', { healthMs: 1_000 });
    tabs.push(tab);
  }
  const watch = watchInFlight(server);

  await context.setOffline(true);
  // All tabs at once: each sends its messages in turn, the tabs interleave.
  const perTab = await Promise.all(
    tabs.map((tab, t) =>
      tab.evaluate(
        async ([tabNo, n]) => {
          const out = [];
          for (let i = 1; i <= n; i += 1) {
            const text = `tab ${tabNo} #${i}`;
            const result = await (window as any).outbox.send('/api/chat', { text });
            out.push({ id: result.id as string, status: result.status as string, text });
          }
          return out;
        },
        [t + 1, PER_TAB] as const,
      ),
    ),
  );
  const all = perTab.flat();
  expect(all.every((m) => m.status === 'queued'), JSON.stringify(all.filter((m) => m.status !== 'queued'))).toBe(true);
  // The queue's order (the order the worker stored them in) is the order the server must see.
  const queueOrder = (await list(tabs[0]!)).map((m) => m.id);
  expect(new Set(queueOrder)).toEqual(new Set(all.map((m) => m.id)));
  for (const tab of tabs) expect((await list(tab)).map((m) => m.id), 'every tab lists the same queue').toEqual(queueOrder);

  // Slow answers widen the window in which a second drain would show.
  server.api.delayMs = 60;
  await context.setOffline(false);
  await waitForStored(all.length, { timeoutMs: 20_000 });

  const textOf = new Map(all.map((m) => [m.id, m.text]));
  expectStoredExactly(server, queueOrder, queueOrder.map((id) => textOf.get(id)!));
  for (const [t, mine] of perTab.entries()) {
    const storedMine = server.api.stored.map((m) => m.key).filter((key) => mine.some((m) => m.id === key));
    expect(storedMine, `tab ${t + 1}'s messages in its own send order`).toEqual(mine.map((m) => m.id));
  }
  expect(server.api.attempts.map((a) => a.outcome), 'one attempt per message: no second drain').toEqual(Array(all.length).fill('stored'));
  expect(watch.overlaps(), `two POSTs handled at once\n${describeServer(server)}`).toEqual([]);
  expect(watch.max()).toBe(1);

  for (const [t, tab] of tabs.entries()) {
    await waitFor(async () => {
      const seen = await events(tab);
      return all.every((m) => statusesIn(seen, m.id).includes('delivered'));
    }, { message: `tab ${t + 1} hears every message delivered` });
    const seen = await events(tab);
    for (const m of all) {
      const statuses = statusesIn(seen, m.id);
      expect(statuses, `tab ${t + 1} saw queued, sending, delivered for "${m.text}"`).toEqual(expect.arrayContaining(['queued', 'sending', 'delivered']));
      expect(statuses.at(-1)).toBe('delivered');
    }
  }
  for (const tab of tabs) expect(await list(tab)).toEqual([]);
});
