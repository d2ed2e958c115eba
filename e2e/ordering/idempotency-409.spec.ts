// Finding 3: interop with servers that follow the IETF Idempotency-Key draft
// (draft-ietf-httpapi-idempotency-key-header, §2.7), here written with
// @node-idempotency/core, a real implementation of it: while a key's first
// request is still being processed, a retry with that key gets 409; once it is
// done, the stored answer. A 409 to a key the outbox already sent is "in
// progress", retried with backoff, never shown as failed; a 409 on the very
// first attempt without Retry-After and a 422 (the key came with another body)
// are refusals. A 409 with Retry-After (outbox-server's key-in-use) is "later"
// on any attempt (server/src/retry-policy.js).
import { Idempotency, IdempotencyError, IdempotencyErrorCodes } from '@node-idempotency/core';
import { MemoryStorageAdapter } from '@node-idempotency/storage-adapter-memory';
import type { Page } from '@playwright/test';
import { test, expect, events, list, type DemoServer } from '../fixtures';
import { sleep } from '../fault-helpers';
import { addRoute, readBody, sendWith } from '../promise-helpers';
import type { IncomingMessage } from 'node:http';
// @ts-ignore: plain ESM module without type declarations
import { idempotency, memoryStore } from '../../server/src/index.js';

interface DraftServer {
  idempotency: Idempotency;
  /** What the business logic stored, once per key. */
  stored: Array<{ key: string; text: string }>;
  /** Each POST's answer status, in order. */
  answers: number[];
  /** Raw `Idempotency-Key` header values received. */
  keys: string[];
  processingMs: number;
}

/** POST /api/chat served the draft's way: onRequest before the business logic, onResponse after it. */
function draftServer(server: DemoServer): DraftServer {
  const draft: DraftServer = { idempotency: new Idempotency(new MemoryStorageAdapter(), { enforceIdempotency: true }), stored: [], answers: [], keys: [], processingMs: 0 };
  addRoute(server, async (req, res, url) => {
    if (url.pathname !== '/api/chat' || req.method !== 'POST') return false;
    const body = JSON.parse(await readBody(req)) as { text: string };
    const key = String(req.headers['idempotency-key'] ?? '');
    draft.keys.push(key);
    const params = { method: 'POST', path: url.pathname, headers: req.headers as Record<string, unknown>, body };
    const answer = (status: number, value: unknown, type = 'application/json') => {
      draft.answers.push(status);
      if (!res.destroyed) res.writeHead(status, { 'Content-Type': type }).end(JSON.stringify(value));
    };
    try {
      const cached = await draft.idempotency.onRequest(params);
      if (cached) {
        answer(Number(cached.additional?.status ?? 200), cached.body);
        return true;
      }
    } catch (error) {
      if (!(error instanceof IdempotencyError)) throw error;
      // The draft's answers, as problem+json (§2.7).
      const status = error.code === IdempotencyErrorCodes.REQUEST_IN_PROGRESS ? 409 : error.code === IdempotencyErrorCodes.IDEMPOTENCY_FINGERPRINT_MISSMATCH ? 422 : 400;
      answer(status, { type: 'https://example.com/idempotency', title: error.message, detail: error.message }, 'application/problem+json');
      return true;
    }
    // The business logic: slow this time, and it goes on even if the client gave up.
    await sleep(draft.processingMs);
    draft.stored.push({ key, text: body.text });
    const response = { body: { id: key, stored: draft.stored.length }, additional: { status: 201 } };
    await draft.idempotency.onResponse(params, response);
    answer(201, response.body);
    return true;
  });
  return draft;
}

async function open(page: Page, server: DemoServer, query: string): Promise<void> {
  await page.goto(`${server.url}/test/harness.html?${new URLSearchParams({ sw: `/sw.js?${query}`, probe: '0' })}`);
  await page.waitForFunction(() => (window as any).outboxReady === true || (window as any).outboxError, null, { timeout: 20_000 });
}

test('a retry that meets 409 (the first request still in progress) waits and is delivered once, never shown failed', async ({ page, server, waitFor }) => {
  const draft = draftServer(server);
  draft.processingMs = 1_500; // longer than the worker's timeout: the first attempt times out, the server goes on
  await open(page, server, 'api=/api/chat&timeout=400&retryBase=250&retryMax=500');
  const result = await sendWith(page, 'slow to store');
  expect(result.status).toBe('queued');
  await waitFor(async () => (await events(page)).some((e) => e.id === result.id && e.status === 'delivered'), { timeoutMs: 15_000, message: 'delivered' });
  expect(draft.answers, 'the server said 409 while it was busy, then gave its stored answer').toContain(409);
  expect(draft.answers.at(-1)).toBe(201);
  expect(draft.stored, 'stored once').toEqual([{ key: result.id, text: 'slow to store' }]);
  const seen = (await events(page)).filter((e) => e.id === result.id);
  expect(seen.some((e) => e.status === 'failed'), `never failed: ${seen.map((e) => `${e.status}/${e.reason ?? ''}`).join(' ')}`).toBe(false);
  expect(seen.some((e) => e.status === 'queued' && e.reason === 'http-409')).toBe(true);
  await waitFor(async () => (await list(page)).length === 0, { message: 'list() empties' });
});

