// npx outbox-check-server against a server that deduplicates (the middleware)
// and one that does not: the first passes every check, the second fails them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUpstream } from './support/upstream.js';

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
    assert.equal(code, 1, stdout);
    assert.match(stdout, /FAIL {2}repeated key stored once: .*stored the message twice/);
    assert.match(stdout, /FAIL {2}concurrent duplicate/);
    assert.match(stdout, /FAIL {2}changed body under the same key refused/);
    assert.match(stdout, /exactly once does NOT hold: 3 check/);
  } finally {
    server.close();
  }
});

test('outbox-check-server: bad arguments exit 2 with the usage', async () => {
  const { code, stderr } = await check('not-a-url');
  assert.equal(code, 2);
  assert.match(stderr, /usage: outbox-check-server URL/);
});
