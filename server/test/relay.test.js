// The relay in this process, on a real SQLite file and on a real
// redis-server, in front of a deduplicating upstream (support/upstream.js):
// pass-through, queueing across dropped connections and 503s with
// Retry-After, repeated keys and changed bodies, dead letters (list, retry,
// delete), lanes, the proxy and health, logs without secrets, metrics.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startRelay } from '../src/relay/index.js';
import { fileResources } from './support/redis-server.js';
import { redisClusterResource } from './support/redis-cluster.js';
import { captureLog, quiet } from './support/log.js';
import { startUpstream } from './support/upstream.js';
import { postJson, request, waitFor } from './support/http.js';

const { tmp, redis } = fileResources('outbox-relay-test-');
// The same tests on a three-master Redis Cluster: every script must stay within one hash slot.
const cluster = redisClusterResource();

let seq = 0;
const storeFor = (/** @type {string} */ kind) => (kind === 'sqlite' ? `sqlite:${path.join(tmp, `relay-${++seq}.db`)}` : kind === 'cluster' ? cluster.url : redis.url);

/** A relay and its upstream; `lines` holds every log line the relay wrote. */
/**
 * @param {string} kind
 * @param {Partial<import('../src/relay/options.js').RelayOptions>} [options]
 */
async function setup(kind, options = {}) {
  const upstream = await startUpstream();
  /** @type {string[]} */
  const lines = [];
  const relay = await startRelay({
    upstream: upstream.url, listen: '127.0.0.1:0', store: storeFor(kind), redisPrefix: `t${++seq}:`,
    retryBaseMs: 50, retryMaxMs: 200, pollMs: 25,
    log: captureLog(lines).log,
    ...options,
  });
  const chat = `${relay.url}/api/chat`;
  return {
    upstream, relay, chat, lines,
    send: (/** @type {string} */ text, /** @type {string | undefined} */ key = undefined, /** @type {Record<string, string>} */ headers = {}) => postJson(chat, { text }, { ...(key ? { 'idempotency-key': key } : {}), ...headers }),
    status: async () => (await request(`${relay.url}/outbox/status`)).json,
    async close() {
      await relay.close();
      await upstream.close();
    },
  };
}

