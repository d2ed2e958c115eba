// postgresStore, brandur-style: the handler writes its message in the key's
// transaction, so the message and the key's answer commit together. Checked
// on a real PostgreSQL, with an app process killed between the handler's
// write and its answer: the chat's table holds the message once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import pg from 'pg';
import { idempotency, postgresStore, sqliteStore, TransactionsUnsupportedError } from '../src/index.js';
import { postJson, request, waitFor } from './support/http.js';
import { postgresResource } from './support/postgres-server.js';
import { startNode } from './support/processes.js';
import { listenLocal, quietPool } from './support/stores.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** @type {pg.Pool | undefined} */
let sharedPool;
let tables = 0;
// Made on first use: the file's PostgreSQL is started by a hook, not at import.
const db = () => (sharedPool ??= quietPool(postgres.connectionString));
after(async () => {
  await sharedPool?.end();
});
// Registered after the pool's hook: the pool ends before the server stops.
const postgres = postgresResource();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'outbox-idem-pg-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

async function newTables() {
  tables += 1;
  const messages = `messages_${tables}`;
  await db().query(`CREATE TABLE ${messages} (id serial PRIMARY KEY, key text NOT NULL, text text NOT NULL)`);
  return { keys: `keys_${tables}`, messages };
}

/** @param {string} messages */
const stored = async (messages) => (await db().query(`SELECT key, text FROM ${messages} ORDER BY id`)).rows;

/**
 * The same POST until the app gives an answer that is not "in progress" (409 while the dead run's lease lasts).
 * @param {string} url @param {string} key @param {string} text
 */
async function postUntilAnswered(url, key, text) {
  return waitFor(async () => {
    const answer = await postJson(url, { text }, { 'idempotency-key': key }).catch(() => undefined);
    return answer && answer.status !== 409 ? answer : undefined;
  }, { timeoutMs: 15_000, message: `an answer for ${key}` });
}

/**
 * kill -9 between the write and the answer, then the client's retry on a second process.
 * @param {'transaction' | 'pool'} write
 */
async function crashThenRetry(write) {
  const { keys, messages } = await newTables();
  const env = { PG_URL: postgres.connectionString, TABLE: keys, MESSAGES: messages, LEASE_MS: '300', WRITE: write };
  const dying = await startNode(path.join(here, 'fixtures/postgres-chat-app.js'), [], { env: { ...env, CRASH_AFTER_WRITE: '1' } });
  const url = `http://127.0.0.1:${dying.line.port}/api/chat`;
  await assert.rejects(postJson(url, { text: 'hello once' }, { 'idempotency-key': 'K1' }), 'the process died before answering');
  await waitFor(() => dying.child.exitCode !== null || dying.child.signalCode !== null, { message: 'the first process is gone' });
  const healthy = await startNode(path.join(here, 'fixtures/postgres-chat-app.js'), [], { env });
  try {
    const retryUrl = `http://127.0.0.1:${healthy.line.port}/api/chat`;
    const answer = await postUntilAnswered(retryUrl, 'K1', 'hello once');
    const replay = await postJson(retryUrl, { text: 'hello once' }, { 'idempotency-key': 'K1' });
    return { answer, replay, rows: await stored(messages) };
  } finally {
    await healthy.kill();
  }
}

test('killed between the handler\'s write and its answer: with the write in the key\'s transaction the message is stored once, and the retry gets its answer', async () => {
  const { answer, replay, rows } = await crashThenRetry('transaction');
  assert.equal(answer.status, 201);
  assert.deepEqual(rows, [{ key: 'K1', text: 'hello once' }]);
  assert.equal(replay.status, 201);
  assert.equal(replay.headers['idempotent-replayed'], 'true');
  assert.deepEqual(replay.json, answer.json, 'the replay is the answer of the run that committed');
});

