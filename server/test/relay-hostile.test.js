// The relay in front of the open internet: it contacts only its upstream
// (no open proxy), keeps a base path, scopes keys and lanes to the client,
// never replays Set-Cookie, redacts credentials, sets a head aside that the
// upstream keeps refusing while it answers others, cuts slow clients off,
// and answers 503 (health too) when Redis hangs. Real SQLite files and a real
// redis-server.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startRelay } from '../src/relay/index.js';
import { isLoopbackHost } from '../src/relay/options.js';
import { fileResources } from './support/redis-server.js';
import { captureLog, quiet } from './support/log.js';
import { startUpstream } from './support/upstream.js';
import { postJson, request, sleep, waitFor } from './support/http.js';

const { tmp, redis } = fileResources('outbox-relay-hostile-');
let seq = 0;
const storeFor = (/** @type {string} */ kind) => (kind === 'sqlite' ? `sqlite:${path.join(tmp, `relay-${++seq}.db`)}` : redis.url);

/**
 * A relay in front of the test upstream, or of `upstreamUrl` (then `upstream` is not used: the test has its own).
 * @param {string} kind
 * @param {Partial<import('../src/relay/options.js').RelayOptions>} [options]
 * @param {string} [upstreamUrl]
 */
async function setup(kind, options = {}, upstreamUrl) {
  const own = upstreamUrl ? undefined : await startUpstream();
  const upstream = /** @type {Awaited<ReturnType<typeof startUpstream>>} */ (own);
  /** @type {string[]} */
  const lines = [];
  const relay = await startRelay({
    upstream: upstreamUrl ?? upstream.url, listen: '127.0.0.1:0', store: storeFor(kind), redisPrefix: `h${++seq}:`,
    retryBaseMs: 50, retryMaxMs: 200, pollMs: 25,
    log: captureLog(lines).log,
    ...options,
  });
  return {
    upstream, relay, lines, chat: `${relay.url}/api/chat`,
    async close() {
      await relay.close();
      await own?.close();
    },
  };
}

/** A server that records every request it gets (method, path, host): the host an attacker points at, or an upstream with a base path. */
async function recorder() {
  /** @type {string[]} */
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', () => r(undefined)));
  return { url: `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`, seen, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

/** One raw request line on a socket: what no HTTP client library would send. */
/** @param {string} url @param {string[]} lines @returns {Promise<string>} */
function raw(url, lines) {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(lines.join('\r\n')));
    let text = '';
    socket.on('data', (d) => { text += d; });
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
    setTimeout(() => socket.destroy(), 3_000).unref();
  });
}

