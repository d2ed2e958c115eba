// Lanes (docs/lanes.md): with `lane=/api/chat/:conversation`, each
// conversation is its own line of messages. Its order, backoff and
// Retry-After are its own: a conversation whose server answers 429 or 503
// holds up only itself, and the others are delivered, side by side, one
// message on the wire per conversation. Asserted on what the server stored,
// per conversation, and on what list() tells the page.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test, expect, list, call, textOf, describeServer, type DemoServer, type Page } from '../fixtures';
import { sleep, writeRawEntries } from '../fault-helpers';
import { addRoute } from '../promise-helpers';

const LANES = 'api=/api/chat&lane=/api/chat/:conversation&retryBase=300&retryMax=1000';

interface LaneDown {
  status: 429 | 503;
  retryAfterSeconds?: number;
}

/**
 * POST /api/chat/<conversation>: answers a conversation that is down with
 * its status; otherwise hands the request to the demo API (which stores it,
 * deduplicating on the key), after `delayMs`. Records each attempt and the
 * most requests on the wire at once, per conversation and in all.
 */
function conversations(server: DemoServer) {
  const down = new Map<string, LaneDown>();
  const attempts: Array<{ lane: string; key: string; outcome: string }> = [];
  const onWire = new Map<string, number>();
  const most = { perLane: 0, lanes: 0 };
  const state = { delayMs: 0 };
  addRoute(server, async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const match = /^\/api\/chat\/([^/]+)$/.exec(url.pathname);
    if (!match || req.method !== 'POST') return false;
    const lane = match[1]!;
    const key = String(req.headers['idempotency-key']);
    const failure = down.get(lane);
    attempts.push({ lane, key, outcome: failure ? String(failure.status) : 'passed' });
    if (failure) {
      req.resume();
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (failure.retryAfterSeconds !== undefined) headers['Retry-After'] = String(failure.retryAfterSeconds);
      res.writeHead(failure.status, headers).end(JSON.stringify({ error: `conversation ${lane} is down` }));
      return true;
    }
    onWire.set(lane, (onWire.get(lane) ?? 0) + 1);
    most.perLane = Math.max(most.perLane, onWire.get(lane)!);
    most.lanes = Math.max(most.lanes, [...onWire.values()].filter((n) => n > 0).length);
    res.once('close', () => onWire.set(lane, onWire.get(lane)! - 1));
    // The body is read by the demo API: hold it back unread, then pass it on.
    if (state.delayMs > 0) await sleep(state.delayMs);
    req.url = '/api/chat';
    return false;
  });
  return { down, attempts, most, state };
}

/** The texts the server stored for one conversation, in the order it stored them. */
function storedIn(server: DemoServer, lane: string): string[] {
  return server.api.stored.map((m) => textOf(m.bodyText)).filter((text) => text.startsWith(`${lane} `));
}

/** Sends each text to its conversation (`a #1` goes to /api/chat/a), one after the other. */
function sendTo(page: Page, messages: string[]): Promise<Array<{ id: string; status: string; reason?: string }>> {
  return page.evaluate(async (list) => {
    const results = [];
    for (const text of list) results.push(await (window as any).outbox.send(`/api/chat/${text.split(' ')[0]}`, { text }));
    return results;
  }, messages);
}

function expectEachOnce(server: DemoServer): void {
  const keys = server.api.stored.map((m) => m.key);
  expect(new Set(keys).size, `each message stored once\n${describeServer(server)}`).toBe(keys.length);
}