for (const kind of ['sqlite', 'redis', 'cluster']) {
  describe(`relay on ${kind}`, () => {
    test('pass-through: an empty lane and a quick upstream give the upstream\'s own answer, 2xx and 4xx alike', async () => {
      const t = await setup(kind);
      try {
        const ok = await t.send('hello', 'pt-1');
        assert.equal(ok.status, 201);
        assert.equal(ok.headers['x-upstream'], 'yes');
        assert.deepEqual(ok.json, { id: 'pt-1', seq: 1 });
        const refused = await t.send('reject me', 'pt-2');
        assert.equal(refused.status, 422, 'a refusal passes through too');
        assert.deepEqual(t.upstream.texts(), ['hello']);
        assert.equal((await t.status()).failed, 0, 'a refusal the client saw is not a dead letter');
        const keyless = await t.send('no key');
        assert.equal(keyless.status, 201);
        assert.match(t.upstream.state.stored.at(-1)?.key ?? '', /^[0-9a-f-]{36}$/, 'the relay made a key');
      } finally {
        await t.close();
      }
    });

    test('queueing: 202 while the upstream drops connections, then answers 503 with Retry-After; delivered once each, in order', async () => {
      const t = await setup(kind);
      try {
        t.upstream.state.mode = 'drop';
        const first = await t.send('m1', 'q-1');
        assert.equal(first.status, 202);
        assert.deepEqual(first.json, { status: 'queued', id: 'q-1' });
        for (let i = 2; i <= 5; i += 1) assert.equal((await t.send(`m${i}`, `q-${i}`)).status, 202);
        assert.deepEqual(await t.status(), { queued: 5, failed: 0, upstream: 'down', store: kind === 'cluster' ? 'redis' : kind });
        await waitFor(() => t.upstream.state.attempts.length >= 3, { message: 'retries against dropped connections' });
        t.upstream.state.mode = '503';
        t.upstream.state.retryAfter = 1;
        const before503 = t.upstream.state.attempts.length;
        await waitFor(() => t.upstream.state.attempts.length >= before503 + 2, { timeoutMs: 5_000, message: 'two tries against 503' });
        const tries503 = t.upstream.state.attempts.filter((a) => a.mode === '503');
        assert.ok(tries503[1].atMs - tries503[0].atMs >= 950, `Retry-After: 1 obeyed (${tries503[1].atMs - tries503[0].atMs} ms apart)`);
        assert.ok(t.upstream.state.attempts.every((a) => a.key === 'q-1'), 'nothing overtakes the head of the lane');
        t.upstream.state.mode = 'up';
        await waitFor(() => t.upstream.state.stored.length === 5, { timeoutMs: 5_000, message: 'all delivered' });
        assert.deepEqual(t.upstream.texts(), ['m1', 'm2', 'm3', 'm4', 'm5']);
        await waitFor(async () => (await t.status()).queued === 0, { message: 'queue empty' });
        assert.equal((await t.status()).upstream, 'up');
      } finally {
        await t.close();
      }
    });

    test('a repeated key gets the same outcome and is never forwarded twice; a changed body gets 422', async () => {
      const t = await setup(kind);
      try {
        const passed = await t.send('once', 'rep-1');
        const again = await t.send('once', 'rep-1');
        assert.equal(again.status, 201);
        assert.equal(again.text, passed.text);
        assert.equal(again.headers['idempotent-replayed'], 'true');
        t.upstream.state.mode = '503';
        assert.equal((await t.send('queued once', 'rep-2')).status, 202);
        const repeatQueued = await t.send('queued once', 'rep-2');
        assert.equal(repeatQueued.status, 202);
        assert.deepEqual(repeatQueued.json, { status: 'queued', id: 'rep-2' });
        const changed = await t.send('another body', 'rep-2');
        assert.equal(changed.status, 422);
        assert.equal(changed.headers['content-type'], 'application/problem+json');
        t.upstream.state.mode = 'up';
        await waitFor(() => t.upstream.state.stored.length === 2, { message: 'rep-2 delivered' });
        assert.equal((await t.send('queued once', 'rep-2')).status, 202, 'after delivery: still the 202 its client got');
        assert.equal((await t.send('once', 'rep-1')).status, 201);
        assert.deepEqual(t.upstream.texts(), ['once', 'queued once']);
        const forwarded = t.upstream.state.attempts.filter((a) => a.mode === 'up').map((a) => a.key);
        assert.deepEqual(forwarded, ['rep-1', 'rep-2'], 'each key forwarded once while the upstream was up');
      } finally {
        await t.close();
      }
    });

    test('dead letters: a 4xx after the wait is kept, listed, retryable and deletable, and the lane goes on', async () => {
      const t = await setup(kind);
      try {
        t.upstream.state.mode = '503';
        await t.send('before', 'dl-1');
        await t.send('reject me', 'dl-2');
        await t.send('after', 'dl-3');
        await t.send('reject me', 'dl-4');
        t.upstream.state.mode = 'up';
        await waitFor(async () => (await t.status()).failed === 2 && (await t.status()).queued === 0, { message: 'two dead letters' });
        assert.deepEqual(t.upstream.texts(), ['before', 'after'], 'the lane went on past the refusal');
        /** @type {import('../src/relay/index.js').ListedMessage[]} */
        const listed = (await request(`${t.relay.url}/outbox/messages?status=failed`)).json.messages;
        // Admin ids are scoped to the client that sent them (`<scope>.<key>`); `key` is the client's own.
        assert.deepEqual(listed.map((m) => [m.key, m.status, m.lastError, m.upstreamStatus]), [['dl-2', 'failed', 'http-422', 422], ['dl-4', 'failed', 'http-422', 422]]);
        const idOf = (/** @type {string} */ key) => encodeURIComponent(listed.find((m) => m.key === key)?.id ?? '');
        const triesOf = (/** @type {string} */ key) => t.upstream.state.attempts.filter((a) => a.key === key).length;
        const triedBefore = triesOf('dl-2');
        const retried = await request(`${t.relay.url}/outbox/messages/${idOf('dl-2')}/retry`, { method: 'POST' });
        assert.equal(retried.status, 200);
        assert.deepEqual(retried.json, { status: 'queued', id: listed.find((m) => m.key === 'dl-2')?.id });
        await waitFor(async () => triesOf('dl-2') > triedBefore && (await request(`${t.relay.url}/outbox/messages/${idOf('dl-2')}`)).json.status === 'failed', { message: 'dl-2 forwarded again' });
        assert.deepEqual(await t.status(), { queued: 0, failed: 2, upstream: 'up', store: kind === 'cluster' ? 'redis' : kind }, 'refused again (same body): a dead letter again');
        assert.equal((await request(`${t.relay.url}/outbox/messages/${idOf('dl-4')}`, { method: 'DELETE' })).status, 204);
        assert.equal((await request(`${t.relay.url}/outbox/messages/${idOf('dl-4')}`, { method: 'DELETE' })).status, 404);
        assert.equal((await request(`${t.relay.url}/outbox/messages/nope/retry`, { method: 'POST' })).status, 404);
        assert.deepEqual((await t.status()).failed, 1);
        assert.deepEqual((await request(`${t.relay.url}/outbox/messages?status=failed`)).json.messages.map((/** @type {{ key: string }} */ m) => m.key), ['dl-2']);
      } finally {
        await t.close();
      }
    });

    test('a drain longer than the lease keeps its lane (the lease is renewed while draining): each message sent once, in order', async () => {
      const t = await setup(kind, { leaseMs: 1_000 });
      try {
        t.upstream.state.mode = '503';
        const sent = Array.from({ length: 25 }, (_, i) => `long ${i + 1}`);
        for (const [i, text] of sent.entries()) assert.equal((await t.send(text, `long-${i}`)).status, 202);
        t.upstream.state.delayMs = 60; // 25 x 60 ms: the drain outlasts the 1 s lease
        t.upstream.state.mode = 'up';
        await waitFor(() => t.upstream.state.stored.length === 25, { timeoutMs: 15_000, message: 'all 25 delivered' });
        assert.deepEqual(t.upstream.texts(), sent);
        const sends = (/** @type {string} */ key) => t.upstream.state.attempts.filter((a) => a.key === key && a.mode === 'up').length;
        assert.deepEqual(sent.map((_, i) => sends(`long-${i}`)), sent.map(() => 1), 'each sent once');
        await waitFor(async () => (await t.status()).queued === 0, { message: 'queue empty' });
      } finally {
        await t.close();
      }
    });

    test('lanes: --lane-header keeps FIFO per lane, and a blocked lane does not hold up the others', async () => {
      const t = await setup(kind, { laneHeader: 'X-Conversation' });
      try {
        t.upstream.state.mode = '503';
        for (const [text, lane] of [['a1', 'a'], ['b1', 'b'], ['a2', 'a'], ['b2', 'b']]) {
          assert.equal((await t.send(text, `lane-${text}`, { 'x-conversation': lane })).status, 202);
        }
        t.upstream.state.mode = 'up';
        await waitFor(() => t.upstream.state.stored.length === 4, { message: 'all four delivered' });
        const texts = t.upstream.texts();
        assert.ok(texts.indexOf('a1') < texts.indexOf('a2') && texts.indexOf('b1') < texts.indexOf('b2'), texts.join());
      } finally {
        await t.close();
      }
    });

    test('other requests are proxied unchanged (502 when the upstream is down); /api/health is the relay\'s own', async () => {
      const t = await setup(kind);
      try {
        const proxied = await request(`${t.relay.url}/api/messages?since=3`);
        assert.equal(proxied.status, 200);
        assert.equal(proxied.text, 'upstream saw GET /api/messages?since=3');
        assert.equal(proxied.headers['x-upstream'], 'yes');
        const put = await request(`${t.relay.url}/api/chat/7`, { method: 'PUT', body: 'x' });
        assert.equal(put.text, 'upstream saw PUT /api/chat/7', 'only POSTs are relayed');
        await t.upstream.close();
        const down = await request(`${t.relay.url}/api/messages`);
        assert.equal(down.status, 502);
        assert.equal(down.headers['content-type'], 'application/problem+json');
        const health = await request(`${t.relay.url}/api/health`);
        assert.equal(health.status, 200, 'healthy while the upstream is down: the browser hands its messages over');
      } finally {
        await t.relay.close();
      }
    });

    test('secret headers are forwarded and stored for replay, never logged; metrics are Prometheus text', async () => {
      const t = await setup(kind);
      try {
        t.upstream.state.mode = '503';
        await t.send('secret', 'sec-1', { authorization: 'Bearer s3cret-token', cookie: 'sid=c00kie' });
        /** @type {import('../src/relay/index.js').ListedMessage[]} */
        const listed = (await request(`${t.relay.url}/outbox/messages?status=queued`)).json.messages;
        assert.deepEqual(listed[0]?.headers.find(([n]) => n === 'authorization'), ['authorization', '[redacted]']);
        t.upstream.state.mode = 'up';
        await waitFor(() => t.upstream.state.stored.length === 1, { message: 'delivered' });
        assert.equal(t.upstream.state.stored[0].headers.authorization, 'Bearer s3cret-token');
        assert.equal(t.upstream.state.stored[0].headers.cookie, 'sid=c00kie');
        const log = t.lines.join('\n');
        assert.ok(t.lines.length > 3 && t.lines.every((l) => JSON.parse(l).event), 'one JSON object per line');
        assert.ok(!log.includes('s3cret') && !log.includes('c00kie'), 'no secret in any log line');
        const metrics = await request(`${t.relay.url}/outbox/metrics`);
        assert.match(String(metrics.headers['content-type']), /^text\/plain/);
        assert.match(metrics.text, /outbox_relay_accepted_total\{answer="queued"\} 1/);
        assert.match(metrics.text, /outbox_relay_forward_attempts_total\{result="delivered"\} 1/);
        assert.match(metrics.text, /outbox_relay_messages\{status="queued"\} 0/);
      } finally {
        await t.close();
      }
    });
  });
}