for (const kind of ['sqlite', 'redis']) {
  describe(`relay on ${kind}, facing the open internet`, () => {
    test('absolute-form and //host targets never reach another host; the upstream\'s base path is kept', async () => {
      const elsewhere = await recorder();
      const upstream = await recorder();
      const t = await setup(kind, {}, `${upstream.url}/v1`);
      try {
        const other = new URL(elsewhere.url).host;
        await raw(t.relay.url, [`POST http://${other}/api/chat HTTP/1.1`, `Host: ${other}`, 'Content-Type: application/json', 'Idempotency-Key: abs-1', 'Content-Length: 15', 'Connection: close', '', '{"text":"abs"}\n']);
        await raw(t.relay.url, [`GET //${other}/secret?x=1 HTTP/1.1`, 'Host: relay', 'Connection: close', '', '']);
        await raw(t.relay.url, [`GET http://${other}/secret HTTP/1.1`, `Host: ${other}`, 'Connection: close', '', '']);
        await waitFor(() => upstream.seen.length >= 3, { message: 'the upstream got all three' });
        assert.deepEqual(elsewhere.seen, [], 'nothing reached the other host');
        assert.deepEqual(upstream.seen.sort(), ['GET /v1/secret', 'GET /v1/secret?x=1', 'POST /v1/api/chat'].sort());
        const relayed = await postJson(t.chat, { text: 'based' }, { 'idempotency-key': 'base-1' });
        assert.equal(relayed.status, 201);
        assert.equal(upstream.seen.at(-1), 'POST /v1/api/chat');
      } finally {
        await t.close();
        await elsewhere.close();
        await upstream.close();
      }
    });

    test('keys are the client\'s: B reusing A\'s key and body is its own message and never gets A\'s answer or cookie', async () => {
      const t = await setup(kind);
      try {
        const a = await postJson(t.chat, { text: 'same' }, { 'idempotency-key': 'shared', authorization: 'Bearer alice' });
        const b = await postJson(t.chat, { text: 'same' }, { 'idempotency-key': 'shared', authorization: 'Bearer bob' });
        assert.equal(a.status, 201);
        assert.equal(b.status, 201);
        assert.equal(b.headers['idempotent-replayed'], undefined);
        assert.deepEqual(t.upstream.state.stored.map((m) => m.headers.authorization), ['Bearer alice', 'Bearer bob'], 'each stored, with its own credentials');
        const aAgain = await postJson(t.chat, { text: 'same' }, { 'idempotency-key': 'shared', authorization: 'Bearer alice' });
        assert.equal(aAgain.headers['idempotent-replayed'], 'true');
        assert.equal(aAgain.headers['set-cookie'], undefined, 'a replay never carries Set-Cookie');
      } finally {
        await t.close();
      }
    });

    test('credential headers are redacted in listings and logs, the operator\'s too; a malformed % in an admin path is 400', async () => {
      const t = await setup(kind, { secretHeaders: ['x-tenant-secret-id'] });
      try {
        t.upstream.state.mode = '503';
        await postJson(t.chat, { text: 'held' }, { 'idempotency-key': 'red-1', authorization: 'Bearer S3CRET-1', 'x-session-token': 'S3CRET-2', 'x-api-key': 'S3CRET-3', 'x-tenant-secret-id': 'S3CRET-4', cookie: 'sid=S3CRET-5' });
        /** @type {import('../src/relay/index.js').ListedMessage[]} */
        const listed = (await request(`${t.relay.url}/outbox/messages?status=queued`)).json.messages;
        assert.equal(listed.length, 1);
        const text = JSON.stringify(listed) + t.lines.join('\n');
        for (const secret of ['S3CRET-1', 'S3CRET-2', 'S3CRET-3', 'S3CRET-4', 'S3CRET-5']) assert.ok(!text.includes(secret), `${secret} is not shown`);
        assert.equal((await request(`${t.relay.url}/outbox/messages/%E0%A4%A`)).status, 400);
      } finally {
        t.upstream.state.mode = 'up';
        await t.close();
      }
    });

    test('a head the upstream keeps refusing (5xx to that one body) while it answers others becomes a dead letter; the lane goes on', async () => {
      const t = await setup(kind, { setAsideAfterTries: 3 });
      try {
        t.upstream.state.mode = '503';
        await postJson(t.chat, { text: 'poison' }, { 'idempotency-key': 'poison-1', 'x-fail': '1' });
        await postJson(t.chat, { text: 'after it' }, { 'idempotency-key': 'after-1' });
        t.upstream.state.mode = 'up';
        // Other traffic the upstream answers (proxied): evidence that it is up.
        const traffic = setInterval(() => void request(`${t.relay.url}/anything`).catch(() => {}), 50);
        try {
          await waitFor(() => t.upstream.texts().includes('after it'), { timeoutMs: 10_000, message: 'the message behind the poisoned head delivered' });
        } finally {
          clearInterval(traffic);
        }
        /** @type {import('../src/relay/index.js').ListedMessage[]} */
        const failed = (await request(`${t.relay.url}/outbox/messages?status=failed`)).json.messages;
        assert.deepEqual(failed.map((m) => m.key), ['poison-1']);
        assert.match(failed[0]?.lastError ?? '', /^unreachable: http-500/);
      } finally {
        await t.close();
      }
    });

    test('with a secret key, credentials are stored sealed: not in the store in clear, sent upstream whole', async () => {
      const key = randomBytes(32).toString('base64');
      const t = await setup(kind, { secretKeyBase64: key });
      try {
        t.upstream.state.mode = '503';
        const queued = await postJson(t.chat, { text: 'sealed' }, { 'idempotency-key': 'seal-1', authorization: 'Bearer SEALED-SECRET', cookie: 'sid=SEALED-COOKIE' });
        assert.equal(queued.status, 202);
        let atRest = '';
        if (kind === 'sqlite') {
          // The database and its WAL: every relay file of this test folder.
          for (const name of readdirSync(tmp)) if (name.startsWith('relay-')) atRest += readFileSync(path.join(tmp, name)).toString('latin1');
        } else {
          const client = new Redis(redis.url);
          for (const k of await client.keys('*')) if ((await client.type(k)) === 'hash') atRest += JSON.stringify(await client.hgetall(k));
          client.disconnect();
        }
        assert.ok(atRest.includes('sealed'), 'the message is in the store');
        assert.ok(!atRest.includes('SEALED-SECRET') && !atRest.includes('SEALED-COOKIE'), 'no credential in clear at rest');
        t.upstream.state.mode = 'up';
        await waitFor(() => t.upstream.state.stored.some((m) => m.text === 'sealed'), { message: 'delivered' });
        const upstreamGot = t.upstream.state.stored.find((m) => m.text === 'sealed')?.headers ?? {};
        assert.equal(upstreamGot.authorization, 'Bearer SEALED-SECRET');
        assert.equal(upstreamGot.cookie, 'sid=SEALED-COOKIE');
        assert.equal(upstreamGot['x-outbox-relay-sealed'], undefined, 'the sealed pseudo-header is never sent');
      } finally {
        await t.close();
      }
    });

    test('a settled message keeps no credentials: delivered and dead-lettered records hold none', async () => {
      const dbFile = path.join(tmp, `settled-${++seq}.db`);
      const t = await setup(kind, kind === 'sqlite' ? { store: `sqlite:${dbFile}` } : {});
      try {
        t.upstream.state.mode = '503';
        await postJson(t.chat, { text: 'kept then dropped' }, { 'idempotency-key': 'drop-1', authorization: 'Bearer DROPPED-1' });
        await postJson(t.chat, { text: 'reject me' }, { 'idempotency-key': 'drop-2', authorization: 'Bearer DROPPED-2' });
        t.upstream.state.mode = 'up';
        await waitFor(async () => (await request(`${t.relay.url}/outbox/status`)).json.failed === 1, { message: 'one delivered, one dead letter' });
        assert.equal(t.upstream.state.stored.find((m) => m.text === 'kept then dropped')?.headers.authorization, 'Bearer DROPPED-1', 'sent with its credentials');
      } finally {
        await t.close();
      }
      let rows;
      if (kind === 'sqlite') {
        const { default: Database } = await import('better-sqlite3');
        const db = new Database(dbFile, { readonly: true });
        rows = db.prepare('SELECT headers FROM relay_messages').all().map((/** @type {any} */ r) => r.headers).join('\n');
        db.close();
      } else {
        const client = new Redis(redis.url);
        rows = '';
        for (const k of await client.keys('*')) if ((await client.type(k)) === 'hash') rows += `${await client.hget(k, 'data')}\n`;
        client.disconnect();
      }
      assert.ok(rows.includes('idempotency-key') || rows.includes('Idempotency-Key'), 'the records are there');
      assert.ok(!rows.includes('DROPPED-1') && !rows.includes('DROPPED-2'), 'no credential kept once settled');
    });

    test('a retried dead letter goes without the credentials it came with, or with fresh ones from credentialsFor', async () => {
      for (const hooked of [false, true]) {
        /** @type {string[][]} */
        const seen = [];
        const t = await setup(kind, hooked ? {
          credentialsFor: async (message) => {
            seen.push(message.dropped);
            return [['authorization', 'Bearer FRESH']];
          },
        } : {});
        try {
          // Queued while the upstream is down, then refused (403): a dead letter, not a passed-through answer.
          t.upstream.state.mode = '503';
          assert.equal((await postJson(t.chat, { text: 'retried later' }, { 'idempotency-key': 'dl-1', authorization: 'Bearer STALE' })).status, 202);
          t.upstream.state.mode = 'forbid';
          await waitFor(async () => (await request(`${t.relay.url}/outbox/status`)).json.failed === 1, { message: 'a dead letter' });
          const [dead] = (await request(`${t.relay.url}/outbox/messages?status=failed`)).json.messages;
          t.upstream.state.mode = 'up';
          assert.equal((await request(`${t.relay.url}/outbox/messages/${encodeURIComponent(dead.id)}/retry`, { method: 'POST' })).status, 200);
          await waitFor(() => t.upstream.state.stored.length === 1, { message: 'the retried dead letter delivered' });
          const [delivered] = t.upstream.state.stored;
          assert.equal(delivered.headers.authorization, hooked ? 'Bearer FRESH' : undefined);
          assert.equal(delivered.headers['outbox-credentials-dropped'], undefined, 'the relay\'s own marker never goes upstream');
          if (hooked) assert.deepEqual(seen, [['authorization']]);
          else assert.ok(t.lines.some((line) => line.includes('"credentials-dropped"')), 'said so in the log');
        } finally {
          await t.close();
        }
      }
    });

    test('per-client and per-lane limits: past them a client gets 429 with Retry-After and nothing is stored; other clients go on; a repeat is still answered', async () => {
      const t = await setup(kind, { maxQueuedPerClient: 3, maxQueuedPerLane: 5, laneHeader: 'x-conversation' });
      try {
        t.upstream.state.mode = '503';
        const as = (/** @type {string} */ who, /** @type {string} */ key, lane = 'a') => postJson(t.chat, { text: `${who} ${key}` }, { 'idempotency-key': key, authorization: `Bearer ${who}`, 'x-conversation': lane });
        const statuses = [];
        for (const key of ['m1', 'm2', 'm3', 'm4']) statuses.push((await as('mallory', key)).status);
        assert.deepEqual(statuses, [202, 202, 202, 429]);
        const limited = await as('mallory', 'm5');
        assert.equal(limited.status, 429);
        assert.equal(limited.headers['retry-after'], '30');
        assert.equal((await as('mallory', 'm1')).status, 202, 'a repeat of a stored one is answered as before');
        assert.equal((await as('alice', 'a1')).status, 202, 'another client is not limited by mallory');
        assert.equal((await request(`${t.relay.url}/outbox/status`)).json.queued, 4);
        t.upstream.state.mode = 'up';
        await waitFor(async () => (await request(`${t.relay.url}/outbox/status`)).json.queued === 0, { message: 'drained' });
        assert.deepEqual(t.upstream.texts().sort(), ['alice a1', 'mallory m1', 'mallory m2', 'mallory m3']);
        // Delivered messages no longer count: the client may send again.
        assert.equal((await as('mallory', 'm6')).status, 201);
      } finally {
        await t.close();
      }
    });

    test('a client that trickles its headers is cut off', async () => {
      const t = await setup(kind, { headersTimeoutMs: 500 });
      try {
        const { port } = new URL(t.relay.url);
        const startedMs = performance.now();
        const closedAfterMs = await new Promise((resolve) => {
          const socket = net.connect(Number(port), '127.0.0.1', () => socket.write('POST /api/chat HTTP/1.1\r\nHost: relay\r\n'));
          const drip = setInterval(() => socket.write('X-Slow: 1\r\n'), 200);
          socket.on('close', () => {
            clearInterval(drip);
            resolve(performance.now() - startedMs);
          });
          socket.on('error', () => {});
        });
        assert.ok(closedAfterMs < 4_000, `closed after ${Math.round(closedAfterMs)} ms`);
      } finally {
        await t.close();
      }
    });
  });
}

test('admin endpoints: open only with a token or on loopback', () => {
  for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost']) assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['0.0.0.0', '::', '10.0.0.5', 'relay.example']) assert.equal(isLoopbackHost(host), false, host);
});

test('a hung Redis: POSTs get 503 within the command timeout and /api/health says the store is unavailable', async () => {
  const t = await setup('redis');
  const admin = new Redis(redis.url);
  try {
    assert.equal((await request(`${t.relay.url}/api/health`)).status, 200);
    await admin.call('CLIENT', 'PAUSE', '9000', 'ALL');
    const startedMs = performance.now();
    const answer = await postJson(t.chat, { text: 'into a hung redis' }, { 'idempotency-key': 'hung-1' });
    assert.equal(answer.status, 503);
    assert.ok(performance.now() - startedMs < 8_000);
    const health = await request(`${t.relay.url}/api/health`);
    assert.equal(health.status, 503);
    assert.equal(health.json.store, 'unavailable');
  } finally {
    await admin.call('CLIENT', 'UNPAUSE').catch(() => {});
    admin.disconnect();
    await sleep(100);
    await t.close();
  }
});