test('a conversation at 429 Retry-After 3600 waits with blockedBy; another conversation is delivered, its queued messages and new ones', async ({ page, server, openHarness, waitFor }) => {
  const api = conversations(server);
  await openHarness(page, LANES, { healthMs: 1_000 });
  // Both conversations down for a moment: a queue of both builds up.
  api.down.set('a', { status: 503 }).set('b', { status: 503 });
  const queued = await sendTo(page, ['a #1', 'b #1', 'a #2', 'b #2']);
  expect(queued.map((r) => r.status)).toEqual(['queued', 'queued', 'queued', 'queued']);

  // a is rate limited for an hour; b is back.
  api.down.set('a', { status: 429, retryAfterSeconds: 3600 });
  api.down.delete('b');
  await waitFor(() => storedIn(server, 'b').length === 2, { timeoutMs: 20_000, message: "b's queued messages delivered while a waits" });
  await waitFor(() => api.attempts.some((a) => a.lane === 'a' && a.outcome === '429'), { message: 'a answered 429' });

  // A new message of b, after a's 429: delivered (the server's own answer,
  // or 202 when it arrived while a drain had a message of a on the wire; then the drain's next pass sends it).
  const [fresh] = await sendTo(page, ['b #3']);
  expect(['delivered', 'queued'], 'a new message of b is not held behind a').toContain(fresh!.status);
  await waitFor(() => storedIn(server, 'b').length === 3, { message: 'the new message of b delivered' });
  expect(storedIn(server, 'b')).toEqual(['b #1', 'b #2', 'b #3']);
  expect(storedIn(server, 'a'), 'nothing of a stored').toEqual([]);
  expectEachOnce(server);

  // a waits, and says why and until when: its head's 429, about an hour from now (the most a Retry-After is obeyed).
  const pending = await list(page);
  expect(pending.map((m) => [textOf(m.bodyText ?? ''), m.lane, m.status])).toEqual([
    ['a #1', 'a', 'queued'],
    ['a #2', 'a', 'queued'],
  ]);
  for (const message of pending) {
    expect(message.blockedBy?.reason).toBe('http-429');
    expect(message.blockedBy!.untilMs - Date.now(), 'blocked for about an hour').toBeGreaterThan(3_500_000);
  }
  // The UI store (dist/store.js) carries the lane and why it waits too.
  addRoute(server, (req, res, url) => {
    if (url.pathname !== '/store.js') return false;
    res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(readFileSync('dist/store.js'));
    return true;
  });
  const inStore = await page.evaluate(async () => {
    const { createOutboxStore } = await import('/store.js' as string);
    const store = createOutboxStore((window as any).outbox);
    const snapshot = await new Promise<any>((resolve) => {
      store.subscribe((s: any) => {
        if (s.ready && s.messages.length === 2 && s.messages.every((m: any) => m.blockedBy)) resolve(s);
      });
    });
    return snapshot.messages.map((m: any) => [m.lane, m.blockedBy?.reason]);
  });
  expect(inStore).toEqual([
    ['a', 'http-429'],
    ['a', 'http-429'],
  ]);
  // The probe (every second) and the timer do not try a before its Retry-After.
  const triesOfA = api.attempts.filter((a) => a.lane === 'a').length;
  await sleep(3_000);
  expect(api.attempts.filter((a) => a.lane === 'a').length, 'no attempt of a before its Retry-After').toBe(triesOfA);
});

