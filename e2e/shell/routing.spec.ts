// What the worker intercepts: only same-origin POSTs under its `api`
// prefixes. Everything else passes untouched: no Idempotency-Key added, no
// queueing when the network is gone. A key the page sets itself is kept.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, expect, list, events, expectStoredExactly, UUID_RE, type Page } from '../fixtures';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** Records every request the demo server receives (headers included). */
function watchRequests(server: { server: http.Server }): Seen[] {
  const seen: Seen[] = [];
  server.server.prependListener('request', (req: http.IncomingMessage) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
  });
  return seen;
}

/** A second origin: answers everything 200 with permissive CORS and records what it got. */
async function startEcho(): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const echo = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      res.writeHead(200, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Headers': '*',
        'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
        'Access-Control-Expose-Headers': '*',
        'Content-Type': 'application/json',
      });
      res.end('{"echo":true}');
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(echo.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        echo.close(() => resolve());
        echo.closeAllConnections();
      }),
  };
}

/** fetch() in the page; returns status, Outbox-Status header and body, or the error it threw. */
type Init = { method?: string; headers?: Record<string, string>; body?: string };

function pageFetch(page: Page, url: string, init: Init = {}) {
  return page.evaluate(
    async ([u, i]: readonly [string, Init]) => {
      try {
        const res = await fetch(u, i);
        return { ok: true as const, status: res.status, outboxStatus: res.headers.get('Outbox-Status'), body: await res.text() };
      } catch (err: any) {
        return { ok: false as const, error: `${err?.name}: ${err?.message}` };
      }
    },
    [url, init] as const,
  );
}

const JSON_HEADERS = { 'Content-Type': 'application/json' };

test('a GET to /api/chat is not intercepted', async ({ page, context, server, openHarness }) => {
  await openHarness(page);
  const seen = watchRequests(server);

  const online = await pageFetch(page, '/api/chat');
  expect(online).toMatchObject({ ok: true, status: 405, outboxStatus: null });
  const gets = seen.filter((r) => r.url === '/api/chat');
  expect(gets).toHaveLength(1);
  expect(gets[0]!.method).toBe('GET');
  expect(gets[0]!.headers['idempotency-key']).toBeUndefined();

  await context.setOffline(true);
  const offline = await pageFetch(page, '/api/chat');
  expect(offline.ok, `an offline GET must fail like any fetch, not be queued: ${JSON.stringify(offline)}`).toBe(false);
  expect(await list(page)).toEqual([]);
  expect(await events(page)).toEqual([]);
  expect(server.api.attempts).toHaveLength(0);
});

test('a POST to another same-origin path is not intercepted', async ({ page, context, server, openHarness }) => {
  await openHarness(page);
  const seen = watchRequests(server);

  const online = await pageFetch(page, '/api/other', { method: 'POST', headers: JSON_HEADERS, body: '{"text":"elsewhere"}' });
  expect(online).toMatchObject({ ok: true, status: 404, outboxStatus: null });
  const posts = seen.filter((r) => r.url === '/api/other');
  expect(posts).toHaveLength(1);
  expect(posts[0]!.headers['idempotency-key'], 'no Idempotency-Key on a path the worker does not own').toBeUndefined();

  await context.setOffline(true);
  const offline = await pageFetch(page, '/api/other', { method: 'POST', headers: JSON_HEADERS, body: '{"text":"elsewhere"}' });
  expect(offline.ok, `an offline POST to another path must fail, not be queued: ${JSON.stringify(offline)}`).toBe(false);
  expect(await list(page)).toEqual([]);
  expect(await events(page)).toEqual([]);

  await context.setOffline(false);
  expect(server.api.attempts).toHaveLength(0);
  expect(server.api.stored).toHaveLength(0);
});

test('a cross-origin POST (even to /api/chat) is not intercepted', async ({ page, context, openHarness }) => {
  await openHarness(page);
  const echo = await startEcho();
  try {
    const online = await pageFetch(page, `${echo.url}/api/chat`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'cross-origin' });
    expect(online).toMatchObject({ ok: true, status: 200, outboxStatus: null, body: '{"echo":true}' });
    expect(echo.seen.map((r) => r.method), 'a simple POST: no preflight, so no custom header was added').toEqual(['POST']);
    expect(echo.seen[0]!.headers['idempotency-key']).toBeUndefined();

    await context.setOffline(true);
    const offline = await pageFetch(page, `${echo.url}/api/chat`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'cross-origin' });
    expect(offline.ok, `an offline cross-origin POST must fail, not be queued: ${JSON.stringify(offline)}`).toBe(false);
    expect(await list(page)).toEqual([]);
    expect(await events(page)).toEqual([]);
    expect(echo.seen).toHaveLength(1);
  } finally {
    await echo.close();
  }
});

test('a POST to /api/chat gets a UUID Idempotency-Key, and a page-set key is kept (online and queued)', async ({ page, context, server, openHarness, waitForStored }) => {
  await openHarness(page);

  const plain = await pageFetch(page, '/api/chat', { method: 'POST', headers: JSON_HEADERS, body: '{"text":"no key of mine"}' });
  expect(plain).toMatchObject({ ok: true, status: 201 });
  expect(server.api.stored).toHaveLength(1);
  expect(server.api.stored[0]!.key).toMatch(UUID_RE);

  const mine = 'page-chosen-key-0001';
  const online = await pageFetch(page, '/api/chat', {
    method: 'POST',
    headers: { ...JSON_HEADERS, 'Idempotency-Key': mine },
    body: '{"text":"my own key"}',
  });
  expect(online).toMatchObject({ ok: true, status: 201 });
  expect(JSON.parse((online as { body: string }).body)).toMatchObject({ id: mine });

  await context.setOffline(true);
  const queuedKey = 'page-chosen-key-0002';
  const queued = await pageFetch(page, '/api/chat', {
    method: 'POST',
    headers: { ...JSON_HEADERS, 'Idempotency-Key': queuedKey },
    body: '{"text":"my own key, offline"}',
  });
  expect(queued).toMatchObject({ ok: true, status: 202, outboxStatus: 'queued' });
  expect(JSON.parse((queued as { body: string }).body)).toEqual({ status: 'queued', id: queuedKey });
  expect((await list(page)).map((m) => m.id)).toEqual([queuedKey]);

  await context.setOffline(false);
  await waitForStored(3);
  expectStoredExactly(server, [server.api.stored[0]!.key, mine, queuedKey], ['no key of mine', 'my own key', 'my own key, offline']);
});
