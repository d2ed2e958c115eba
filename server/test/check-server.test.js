// npx outbox-check-server against a server that deduplicates (the middleware)
// and one that does not: the first passes every check, the second fails them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUpstream } from './support/upstream.js';
import { idempotency, memoryStore } from '../src/index.js';

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '../bin/outbox-check-server.js');
/** @param {string[]} args @returns {Promise<{ code: number | string | null | undefined, stdout: string, stderr: string }>} */
const check = (...args) => new Promise((resolve) => {
  execFile(process.execPath, [bin, ...args], (error, stdout, stderr) => resolve({ code: error ? error.code : 0, stdout, stderr }));
});

test('outbox-check-server passes a server using the idempotency middleware', async () => {
  const upstream = await startUpstream();
  try {
    const { code, stdout } = await check(`${upstream.url}/api/chat`, '--fail-header', 'X-Fail: 1');
    assert.equal(code, 0, stdout);
    assert.match(stdout, /PASS {2}repeated key stored once/);
    assert.match(stdout, /PASS {2}concurrent duplicate/);
    assert.match(stdout, /PASS {2}changed body under the same key refused: 422/);
    assert.match(stdout, /PASS {2}5xx not cached/);
    assert.match(stdout, /exactly once holds/);
  } finally {
    await upstream.close();
  }
});

test('outbox-check-server fails a server that ignores Idempotency-Key, and says why', async () => {
  let seq = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seq += 1;
      if (req.headers['x-fail']) {
        res.writeHead(503);
        return res.end();
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ seq }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  try {
    const { code, stdout } = await check(`http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/api/chat`, '--fail-header', 'X-Fail: 1');
    // Its answers alone (a new seq each time) could also come from a server that
    // deduplicates and answers a repeat differently: no FAIL for those without
    // --verify-url, but the accepted changed body is a failure.
    assert.equal(code, 1, stdout);
    assert.match(stdout, /CANNOT TELL {2}repeated key stored once/);
    assert.match(stdout, /CANNOT TELL {2}concurrent duplicate/);
    assert.match(stdout, /FAIL {2}changed body under the same key refused/);
    assert.match(stdout, /exactly once does NOT hold: 1 check/);
  } finally {
    server.close();
  }
});

test('outbox-check-server: bad arguments exit 2 with the usage', async () => {
  const { code, stderr } = await check('not-a-url');
  assert.equal(code, 2);
  assert.match(stderr, /usage: outbox-check-server URL/);
});

/**
 * A chat API that lists what it stored at GET /api/chat; `onPost` decides what
 * a POST stores and answers.
 * @param {(req: import('node:http').IncomingMessage, body: string, stored: string[]) => Promise<{ status: number, body?: string, headers?: Record<string, string> }>} onPost
 */
async function startListingServer(onPost) {
  /** @type {string[]} */
  const stored = [];
  const server = http.createServer(async (req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(stored));
    }
    let body = '';
    for await (const chunk of req) body += chunk;
    const answer = await onPost(req, body, stored);
    res.writeHead(answer.status, { ...(answer.body !== undefined ? { 'content-type': 'application/json' } : {}), ...answer.headers });
    res.end(answer.body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/api/chat`;
  return { url, stored, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

test('a server that stores every POST and answers a constant body is never approved: its answers cannot tell, and with --verify-url what it stored fails it', async () => {
  const app = await startListingServer(async (_req, body, stored) => {
    stored.push(body);
    return { status: 201, body: '{"ok":true}' };
  });
  try {
    const blind = await check(app.url);
    assert.notEqual(blind.code, 0, blind.stdout);
    assert.match(blind.stdout, /CANNOT TELL {2}repeated key stored once/);
    assert.match(blind.stdout, /CANNOT TELL {2}concurrent duplicate stored once/);
    const seen = await check(app.url, '--verify-url', app.url);
    assert.equal(seen.code, 1, seen.stdout);
    assert.match(seen.stdout, /FAIL {2}repeated key stored once: stored 2 times/);
    assert.match(seen.stdout, /FAIL {2}concurrent duplicate stored once: stored 3 times/);
  } finally {
    await app.close();
  }
});

test('a server that stores every POST and answers 204 fails with --verify-url', async () => {
  const app = await startListingServer(async (_req, body, stored) => {
    stored.push(body);
    return { status: 204 };
  });
  try {
    const { code, stdout } = await check(app.url, '--verify-url', app.url);
    assert.equal(code, 1, stdout);
    assert.match(stdout, /FAIL {2}repeated key stored once: stored 2 times/);
  } finally {
    await app.close();
  }
});

test('a check-then-insert server passes a sequential repeat but fails the concurrent duplicate (stored more than once)', async () => {
  /** @type {Map<string, string>} */
  const byKey = new Map();
  const app = await startListingServer(async (req, body, stored) => {
    const key = String(req.headers['idempotency-key']);
    const seen = byKey.get(key);
    if (seen !== undefined) return seen === body ? { status: 200, body: '{"duplicate":true}' } : { status: 422, body: '{"error":"key reused"}' };
    await new Promise((r) => setTimeout(r, 100)); // the gap between the check and the insert
    byKey.set(key, body);
    stored.push(body);
    return { status: 201, body: JSON.stringify({ seq: stored.length }) };
  });
  try {
    const { code, stdout } = await check(app.url, '--verify-url', app.url);
    assert.equal(code, 1, stdout);
    assert.match(stdout, /PASS {2}repeated key stored once: stored once/);
    assert.match(stdout, /FAIL {2}concurrent duplicate stored once: stored 3 times/);
    assert.ok(app.stored.length > 4, 'the server did store the concurrent duplicates');
  } finally {
    await app.close();
  }
});

test('a server that deduplicates but answers a repeat differently is never failed: cannot tell without --verify-url, PASS with it', async () => {
  /** @type {Map<string, string>} */
  const byKey = new Map();
  const app = await startListingServer(async (req, body, stored) => {
    const key = String(req.headers['idempotency-key']);
    const seen = byKey.get(key);
    if (seen !== undefined) return seen === body ? { status: 200, body: '{"duplicate":true}' } : { status: 422, body: '{"error":"key reused"}' };
    byKey.set(key, body); // checked and inserted in one step: no gap
    stored.push(body);
    return { status: 201, body: JSON.stringify({ seq: stored.length }) };
  });
  try {
    const blind = await check(app.url);
    assert.equal(blind.code, 3, blind.stdout);
    assert.doesNotMatch(blind.stdout, /FAIL/);
    const seen = await check(app.url, '--verify-url', app.url);
    assert.equal(seen.code, 0, seen.stdout);
    assert.match(seen.stdout, /PASS {2}repeated key stored once: stored once/);
    assert.match(seen.stdout, /PASS {2}concurrent duplicate stored once: stored once/);
    assert.match(seen.stdout, /exactly once holds/);
  } finally {
    await app.close();
  }
});

test('the idempotency middleware passes with --verify-url too (what it stored, counted)', async () => {
  const guard = idempotency({ store: memoryStore(), required: true });
  /** @type {string[]} */
  const stored = [];
  const server = http.createServer((/** @type {import('../src/index.js').GuardedRequest} */ req, res) => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(stored));
    }
    return guard(req, res, () => {
      stored.push(req.rawBody?.toString('utf8') ?? '');
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ seq: stored.length }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/api/chat`;
  try {
    const { code, stdout } = await check(url, '--verify-url', url);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /PASS {2}repeated key stored once: stored once/);
    assert.match(stdout, /PASS {2}concurrent duplicate stored once: stored once/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
