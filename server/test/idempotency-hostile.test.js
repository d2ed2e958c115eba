// The middleware in front of the open internet (issue: the server half, safe
// on the open internet): a handler slower than the client's patience runs
// once and its answer is stored; keys are scoped to the client by default;
// a scope function that throws answers 500 and never crashes the process; a
// handler's own reason phrase is replayed. Real SQLite files and a real
// redis-server, besides memory.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { idempotency } from '../src/index.js';
import { fileResources } from './support/redis-server.js';
import { postgresResource } from './support/postgres-server.js';
import { listenLocal, storeMakers } from './support/stores.js';
import { request, postJson, sleep, waitFor } from './support/http.js';

const { tmp, redis } = fileResources('outbox-idem-hostile-');

/**
 * A guarded handler; `runs` records each run's key and scope-relevant header.
 * @param {import('../src/index.js').IdempotencyStore} store
 * @param {import('../src/index.js').IdempotencyOptions} [options]
 * @param {(req: import('../src/index.js').GuardedRequest, res: import('node:http').ServerResponse, run: number) => unknown} [handler]
 */
async function startApp(store, options = {}, handler) {
  /** @type {{ key: string | undefined, authorization: string | null }[]} */
  const runs = [];
  const control = { delayMs: 0 };
  const guard = idempotency({ store, ...options });
  const server = http.createServer((/** @type {import('../src/index.js').GuardedRequest} */ req, res) => {
    guard(req, res, async () => {
      runs.push({ key: req.idempotencyKey, authorization: req.headers.authorization ?? null });
      if (control.delayMs) await sleep(control.delayMs);
      if (handler) return handler(req, res, runs.length);
      res.writeHead(201, { 'Content-Type': 'application/json', 'Set-Cookie': `sid=${runs.length}` });
      res.end(JSON.stringify({ seq: runs.length, for: req.headers.authorization ?? 'anonymous' }));
    });
  });
  return { ...(await listenLocal(server)), runs, control };
}

const postgres = postgresResource();
const stores = storeMakers(tmp, redis, postgres);

for (const [name, makeStore] of Object.entries(stores)) {
  describe(`middleware on ${name}, facing hostile or impatient clients`, () => {
    /** @type {import('../src/index.js').IdempotencyStore} */
    let store;
    before(() => {
      store = makeStore();
    });
    after(async () => {
      await store.close();
    });

    test('a handler slower than the client and the lease runs once; the client that gave up gets its stored answer', async () => {
      const app = await startApp(store, { leaseMs: 300 });
      try {
        app.control.delayMs = 1_500; // five leases
        // The client gives up after 200 ms (its connection closes), then retries.
        await assert.rejects(request(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'slow-1' }, body: '{"text":"slow"}', timeoutMs: 200 }));
        const retries = [];
        for (let i = 0; i < 4; i += 1) {
          await sleep(250);
          retries.push((await postJson(app.url, { text: 'slow' }, { 'idempotency-key': 'slow-1' })).status);
        }
        assert.deepEqual(retries, [409, 409, 409, 409], 'the first run still holds the key');
        await waitFor(async () => (await postJson(app.url, { text: 'slow' }, { 'idempotency-key': 'slow-1' })).status === 201, { timeoutMs: 5_000, message: 'the stored answer' });
        const replay = await postJson(app.url, { text: 'slow' }, { 'idempotency-key': 'slow-1' });
        assert.equal(replay.headers['idempotent-replayed'], 'true');
        assert.equal(app.runs.filter((r) => r.key === 'slow-1').length, 1, 'the handler ran once');
      } finally {
        await app.close();
      }
    });

    test('keys are scoped by the credentials by default: B reusing A\'s key and body runs its own request and never gets A\'s answer', async () => {
      const app = await startApp(store);
      try {
        const a = await postJson(app.url, { text: 'same' }, { 'idempotency-key': 'shared-1', authorization: 'Bearer alice' });
        const b = await postJson(app.url, { text: 'same' }, { 'idempotency-key': 'shared-1', authorization: 'Bearer bob' });
        assert.equal(a.json.for, 'Bearer alice');
        assert.equal(b.json.for, 'Bearer bob');
        assert.equal(b.headers['idempotent-replayed'], undefined);
        assert.equal(app.runs.filter((r) => r.key === 'shared-1').length, 2);
        const aAgain = await postJson(app.url, { text: 'same' }, { 'idempotency-key': 'shared-1', authorization: 'Bearer alice' });
        assert.equal(aAgain.headers['idempotent-replayed'], 'true');
        assert.equal(aAgain.json.for, 'Bearer alice');
        assert.equal(aAgain.headers['set-cookie'], undefined, 'Set-Cookie is never replayed');
      } finally {
        await app.close();
      }
    });

    test('with a scope function, an anonymous key spelled "alice:K9" never meets alice\'s K9', async () => {
      const app = await startApp(store, { scope: (req) => (req.headers.authorization === 'Bearer alice' ? 'alice' : '') });
      try {
        await postJson(app.url, { text: 'k9' }, { 'idempotency-key': 'K9', authorization: 'Bearer alice' });
        const anonymous = await postJson(app.url, { text: 'k9' }, { 'idempotency-key': 'alice:K9' });
        assert.equal(anonymous.headers['idempotent-replayed'], undefined);
        assert.equal(anonymous.json.for, 'anonymous');
      } finally {
        await app.close();
      }
    });

    test('a scope function that throws: 500 problem+json, the handler does not run, the process lives', async () => {
      const app = await startApp(store, { scope: () => { throw new Error('no session store'); }, onError: () => {} });
      try {
        const answer = await postJson(app.url, { text: 'x' }, { 'idempotency-key': 'throws-1' });
        assert.equal(answer.status, 500);
        assert.equal(answer.headers['content-type'], 'application/problem+json');
        assert.equal(app.runs.length, 0);
        const again = await postJson(app.url, { text: 'x' }, { 'idempotency-key': 'throws-2' });
        assert.equal(again.status, 500, 'still answering');
      } finally {
        await app.close();
      }
    });

    test('a custom reason phrase is replayed with the stored answer', async () => {
      const app = await startApp(store, {}, (req, res) => {
        res.statusMessage = 'Message Accepted For Moderation';
        res.writeHead(202, { 'Content-Type': 'text/plain' });
        res.end('held');
      });
      try {
        const reason = (/** @type {string} */ key) => new Promise((resolve, reject) => {
          const req = http.request(app.url, { method: 'POST', headers: { 'content-type': 'text/plain', 'idempotency-key': key }, agent: false }, (res) => {
            res.resume();
            res.on('end', () => resolve([res.statusCode, res.statusMessage, res.headers['idempotent-replayed']]));
          });
          req.on('error', reject);
          req.end('hi');
        });
        assert.deepEqual(await reason('phrase-1'), [202, 'Message Accepted For Moderation', undefined]);
        assert.deepEqual(await reason('phrase-1'), [202, 'Message Accepted For Moderation', 'true']);
      } finally {
        await app.close();
      }
    });
  });
}