test('a 409 on the very first attempt is a refusal with the server\'s words; a 422 (the key came with another body) too', async ({ page, server, waitFor }) => {
  const draft = draftServer(server);
  await open(page, server, 'api=/api/chat');
  // Another device's request with this key is being processed right now.
  const busy = 'key-in-progress-elsewhere';
  await draft.idempotency.onRequest({ method: 'POST', path: '/api/chat', headers: { 'idempotency-key': busy }, body: { text: 'from elsewhere' } });
  const conflict = await sendWith(page, 'first attempt meets 409', { headers: { 'Idempotency-Key': busy } });
  expect(conflict).toMatchObject({ id: busy, status: 'failed', reason: 'http-409', detail: 'A request is outstanding for this Idempotency-Key' });

  // This key was used before with another body.
  const used = 'key-used-before';
  const params = { method: 'POST', path: '/api/chat', headers: { 'idempotency-key': used }, body: { text: 'the original' } };
  await draft.idempotency.onRequest(params);
  await draft.idempotency.onResponse(params, { body: { id: used }, additional: { status: 201 } });
  const reused = await sendWith(page, 'another body', { headers: { 'Idempotency-Key': used } });
  expect(reused).toMatchObject({ id: used, status: 'failed', reason: 'http-422', detail: 'Idempotency-Key is already used' });
  expect(draft.stored, 'the business logic stored neither').toEqual([]);
  const pending = await waitFor(async () => {
    const messages = await list(page);
    return messages.length === 2 ? messages : undefined;
  }, { message: 'both listed as failed' });
  expect(pending.map((m) => [m.id, m.status, m.reason])).toEqual([
    [busy, 'failed', 'http-409'],
    [used, 'failed', 'http-422'],
  ]);
});

test('a 409 with Retry-After on the first attempt (outbox-server: the key is in use) waits and is delivered once with the stored answer', async ({ page, server, waitFor }) => {
  // outbox-server's middleware, in front of a handler that takes a while: a
  // request with a key still being handled gets 409 key-in-use with
  // Retry-After: 1. The worker's own first attempt can meet it (a worker
  // stopped after its POST left, that never counted that send): the server
  // says "later", so it is transient (server/src/retry-policy.js).
  const guard = idempotency({ store: memoryStore(), scope: () => 'one-user' });
  const stored: string[] = [];
  const answers: number[] = [];
  let handling = false;
  addRoute(server, (req, res, url) => {
    if (url.pathname !== '/api/chat' || req.method !== 'POST') return false;
    res.on('finish', () => answers.push(res.statusCode));
    guard(req, res, async () => {
      const body = JSON.parse((req as IncomingMessage & { rawBody?: Buffer }).rawBody?.toString('utf8') ?? '{}') as { text: string };
      handling = true;
      await sleep(1_500);
      stored.push(body.text);
      res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify({ stored: stored.length }));
    });
    return true;
  });
  await open(page, server, 'api=/api/chat&retryBase=250&retryMax=500');
  const key = 'key-in-use';
  // The same message's earlier send, still in the handler.
  const earlier = fetch(`${server.url}/api/chat`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key }, body: JSON.stringify({ text: 'sent twice' }) });
  await waitFor(async () => handling, { message: 'the earlier send is in the handler' });
  const result = await sendWith(page, 'sent twice', { headers: { 'Idempotency-Key': key } });
  expect(result, 'told queued, not failed').toMatchObject({ id: key, status: 'queued', reason: 'http-409' });
  expect((await earlier).status).toBe(201);
  await waitFor(async () => (await events(page)).some((e) => e.id === key && e.status === 'delivered'), { timeoutMs: 15_000, message: 'delivered' });
  expect(answers[0], 'the first answer to the page was 409').toBe(409);
  expect(stored, 'the handler ran once').toEqual(['sent twice']);
  expect((await events(page)).some((e) => e.id === key && e.status === 'failed')).toBe(false);
  await waitFor(async () => (await list(page)).length === 0, { message: 'list() empties' });
});

test('the handler\'s own 409, stored and replayed to a retry (Idempotent-Replayed), is a refusal: failed with its words, not retried for ever', async ({ page, server, waitFor }) => {
  // outbox-server's middleware stores the handler's 409 (a conflict of the
  // app's own: the conversation is archived). The worker's first try timed
  // out before that answer, so its retry meets the stored 409, replayed: the
  // same answer every retry will get.
  const guard = idempotency({ store: memoryStore(), scope: () => 'one-user' });
  let runs = 0;
  addRoute(server, (req, res, url) => {
    if (url.pathname !== '/api/chat' || req.method !== 'POST') return false;
    guard(req, res, async () => {
      runs += 1;
      await sleep(1_500);
      res.writeHead(409, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'the conversation is archived' }));
    });
    return true;
  });
  await open(page, server, 'api=/api/chat&timeout=1000&retryBase=250&retryMax=500');
  const result = await sendWith(page, 'into an archived conversation');
  expect(result, 'the first try timed out: queued').toMatchObject({ status: 'queued', reason: 'timeout' });
  await waitFor(async () => (await events(page)).some((e) => e.id === result.id && e.status === 'failed'), { timeoutMs: 15_000, message: 'failed once the stored 409 came back' });
  const failed = (await events(page)).find((e) => e.id === result.id && e.status === 'failed');
  expect(failed).toMatchObject({ reason: 'http-409', detail: 'the conversation is archived' });
  expect(runs, 'the handler ran once').toBe(1);
  expect((await list(page)).find((m) => m.id === result.id), 'kept for retry or discard').toMatchObject({ status: 'failed', reason: 'http-409' });
});

test('key=quoted sends the draft\'s Structured Field form of the key, and the server deduplicates on it', async ({ page, server }) => {
  const draft = draftServer(server);
  await open(page, server, 'api=/api/chat&key=quoted');
  const result = await sendWith(page, 'quoted key');
  expect(result.status).toBe('delivered');
  expect(draft.keys).toEqual([`"${result.id}"`]);
  expect(draft.stored).toEqual([{ key: `"${result.id}"`, text: 'quoted key' }]);
});
