// The middleware's key lookup (`lookupPath`), on every shipped store (memory,
// a real SQLite file, a real redis-server, a real PostgreSQL) and through the
// Fastify plugin: unknown, in-progress while the handler runs, completed with
// the stored status (a refusal too), scoped like the POST (another client's
// key is unknown), 400 for a bad key, 405 for another method, status only.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Fastify from 'fastify';
import { idempotency, sqliteStore } from '../src/index.js';
import { fastifyIdempotency } from '../src/fastify.js';
import { fileResources } from './support/redis-server.js';
import { postgresResource } from './support/postgres-server.js';
import { listenLocal, storeMakers } from './support/stores.js';
import { request, postJson, waitFor } from './support/http.js';

const { tmp, redis } = fileResources('outbox-idem-lookup-');
const postgres = postgresResource();
const stores = storeMakers(tmp, redis, postgres);
const LOOKUP = '/api/lookup';

/** The guard mounted app-wide, as `app.use(guard)` would: it answers the lookup path itself. */
async function startApp(/** @type {import('../src/index.js').IdempotencyStore} */ store) {
  const control = { status: 201, delayMs: 0 };
  const guard = idempotency({ store, lookupPath: LOOKUP });
  const server = http.createServer((req, res) => {
    void guard(req, res, async () => {
      if (control.delayMs) await new Promise((r) => setTimeout(r, control.delayMs));
      res.writeHead(control.status, { 'Content-Type': 'application/json', 'X-Secret': 'never told' });
      res.end(JSON.stringify({ private: 'the stored body' }));
    });
  });
  const local = await listenLocal(server);
  const base = local.url.replace(/\/api\/chat$/, '');
  const ask = (/** @type {string | undefined} */ key, /** @type {Record<string, string>} */ headers = {}, method = 'GET') =>
    request(`${base}${LOOKUP}`, { method, headers: { ...(key ? { 'idempotency-key': key } : {}), ...headers } });
  return { ...local, control, ask };
}

for (const [name, makeStore] of Object.entries(stores)) {
  describe(`key lookup on ${name}`, () => {
    /** @type {Awaited<ReturnType<typeof startApp>>} */
    let app;
    /** @type {import('../src/index.js').IdempotencyStore} */
    let store;
    before(async () => {
      store = makeStore();
      app = await startApp(store);
    });
    after(async () => {
      await app.close();
      await store.close();
    });

    test('unknown, then in-progress while the handler runs, then completed with the stored status only; another client\'s key is unknown', async () => {
      const alice = { authorization: 'Bearer alice' };
      assert.deepEqual((await app.ask('lk-a', alice)).json, { state: 'unknown' });
      app.control.delayMs = 600;
      const posting = postJson(app.url, { text: 'hi' }, { 'idempotency-key': 'lk-a', ...alice });
      await waitFor(async () => (await app.ask('lk-a', alice)).json?.state === 'in-progress', { message: 'in-progress while the handler runs' });
      assert.equal((await posting).status, 201);
      app.control.delayMs = 0;
      const answer = await app.ask('lk-a', alice);
      assert.deepEqual(answer.json, { state: 'completed', status: 201 }, 'the status only: no stored body or headers');
      assert.equal(answer.headers['x-secret'], undefined);
      assert.equal(answer.headers['cache-control'], 'no-store');
      assert.deepEqual((await app.ask('lk-a', { authorization: 'Bearer mallory' })).json, { state: 'unknown' }, 'scoped like the POST');
      assert.deepEqual((await app.ask('lk-a')).json, { state: 'unknown' });
    });

    test('a stored refusal is completed with its status; a missing or bad key is 400; POST is 405', async () => {
      app.control.status = 422;
      assert.equal((await postJson(app.url, { text: 'refused' }, { 'idempotency-key': 'lk-r' })).status, 422);
      app.control.status = 201;
      assert.deepEqual((await app.ask('lk-r')).json, { state: 'completed', status: 422 });
      assert.equal((await app.ask(undefined)).status, 400);
      assert.equal((await app.ask('x'.repeat(300))).status, 400);
      const post = await app.ask('lk-r', {}, 'POST');
      assert.equal(post.status, 405);
      assert.equal(post.headers.allow, 'GET');
    });
  });
}

