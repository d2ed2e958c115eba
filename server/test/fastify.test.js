// The Fastify plugin: the middleware's guarantees through Fastify's own
// request life (parsed bodies, reply.send, error handling), checked with
// Fastify's `inject` on a real SQLite file and a real PostgreSQL.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Fastify from 'fastify';
import { sqliteStore } from '../src/index.js';
import { fastifyIdempotency } from '../src/fastify.js';
import { makePostgresStore } from './support/stores.js';
import { postgresResource } from './support/postgres-server.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'outbox-fastify-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const postgres = postgresResource();

/**
 * A chat API on Fastify with the plugin; `runs` records every handler run.
 * @param {import('../src/index.js').IdempotencyOptions} options
 * @param {{ delayMs?: number, status?: number, throws?: boolean }} [behaviour]
 */
async function chatApp(options, behaviour = {}) {
  const app = Fastify();
  await app.register(fastifyIdempotency, options);
  /** @type {{ key: string | undefined, text: unknown }[]} */
  const runs = [];
  app.post('/api/chat', async (request, reply) => {
    const guarded = /** @type {{ idempotencyKey?: string }} */ (/** @type {unknown} */ (request));
    const body = /** @type {{ text?: unknown }} */ (request.body);
    runs.push({ key: guarded.idempotencyKey, text: body.text });
    if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
    if (behaviour.throws) throw new Error('the handler failed');
    reply.header('set-cookie', 'session=abc');
    return reply.code(behaviour.status ?? 201).send({ seq: runs.length, text: body.text });
  });
  app.get('/api/chat', async () => ({ runs: runs.length }));
  return { app, runs };
}

/**
 * @param {import('fastify').FastifyInstance} app
 * @param {string | undefined} key
 * @param {unknown} body
 * @param {Record<string, string>} [headers]
 */
const post = (app, key, body, headers = {}) =>
  app.inject({ method: 'POST', url: '/api/chat', payload: /** @type {any} */ (body), headers: { ...(key === undefined ? {} : { 'idempotency-key': key }), ...headers } });

describe('fastify plugin', () => {
  const sqlite = () => sqliteStore({ path: path.join(tmp, `keys-${Math.random().toString(36).slice(2)}.db`) });

  test('the first request runs the handler; a repeat gets the stored status, headers and body, marked as a replay, without Set-Cookie', async () => {
    const { app, runs } = await chatApp({ store: sqlite() });
    const first = await post(app, 'k1', { text: 'hello' });
    assert.equal(first.statusCode, 201);
    assert.equal(first.headers['set-cookie'], 'session=abc');
    const again = await post(app, 'k1', { text: 'hello' });
    assert.equal(again.statusCode, 201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body, first.body);
    assert.equal(again.headers['set-cookie'], undefined, 'a cookie is never replayed to whoever holds the key');
    assert.equal(runs.length, 1);
    await app.close();
  });

  test('a parsed body fingerprints the same in any key order; a changed body is 422; a repeat while the first runs is 409', async () => {
    const { app, runs } = await chatApp({ store: sqlite() }, { delayMs: 300 });
    const running = post(app, 'k2', { text: 'hi', to: 'bob' });
    await new Promise((r) => setTimeout(r, 50));
    const conflict = await post(app, 'k2', { to: 'bob', text: 'hi' });
    assert.equal(conflict.statusCode, 409);
    assert.equal(conflict.headers['content-type'], 'application/problem+json');
    assert.equal((await running).statusCode, 201);
    assert.equal((await post(app, 'k2', { to: 'bob', text: 'hi' })).headers['idempotent-replayed'], 'true');
    const changed = await post(app, 'k2', { text: 'something else' });
    assert.equal(changed.statusCode, 422);
    assert.equal(runs.length, 1);
    await app.close();
  });

  test('a handler that throws (500 from Fastify\'s error handler) is not stored: the retry runs it again', async () => {
    const store = sqlite();
    const failing = await chatApp({ store }, { throws: true });
    assert.equal((await post(failing.app, 'k3', { text: 'x' })).statusCode, 500);
    await failing.app.close();
    const healthy = await chatApp({ store });
    assert.equal((await post(healthy.app, 'k3', { text: 'x' })).statusCode, 201);
    assert.equal(healthy.runs.length, 1);
    await healthy.app.close();
  });

  test('keys are scoped by the credentials: B reusing A\'s key runs its own request', async () => {
    const { app, runs } = await chatApp({ store: sqlite() });
    await post(app, 'k4', { text: 'same' }, { authorization: 'Bearer alice' });
    const bob = await post(app, 'k4', { text: 'same' }, { authorization: 'Bearer bob' });
    assert.equal(bob.headers['idempotent-replayed'], undefined);
    assert.equal(runs.length, 2);
    await app.close();
  });

  test('required: a POST without a key is 400 and the handler does not run; GET routes pass untouched', async () => {
    const { app, runs } = await chatApp({ store: sqlite(), required: true });
    const missing = await post(app, undefined, { text: 'no key' });
    assert.equal(missing.statusCode, 400);
    assert.equal(JSON.parse(missing.body).type, 'tag:outbox.dev,2026:idempotency/key-missing');
    assert.equal((await app.inject({ method: 'GET', url: '/api/chat' })).statusCode, 200);
    assert.equal(runs.length, 0);
    await app.close();
  });

  test('a scope function that throws: 500 problem+json, the handler does not run', async () => {
    const { app, runs } = await chatApp({ store: sqlite(), scope: () => { throw new Error('no session store'); }, onError: () => {} });
    const answer = await post(app, 'k5', { text: 'x' });
    assert.equal(answer.statusCode, 500);
    assert.equal(answer.headers['content-type'], 'application/problem+json');
    assert.equal(runs.length, 0);
    await app.close();
  });

  test('with postgresStore, request.idempotency.transaction() commits the handler\'s write with the key\'s answer', async () => {
    const store = makePostgresStore(postgres.connectionString);
    await store.pool.query('CREATE TABLE fastify_messages (key text, text text)');
    const app = Fastify();
    await app.register(fastifyIdempotency, { store });
    app.post('/api/chat', async (request, reply) => {
      const guarded = /** @type {{ idempotencyKey?: string, idempotency?: import('../src/index.js').IdempotencyContext }} */ (/** @type {unknown} */ (request));
      const db = await /** @type {import('../src/index.js').IdempotencyContext} */ (guarded.idempotency).transaction();
      await db.query('INSERT INTO fastify_messages (key, text) VALUES ($1, $2)', [guarded.idempotencyKey, /** @type {{ text: string }} */ (request.body).text]);
      return reply.code(201).send({ ok: true });
    });
    assert.equal((await post(app, 'k6', { text: 'once' })).statusCode, 201);
    assert.equal((await post(app, 'k6', { text: 'once' })).headers['idempotent-replayed'], 'true');
    assert.deepEqual((await store.pool.query('SELECT key, text FROM fastify_messages')).rows, [{ key: 'k6', text: 'once' }]);
    await app.close();
    await store.close();
  });
});
