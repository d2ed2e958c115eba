// The middleware's draft semantics on each store (memory, a real SQLite file,
// a real redis-server), then the process-level guarantees: two processes
// racing one key on Redis (and on one SQLite file) run the handler once, and
// a process killed mid-handler does not block its key beyond the lease.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { idempotency, parseIdempotencyKey } from '../src/index.js';
import { fileResources } from './support/redis-server.js';
import { postgresResource } from './support/postgres-server.js';
import { listenLocal, storeMakers } from './support/stores.js';
import { request, postJson, sleep, waitFor } from './support/http.js';
import { startNode } from './support/processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { tmp, redis } = fileResources('outbox-idem-test-');

/**
 * A guarded chat handler in this process; `runs` counts handler runs per key.
 * @param {import('../src/index.js').IdempotencyStore} store
 * @param {import('../src/index.js').IdempotencyOptions} [options]
 */
async function startApp(store, options = {}) {
  /** @type {(string | null)[]} */
  const runs = [];
  const control = { status: 201, delayMs: 0 };
  const guard = idempotency({ store, ...options });
  const server = http.createServer((/** @type {import('../src/index.js').GuardedRequest} */ req, res) => {
    guard(req, res, async () => {
      runs.push(req.idempotencyKey ?? null);
      if (control.delayMs) await sleep(control.delayMs);
      let raw = req.rawBody;
      if (!raw) {
        /** @type {Buffer[]} */
        const chunks = [];
        for await (const chunk of req) chunks.push(chunk);
        raw = Buffer.concat(chunks);
      }
      const body = JSON.parse(raw.toString('utf8') || '{}');
      res.setHeader('Location', `/api/chat/${runs.length}`);
      res.writeHead(control.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ seq: runs.length, text: body.text }));
    });
  });
  return { ...(await listenLocal(server)), runs, control };
}

const postgres = postgresResource();
const stores = storeMakers(tmp, redis, postgres);

for (const [name, makeStore] of Object.entries(stores)) {
  describe(`idempotency middleware on ${name}`, () => {
    /** @type {Awaited<ReturnType<typeof startApp>>} */
    let app;
    /** @type {import('../src/index.js').IdempotencyStore} */
    let store;
    before(async () => {
      store = makeStore();
      app = await startApp(store, { ttlSeconds: 1 });
    });
    after(async () => {
      await app.close();
      await store.close();
    });

    test('the first request runs the handler; a repeat gets the stored status, headers and body, marked as a replay', async () => {
      const first = await postJson(app.url, { text: 'hello' }, { 'idempotency-key': 'k-replay' });
      assert.equal(first.status, 201);
      const again = await postJson(app.url, { text: 'hello' }, { 'idempotency-key': 'k-replay' });
      assert.equal(again.status, 201);
      assert.equal(again.text, first.text);
      assert.equal(again.headers['content-type'], 'application/json');
      assert.equal(again.headers.location, first.headers.location);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.equal(first.headers['idempotent-replayed'], undefined);
      assert.deepEqual(app.runs.filter((k) => k === 'k-replay'), ['k-replay'], 'the handler ran once');
    });

    test('the bare key and its quoted Structured Field form are the same key', async () => {
      await postJson(app.url, { text: 'sf' }, { 'idempotency-key': '"k-sf-1"' });
      const bare = await postJson(app.url, { text: 'sf' }, { 'idempotency-key': 'k-sf-1' });
      assert.equal(bare.headers['idempotent-replayed'], 'true');
      assert.equal(app.runs.filter((k) => k === 'k-sf-1').length, 1);
    });

    test('a request with the same key while the first runs gets 409 problem+json', async () => {
      app.control.delayMs = 400;
      try {
        const first = postJson(app.url, { text: 'slow' }, { 'idempotency-key': 'k-busy' });
        await waitFor(() => app.runs.includes('k-busy'), { message: 'the first request in its handler' });
        const second = await postJson(app.url, { text: 'slow' }, { 'idempotency-key': 'k-busy' });
        assert.equal(second.status, 409);
        assert.equal(second.headers['content-type'], 'application/problem+json');
        assert.equal(second.headers['retry-after'], '1');
        assert.equal(second.json.status, 409);
        assert.match(second.json.type, /key-in-use$/);
        assert.equal((await first).status, 201);
      } finally {
        app.control.delayMs = 0;
      }
      assert.equal(app.runs.filter((k) => k === 'k-busy').length, 1);
    });

    test('the same key with a different body gets 422, and the first answer is kept', async () => {
      const first = await postJson(app.url, { text: 'one' }, { 'idempotency-key': 'k-body' });
      const changed = await postJson(app.url, { text: 'two' }, { 'idempotency-key': 'k-body' });
      assert.equal(changed.status, 422);
      assert.equal(changed.headers['content-type'], 'application/problem+json');
      assert.match(changed.json.detail, /k-body/);
      const again = await postJson(app.url, { text: 'one' }, { 'idempotency-key': 'k-body' });
      assert.equal(again.text, first.text);
      assert.equal(app.runs.filter((k) => k === 'k-body').length, 1);
    });

    test('5xx (and 429) answers are not stored: the next try runs the handler', async () => {
      app.control.status = 503;
      const failed = await postJson(app.url, { text: 'x' }, { 'idempotency-key': 'k-5xx' });
      app.control.status = 201;
      assert.equal(failed.status, 503);
      const retried = await postJson(app.url, { text: 'x' }, { 'idempotency-key': 'k-5xx' });
      assert.equal(retried.status, 201);
      assert.equal(retried.headers['idempotent-replayed'], undefined);
      assert.equal(app.runs.filter((k) => k === 'k-5xx').length, 2);
    });

    test('a 4xx answer is stored like any other', async () => {
      app.control.status = 400;
      await postJson(app.url, { text: 'bad' }, { 'idempotency-key': 'k-4xx' });
      app.control.status = 201;
      const again = await postJson(app.url, { text: 'bad' }, { 'idempotency-key': 'k-4xx' });
      assert.equal(again.status, 400);
      assert.equal(again.headers['idempotent-replayed'], 'true');
    });

    test('keys expire after ttlSeconds', async () => {
      await postJson(app.url, { text: 'ttl' }, { 'idempotency-key': 'k-ttl' });
      await sleep(1_100);
      const later = await postJson(app.url, { text: 'ttl' }, { 'idempotency-key': 'k-ttl' });
      assert.equal(later.headers['idempotent-replayed'], undefined);
      assert.equal(app.runs.filter((k) => k === 'k-ttl').length, 2);
    });

    test('an invalid key gets 400; a missing key runs unguarded unless required', async () => {
      const invalid = await postJson(app.url, { text: 'x' }, { 'idempotency-key': 'two words' });
      assert.equal(invalid.status, 400);
      assert.match(invalid.json.type, /key-invalid$/);
      const missing = await postJson(app.url, { text: 'x' });
      assert.equal(missing.status, 201);
      const strict = await startApp(store, { required: true });
      try {
        const refused = await postJson(strict.url, { text: 'x' });
        assert.equal(refused.status, 400);
        assert.equal(refused.headers['content-type'], 'application/problem+json');
        assert.match(refused.json.type, /key-missing$/);
        assert.deepEqual(strict.runs, []);
      } finally {
        await strict.close();
      }
    });
  });
}