test('what the transaction prevents: the same crash with the write outside it stores the message twice', async () => {
  const { rows } = await crashThenRetry('pool');
  assert.deepEqual(rows, [{ key: 'K1', text: 'hello once' }, { key: 'K1', text: 'hello once' }]);
});

test('an answer that says "try again later" (503) rolls the handler\'s write back with the claim; the retry stores it once', async () => {
  const { keys, messages } = await newTables();
  const guard = idempotency({ store: postgresStore({ pool: db(), table: keys }), required: true });
  let failNext = true;
  const server = http.createServer((/** @type {import('../src/index.js').GuardedRequest} */ req, res) => {
    guard(req, res, async () => {
      const db = await /** @type {import('../src/index.js').IdempotencyContext} */ (req.idempotency).transaction();
      await db.query(`INSERT INTO ${messages} (key, text) VALUES ($1, $2)`, [req.idempotencyKey, 'maybe']);
      const status = failNext ? 503 : 201;
      failNext = false;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status }));
    });
  });
  const app = await listenLocal(server);
  try {
    assert.equal((await postJson(app.url, { text: 'maybe' }, { 'idempotency-key': 'K2' })).status, 503);
    assert.deepEqual(await stored(messages), [], 'the 503 run wrote nothing that stayed');
    assert.equal((await postJson(app.url, { text: 'maybe' }, { 'idempotency-key': 'K2' })).status, 201);
    assert.equal((await postJson(app.url, { text: 'maybe' }, { 'idempotency-key': 'K2' })).headers['idempotent-replayed'], 'true');
    assert.deepEqual(await stored(messages), [{ key: 'K2', text: 'maybe' }]);
  } finally {
    await app.close();
  }
});

test('a handler that never answers (its client gone) does not keep a connection in a transaction', async () => {
  const { keys, messages } = await newTables();
  const small = quietPool(postgres.connectionString, 1);
  const guard = idempotency({ store: postgresStore({ pool: small, table: keys }), required: true });
  const server = http.createServer((/** @type {import('../src/index.js').GuardedRequest} */ req, res) => {
    guard(req, res, async () => {
      const db = await /** @type {import('../src/index.js').IdempotencyContext} */ (req.idempotency).transaction();
      await db.query(`INSERT INTO ${messages} (key, text) VALUES ($1, $2)`, [req.idempotencyKey, 'abandoned']);
      // Never answers: the client gives up and the socket closes.
    });
  });
  const app = await listenLocal(server);
  try {
    await assert.rejects(request(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'K3' }, body: '{"text":"abandoned"}', timeoutMs: 300 }));
    // The pool's one connection is back: a query gets through, and the abandoned write is gone.
    await waitFor(async () => (await small.query('SELECT 1 AS ok')).rows[0].ok === 1, { message: 'the connection came back to the pool' });
    assert.deepEqual(await stored(messages), []);
  } finally {
    await app.close();
    await small.end();
  }
});

test('req.idempotency.transaction() on a store without transactions rejects with TransactionsUnsupportedError; the key still guards the request', async () => {
  const guard = idempotency({ store: sqliteStore({ path: path.join(tmp, 'keys.db') }), required: true });
  /** @type {unknown} */
  let error;
  const server = http.createServer((/** @type {import('../src/index.js').GuardedRequest} */ req, res) => {
    guard(req, res, async () => {
      error = await /** @type {import('../src/index.js').IdempotencyContext} */ (req.idempotency).transaction().catch((e) => e);
      res.writeHead(201).end('{}');
    });
  });
  const app = await listenLocal(server);
  try {
    assert.equal((await postJson(app.url, {}, { 'idempotency-key': 'K4' })).status, 201);
    assert.ok(error instanceof TransactionsUnsupportedError);
    assert.equal(/** @type {Error} */ (error).name, 'TransactionsUnsupportedError');
    assert.equal((await postJson(app.url, {}, { 'idempotency-key': 'K4' })).headers['idempotent-replayed'], 'true');
  } finally {
    await app.close();
  }
});
