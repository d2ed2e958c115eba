// The relay in front of an upstream that follows the IETF Idempotency-Key
// draft the way @node-idempotency/core does (e2e/ordering/idempotency-409.spec.ts
// has the browser's side): while a key's first request is still processed, a
// retry with that key gets 409 without Retry-After; once it is done, the
// stored answer. The retry policy (src/retry-policy.js) calls that 409
// transient for a key sent before: the relay waits and delivers, never sets it
// aside as a dead letter.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Idempotency, IdempotencyError, IdempotencyErrorCodes } from '@node-idempotency/core';
import { MemoryStorageAdapter } from '@node-idempotency/storage-adapter-memory';
import { idempotency, memoryStore } from '../src/index.js';
import { startRelay } from '../src/relay/index.js';
import { quiet } from './support/log.js';
import { postJson, request, waitFor } from './support/http.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'outbox-relay-draft-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * An upstream whose business logic takes `processingMs` and goes on when its client gave up.
 * @param {number} processingMs
 */
async function draftUpstream(processingMs) {
  const idempotency = new Idempotency(new MemoryStorageAdapter(), { enforceIdempotency: true });
  /** @type {string[]} what the business logic stored */
  const stored = [];
  /** @type {number[]} statuses answered to a client still connected */
  const answered = [];
  const server = http.createServer(async (req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const params = { method: 'POST', path: req.url ?? '/', headers: /** @type {Record<string, unknown>} */ (req.headers), body };
    const answer = (/** @type {number} */ status, /** @type {unknown} */ value) => {
      if (res.destroyed) return;
      answered.push(status);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    try {
      const cached = await idempotency.onRequest(params);
      if (cached) return answer(Number(cached.additional?.status ?? 200), cached.body);
    } catch (error) {
      if (!(error instanceof IdempotencyError)) throw error;
      return answer(error.code === IdempotencyErrorCodes.REQUEST_IN_PROGRESS ? 409 : 422, { title: error.message });
    }
    await new Promise((r) => setTimeout(r, processingMs));
    stored.push(body.text);
    const response = { body: { stored: stored.length }, additional: { status: 201 } };
    await idempotency.onResponse(params, response);
    answer(201, response.body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  return { url, stored, answered, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

test('a retry that meets the draft\'s 409 (no Retry-After) while the first is still processed waits, and is delivered once', async () => {
  // Longer than the relay's timeout: the first forward times out, the upstream goes on.
  const upstream = await draftUpstream(1_500);
  const relay = await startRelay({
    upstream: upstream.url, listen: '127.0.0.1:0', store: `sqlite:${path.join(tmp, 'relay.db')}`,
    timeoutMs: 300, retryBaseMs: 50, retryMaxMs: 200, pollMs: 25, passThroughWaitMs: 100, log: quiet(),
  });
  try {
    const accepted = await postJson(`${relay.url}/api/chat`, { text: 'slow to store' }, { 'idempotency-key': 'draft-1' });
    assert.equal(accepted.status, 202, 'queued: the upstream did not answer within passThroughWaitMs');
    await waitFor(() => upstream.answered.includes(201), { timeoutMs: 15_000, message: 'the relay got the stored answer (201) on a retry' });
    assert.ok(upstream.answered.includes(409), `the upstream said 409 while it was busy: ${upstream.answered.join(' ')}`);
    const status = await waitFor(async () => {
      const now = (await request(`${relay.url}/outbox/status`)).json;
      return now.queued === 0 ? now : undefined;
    }, { message: 'nothing queued' });
    assert.deepEqual({ queued: status.queued, failed: status.failed }, { queued: 0, failed: 0 }, 'delivered, not a dead letter');
    assert.deepEqual(upstream.stored, ['slow to store'], 'stored once');
  } finally {
    await relay.close();
    await upstream.close();
  }
});

test('the upstream handler\'s own 409, stored by outbox-server\'s middleware and replayed to a retry, is a dead letter, not retried for ever', async () => {
  // The first forward times out while the handler works; the retries meet
  // key-in-use (409 with Retry-After: transient), then the stored 409 replayed
  // (Idempotent-Replayed: true): the answer every retry would get.
  const guard = idempotency({ store: memoryStore(), scope: () => 'one-client' });
  let runs = 0;
  const server = http.createServer((req, res) => {
    guard(req, res, async () => {
      runs += 1;
      await new Promise((r) => setTimeout(r, 1_000));
      res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'the conversation is archived' }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const upstreamUrl = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  const relay = await startRelay({
    upstream: upstreamUrl, listen: '127.0.0.1:0', store: `sqlite:${path.join(tmp, 'relay-replayed.db')}`,
    timeoutMs: 300, retryBaseMs: 50, retryMaxMs: 200, pollMs: 25, passThroughWaitMs: 100, log: quiet(),
  });
  try {
    const accepted = await postJson(`${relay.url}/api/chat`, { text: 'into an archived conversation' }, { 'idempotency-key': 'replayed-409' });
    assert.equal(accepted.status, 202, 'queued: the upstream did not answer within passThroughWaitMs');
    const status = await waitFor(async () => {
      const now = (await request(`${relay.url}/outbox/status`)).json;
      return now.failed === 1 ? now : undefined;
    }, { timeoutMs: 10_000, message: 'a dead letter once the stored 409 came back' });
    assert.equal(status.queued, 0, 'nothing left to retry');
    assert.equal(runs, 1, 'the handler ran once');
  } finally {
    await relay.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