test('parseIdempotencyKey: bare and quoted forms, escapes, and what it refuses', () => {
  assert.equal(parseIdempotencyKey('abc-123'), 'abc-123');
  assert.equal(parseIdempotencyKey('"abc-123"'), 'abc-123');
  assert.equal(parseIdempotencyKey(' "a\\"b" '), 'a"b');
  assert.equal(parseIdempotencyKey('"k";ttl=5'), 'k');
  assert.equal(parseIdempotencyKey(undefined), undefined);
  for (const bad of ['', '""', '"open', 'a b', 'a,b', '"a","b"', '"\\n"', 'x'.repeat(256), ['a', 'b']]) {
    assert.throws(() => parseIdempotencyKey(bad), { name: 'InvalidKeyError' }, JSON.stringify(bad));
  }
});

const fixture = path.join(here, 'fixtures/guarded-app.js');

for (const kind of ['redis', 'sqlite']) {
  test(`two processes racing the same keys on ${kind} run each handler once`, async () => {
    const store = kind === 'redis' ? redis.url.replace(/\/0$/, '/1') : `sqlite:${path.join(tmp, 'race.db')}`;
    const runsFile = path.join(tmp, `race-${kind}.log`);
    const env = { STORE: store, RUNS_FILE: runsFile, DELAY_MS: '20' };
    const [a, b] = await Promise.all([startNode(fixture, [], { env }), startNode(fixture, [], { env })]);
    try {
      const keys = Array.from({ length: 25 }, (_, i) => `race-${kind}-${i}`);
      const answers = await Promise.all(keys.flatMap((key) => [a, b].map((p) =>
        postJson(`http://127.0.0.1:${p.line.port}/api/chat`, { key }, { 'idempotency-key': key }))));
      const runs = fs.readFileSync(runsFile, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
      assert.deepEqual([...runs].sort(), [...keys].sort(), 'each key ran exactly once across both processes');
      for (const answer of answers) assert.ok([201, 409].includes(answer.status), `status ${answer.status}`);
    } finally {
      await Promise.all([a.kill(), b.kill()]);
    }
  });

  test(`a process killed mid-handler on ${kind} blocks its key only for the lease`, async () => {
    const store = kind === 'redis' ? redis.url.replace(/\/0$/, '/2') : `sqlite:${path.join(tmp, 'lease.db')}`;
    const runsFile = path.join(tmp, `lease-${kind}.log`);
    const dying = await startNode(fixture, [], { env: { STORE: store, RUNS_FILE: runsFile, DELAY_MS: '30000', LEASE_MS: '2000' } });
    const survivor = await startNode(fixture, [], { env: { STORE: store, RUNS_FILE: runsFile, LEASE_MS: '2000' } });
    try {
      const key = `lease-${kind}`;
      postJson(`http://127.0.0.1:${dying.line.port}/api/chat`, { key }, { 'idempotency-key': key }).catch(() => {});
      await waitFor(() => fs.existsSync(runsFile) && fs.readFileSync(runsFile, 'utf8').includes(key), { message: 'the handler started' });
      await dying.kill();
      const survivorUrl = `http://127.0.0.1:${survivor.line.port}/api/chat`;
      const blocked = await postJson(survivorUrl, { key }, { 'idempotency-key': key });
      assert.equal(blocked.status, 409, 'the claim still holds right after the kill');
      const taken = await waitFor(async () => {
        const answer = await postJson(survivorUrl, { key }, { 'idempotency-key': key });
        return answer.status === 201 ? answer : null;
      }, { timeoutMs: 10_000, intervalMs: 100, message: 'the key taken over after the lease' });
      assert.equal(taken.json.pid, survivor.child.pid);
    } finally {
      await Promise.all([dying.kill(), survivor.kill()]);
    }
  });
}