test('bad input: an invalid key is 400, a body over the limit is 413; nothing is stored', async () => {
  const t = await setup('sqlite', { maxBodyBytes: 100 });
  try {
    assert.equal((await t.send('x', 'two words')).status, 400);
    assert.equal((await t.send('x'.repeat(200), 'big')).status, 413);
    assert.deepEqual(await t.status(), { queued: 0, failed: 0, upstream: 'up', store: 'sqlite' });
    assert.deepEqual(t.upstream.state.attempts, []);
  } finally {
    await t.close();
  }
});

test('an admin token guards /outbox/*, not the relayed API', async () => {
  const t = await setup('sqlite', { adminToken: 'adm1n' });
  try {
    assert.equal((await request(`${t.relay.url}/outbox/status`)).status, 401);
    assert.equal((await request(`${t.relay.url}/outbox/status`, { headers: { authorization: 'Bearer adm1n' } })).status, 200);
    assert.equal((await t.send('hi', 'adm-1')).status, 201);
    assert.ok(!t.lines.join('\n').includes('adm1n'));
  } finally {
    await t.close();
  }
});

test('a second relay on the same SQLite file refuses to start', async () => {
  const store = storeFor('sqlite');
  const upstream = await startUpstream();
  const first = await startRelay({ upstream: upstream.url, listen: '127.0.0.1:0', store, log: quiet() });
  try {
    await assert.rejects(startRelay({ upstream: upstream.url, listen: '127.0.0.1:0', store }), /in use by another relay/);
  } finally {
    await first.close();
    await upstream.close();
  }
});

test('a Redis holding an older relay\'s queue (keys without hash tags) is refused at start, saying what to do; nothing of it is touched', async () => {
  const upstream = await startUpstream();
  const { Redis } = await import('ioredis');
  const client = new Redis(redis.url);
  try {
    await client.rpush('old:lane:', 'anon.k1');
    await client.hset('old:msg:anon.k1', 'status', 'queued');
    await assert.rejects(
      startRelay({ upstream: upstream.url, listen: '127.0.0.1:0', store: redis.url, redisPrefix: 'old:', log: quiet() }),
      /older relay's layout .*drain it with that relay version first/,
    );
    assert.deepEqual(await client.lrange('old:lane:', 0, -1), ['anon.k1']);
  } finally {
    client.disconnect();
    await upstream.close();
  }
});