test('a conversation at 503 recovers later; each conversation is stored in its order, each message once', async ({ page, server, openHarness, waitFor }) => {
  const api = conversations(server);
  await openHarness(page, LANES, { healthMs: 1_000 });
  api.down.set('a', { status: 503 });
  const sent = ['a #1', 'b #1', 'a #2', 'b #2', 'a #3', 'b #3'];
  const results = await sendTo(page, sent);
  // Each b is delivered at once, or answered 202 when it came while a's head was on the wire and sent right after.
  expect(results.filter((_, i) => sent[i]!.startsWith('a')).map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
  await waitFor(() => storedIn(server, 'b').length === 3, { message: 'b delivered while a fails' });
  expect(storedIn(server, 'b')).toEqual(['b #1', 'b #2', 'b #3']);
  expect((await list(page)).map((m) => m.bodyText && textOf(m.bodyText))).toEqual(['a #1', 'a #2', 'a #3']);
  // a is tried again by its backoff (retryBase 300 ms), only its head: never a message behind it.
  await waitFor(() => api.attempts.filter((a) => a.lane === 'a').length >= 3, { message: 'a retried by its backoff' });
  const keyOfA1 = results[0]!.id;
  expect(api.attempts.filter((a) => a.lane === 'a').every((a) => a.key === keyOfA1), 'only the head of a is tried while a is down').toBe(true);

  api.down.delete('a');
  await waitFor(() => storedIn(server, 'a').length === 3, { message: 'a delivered once it is back' });
  expect(storedIn(server, 'a')).toEqual(['a #1', 'a #2', 'a #3']);
  expect(storedIn(server, 'b')).toEqual(['b #1', 'b #2', 'b #3']);
  expectEachOnce(server);
  await waitFor(async () => (await list(page)).length === 0, { message: 'nothing left queued' });
});

test('two conversations drain side by side, one message on the wire each; a worker stopped mid-drain loses and doubles nothing', async ({ page, server, openHarness, cdp, waitFor }) => {
  const api = conversations(server);
  await openHarness(page, LANES, { healthMs: 1_000 });
  api.down.set('a', { status: 503 }).set('b', { status: 503 });
  const sent = Array.from({ length: 6 }, (_, i) => [`a #${i + 1}`, `b #${i + 1}`]).flat();
  await sendTo(page, sent);
  // Slow answers: a drain takes seconds, and the two conversations overlap on the wire.
  api.state.delayMs = 400;
  api.down.clear();
  await waitFor(() => server.api.stored.length >= 3, { timeoutMs: 20_000, message: 'the drain under way' });
  await (await cdp(page)).stopWorkers();
  // The page's probe (or its next send) wakes a new worker, which goes on where the stopped one was.
  await waitFor(() => storedIn(server, 'a').length === 6 && storedIn(server, 'b').length === 6, { timeoutMs: 40_000, message: 'both conversations delivered after the stop' });
  expect(storedIn(server, 'a')).toEqual(sent.filter((t) => t.startsWith('a')));
  expect(storedIn(server, 'b')).toEqual(sent.filter((t) => t.startsWith('b')));
  expectEachOnce(server);
  expect(api.most.perLane, 'one message on the wire per conversation').toBe(1);
  expect(api.most.lanes, 'the two conversations on the wire at once').toBe(2);
});

test('entries stored before lanes (no lane) are read as the default lane: in order among themselves, not held behind a conversation', async ({ page, server, openHarness, waitFor }) => {
  const api = conversations(server);
  await openHarness(page, LANES, { healthMs: 1_000 });
  api.down.set('a', { status: 503 });
  const origin = server.url;
  const old = (n: number, lane: string) => ({
    queueName: 'outbox',
    timestamp: Date.now(),
    metadata: { v: 1, id: `old-${n}`, createdAtMs: Date.now() },
    requestData: { url: `${origin}/api/chat/${lane}`, method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': `old-${n}` }, mode: 'cors', credentials: 'same-origin' },
    bodyText: JSON.stringify({ text: `${lane} old #${n}` }),
  });
  // As an older worker stored them: the first goes to a, which is down; the second to b.
  await writeRawEntries(page, [old(1, 'a'), old(2, 'b')]);
  const listed = await list(page);
  expect(listed.map((m) => [m.id, m.lane])).toEqual([
    ['old-1', undefined],
    ['old-2', undefined],
  ]);
  await call(page, 'flush');
  // One default lane: the old b entry waits behind the old a entry ...
  await waitFor(() => api.attempts.some((a) => a.key === 'old-1'), { message: 'the old head tried' });
  // ... while a new message of b, in lane b, is delivered.
  const [fresh] = await sendTo(page, ['b new']);
  expect(['delivered', 'queued']).toContain(fresh!.status);
  await waitFor(() => server.api.stored.length === 1, { message: 'the new message of b delivered' });
  await sleep(1_500);
  expect(api.attempts.some((a) => a.key === 'old-2'), 'the old b entry stays behind the old a entry').toBe(false);
  api.down.delete('a');
  await waitFor(() => server.api.stored.length === 3, { message: 'the old entries delivered once a is back' });
  expect(server.api.stored.map((m) => textOf(m.bodyText))).toEqual(['b new', 'a old #1', 'b old #2']);
  expectEachOnce(server);
});

test('a lane from a header (lane=Outbox-Lane): the header names the conversation, whatever the URL', async ({ page, server, openHarness, waitFor }) => {
  // One URL for every conversation; the 503 is for the messages of conversation a only.
  addRoute(server, (req, res, url) => {
    if (url.pathname !== '/api/chat' || req.method !== 'POST' || req.headers['outbox-lane'] !== 'a') return false;
    req.resume();
    res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'conversation a is down' }));
    return true;
  });
  await openHarness(page, 'api=/api/chat&lane=Outbox-Lane&retryBase=300&retryMax=1000', { healthMs: 1_000 });
  const results = await page.evaluate(async () => {
    const out = [];
    for (const [lane, text] of [['a', 'a #1'], ['b', 'b #1'], ['a', 'a #2'], ['b', 'b #2']]) {
      out.push(await (window as any).outbox.send('/api/chat', { text }, { headers: { 'Outbox-Lane': lane } }));
    }
    return out;
  });
  expect(results.map((r: { status: string }) => r.status).filter((_: string, i: number) => i % 2 === 0)).toEqual(['queued', 'queued']);
  await waitFor(() => storedIn(server, 'b').length === 2, { message: 'b delivered while a is down' });
  expect(storedIn(server, 'b')).toEqual(['b #1', 'b #2']);
  const pending = await list(page);
  expect(pending.map((m) => [textOf(m.bodyText ?? ''), m.lane])).toEqual([
    ['a #1', 'a'],
    ['a #2', 'a'],
  ]);
  expectEachOnce(server);
});