test('a transient answer (503) is not stored: the key is unknown again, so the client sends it again', async () => {
  const app = await startApp(stores.memory());
  try {
    app.control.status = 503;
    assert.equal((await postJson(app.url, { text: 'later' }, { 'idempotency-key': 'lk-t' })).status, 503);
    assert.deepEqual((await app.ask('lk-t')).json, { state: 'unknown' });
  } finally {
    await app.close();
  }
});

test('mounted under a prefix (Express app.use(\'/api\', guard) strips it from req.url): the lookup path is matched on originalUrl', async () => {
  const guard = idempotency({ store: stores.memory(), lookupPath: LOOKUP });
  const server = http.createServer((req, res) => {
    const mounted = /** @type {import('node:http').IncomingMessage & { originalUrl?: string }} */ (req);
    mounted.originalUrl = req.url;
    req.url = (req.url ?? '/').replace(/^\/api/, '') || '/';
    void guard(req, res, () => res.writeHead(201).end('{}'));
  });
  const local = await listenLocal(server);
  try {
    assert.equal((await postJson(local.url, { text: 'x' }, { 'idempotency-key': 'lk-p' })).status, 201);
    assert.deepEqual((await request(local.url.replace(/\/api\/chat$/, LOOKUP), { headers: { 'idempotency-key': 'lk-p' } })).json, { state: 'completed', status: 201 });
  } finally {
    await local.close();
  }
});

test('guard.lookup mounted on a route of its own answers the same; a lookupPath that is not a path is refused', async () => {
  const store = stores.memory();
  const guard = idempotency({ store });
  const server = http.createServer((req, res) => (req.url?.startsWith(LOOKUP) ? void guard.lookup(req, res) : void guard(req, res, () => res.writeHead(201).end('{}'))));
  const local = await listenLocal(server);
  try {
    assert.equal((await postJson(local.url, { text: 'x' }, { 'idempotency-key': 'lk-m' })).status, 201);
    assert.deepEqual((await request(local.url.replace(/\/api\/chat$/, LOOKUP), { headers: { 'idempotency-key': 'lk-m' } })).json, { state: 'completed', status: 201 });
  } finally {
    await local.close();
  }
  assert.throws(() => idempotency({ store, lookupPath: 'api/lookup' }), TypeError);
});

test('fastify: lookupPath is a route of its own, answered by the plugin with the same states', async () => {
  const app = Fastify();
  await app.register(fastifyIdempotency, { store: sqliteStore({ path: `${tmp}/fastify-lookup.db` }), lookupPath: LOOKUP });
  app.post('/api/chat', async (_request, reply) => reply.code(201).send({ ok: true }));
  try {
    const ask = async (/** @type {string} */ key) => (await app.inject({ method: 'GET', url: LOOKUP, headers: { 'idempotency-key': key } })).json();
    assert.deepEqual(await ask('fx-1'), { state: 'unknown' });
    assert.equal((await app.inject({ method: 'POST', url: '/api/chat', payload: { text: 'hi' }, headers: { 'idempotency-key': 'fx-1' } })).statusCode, 201);
    assert.deepEqual(await ask('fx-1'), { state: 'completed', status: 201 });
    assert.equal((await app.inject({ method: 'GET', url: LOOKUP })).statusCode, 400);
    for (const method of /** @type {const} */ (['POST', 'PUT', 'DELETE'])) {
      const wrong = await app.inject({ method, url: LOOKUP, headers: { 'idempotency-key': 'fx-1' } });
      assert.equal(wrong.statusCode, 405, method);
      assert.equal(wrong.headers.allow, 'GET', method);
    }
  } finally {
    await app.close();
  }
});
