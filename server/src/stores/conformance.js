// The idempotency store contract (contract.js) as tests: every store the
// middleware ships runs them against the real thing (memory, an SQLite file,
// a redis-server), and a store of your own can too:
//
//   import { describeStoreConformance } from 'outbox-server/conformance';
//   describeStoreConformance('my store', () => myStore({ … }));
//
// Run with `node --test`. Leases and TTLs are real time (a few hundred ms),
// so the suite takes a few seconds; nothing here fakes a clock.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

/** @typedef {import('./contract.js').IdempotencyStore} IdempotencyStore */
/** @typedef {import('./contract.js').StoredResponse} StoredResponse */

/** @type {StoredResponse} */
const RESPONSE = {
  status: 201,
  statusMessage: 'Queued For Moderation',
  headers: [['content-type', 'application/json'], ['link', '</a>; rel="a"'], ['link', '</b>; rel="b"']],
  bodyBase64: Buffer.from('{"id":"m1","text":"héllo"}').toString('base64'),
};

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Registers the contract's tests (node:test) for a store.
 * @param {string} name shown in the suite's title
 * @param {() => IdempotencyStore | Promise<IdempotencyStore>} makeStore called once, before the suite; its store is closed after
 * @param {{ leaseMs?: number }} [options] `leaseMs`: the short lease the lapse tests use (default 150; raise it for a remote store)
 * @example describeStoreConformance('redis', () => redisStore({ url: process.env.REDIS_URL }));
 */
export function describeStoreConformance(name, makeStore, { leaseMs = 150 } = {}) {
  describe(`idempotency store contract: ${name}`, () => {
    /** @type {IdempotencyStore} */
    let store;
    before(async () => {
      store = await makeStore();
    });
    after(async () => {
      await store.close();
    });
    // Every test its own keys; but the last test calls clear(): never point the suite at keys you need.
    const fresh = () => `conf-${randomUUID()}`;
    const long = { leaseMs: 60_000 };

    test('a free key is claimed once; a second claim finds it running, with the first fingerprint', async () => {
      const key = fresh();
      assert.deepEqual(await store.claim(key, 'fp-a', { ...long, owner: 'o1' }), { outcome: 'claimed' });
      assert.deepEqual(await store.claim(key, 'fp-b', { ...long, owner: 'o2' }), { outcome: 'running', fingerprint: 'fp-a' });
    });

    test('concurrent claims of one key: exactly one wins', async () => {
      const key = fresh();
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.claim(key, 'fp', { ...long, owner: `o${i}` })));
      assert.equal(results.filter((r) => r.outcome === 'claimed').length, 1);
      assert.equal(results.filter((r) => r.outcome === 'running').length, 7);
    });

    test('the owner completes: the response comes back byte for byte (status, reason phrase, repeated headers, body) under the first fingerprint', async () => {
      const key = fresh();
      await store.claim(key, 'fp-a', { ...long, owner: 'o1' });
      assert.equal(await store.complete(key, 'o1', RESPONSE, 60_000, 'fp-a'), true);
      assert.deepEqual(await store.claim(key, 'fp-a', { ...long, owner: 'o2' }), { outcome: 'done', fingerprint: 'fp-a', response: RESPONSE });
    });

    test('another owner can neither complete, renew nor release the claim', async () => {
      const key = fresh();
      await store.claim(key, 'fp', { ...long, owner: 'o1' });
      assert.equal(await store.complete(key, 'intruder', RESPONSE, 60_000, 'fp'), false);
      assert.equal(await store.renew(key, 'intruder', 60_000, 'fp'), false);
      await store.release(key, 'intruder');
      assert.deepEqual(await store.claim(key, 'fp', { ...long, owner: 'o2' }), { outcome: 'running', fingerprint: 'fp' });
    });

    test('the owner releases: the next claim runs the handler; a stored response is never released', async () => {
      const key = fresh();
      await store.claim(key, 'fp', { ...long, owner: 'o1' });
      await store.release(key, 'o1');
      assert.deepEqual(await store.claim(key, 'fp', { ...long, owner: 'o2' }), { outcome: 'claimed' });
      await store.complete(key, 'o2', RESPONSE, 60_000, 'fp');
      await store.release(key, 'o2');
      assert.equal((await store.claim(key, 'fp', { ...long, owner: 'o3' })).outcome, 'done');
    });

    test('a renewed claim outlives its first lease', async () => {
      const key = fresh();
      await store.claim(key, 'fp', { leaseMs, owner: 'o1' });
      for (let i = 0; i < 4; i += 1) {
        await sleep(leaseMs / 3);
        assert.equal(await store.renew(key, 'o1', leaseMs, 'fp'), true);
      }
      assert.equal((await store.claim(key, 'fp', { leaseMs, owner: 'o2' })).outcome, 'running');
    });

    test('a lapsed claim is taken by the next request; the first owner then can neither renew nor complete', async () => {
      const key = fresh();
      await store.claim(key, 'fp', { leaseMs, owner: 'o1' });
      await sleep(leaseMs * 2);
      assert.deepEqual(await store.claim(key, 'fp', { ...long, owner: 'o2' }), { outcome: 'claimed' });
      assert.equal(await store.renew(key, 'o1', leaseMs, 'fp'), false);
      assert.equal(await store.complete(key, 'o1', RESPONSE, 60_000, 'fp'), false);
      assert.deepEqual(await store.claim(key, 'fp', { ...long, owner: 'o3' }), { outcome: 'running', fingerprint: 'fp' });
    });

    test('a lapsed claim nobody took is still its owner\'s: renew takes it back, complete stores the answer', async () => {
      const renewed = fresh();
      await store.claim(renewed, 'fp', { leaseMs, owner: 'o1' });
      await sleep(leaseMs * 2);
      assert.equal(await store.renew(renewed, 'o1', 60_000, 'fp'), true);
      assert.equal((await store.claim(renewed, 'fp', { ...long, owner: 'o2' })).outcome, 'running');

      const completed = fresh();
      await store.claim(completed, 'fp', { leaseMs, owner: 'o1' });
      await sleep(leaseMs * 2);
      assert.equal(await store.complete(completed, 'o1', RESPONSE, 60_000, 'fp'), true);
      assert.deepEqual(await store.claim(completed, 'fp', { ...long, owner: 'o2' }), { outcome: 'done', fingerprint: 'fp', response: RESPONSE });
    });

    test('a stored response expires after its ttl: the key is free again', async () => {
      const key = fresh();
      await store.claim(key, 'fp', { ...long, owner: 'o1' });
      await store.complete(key, 'o1', RESPONSE, leaseMs, 'fp');
      assert.equal((await store.claim(key, 'fp', { ...long, owner: 'o2' })).outcome, 'done');
      await sleep(leaseMs * 2);
      assert.deepEqual(await store.claim(key, 'fp-new', { ...long, owner: 'o3' }), { outcome: 'claimed' });
    });

    test('keys are opaque: ones that differ only after a separator or in case never meet', async () => {
      const base = fresh();
      const keys = [`${base}:K9`, `${base}.K9`, `${base}:k9`, `${base}:K9 `, `${base}:K9\u00e9`];
      for (const key of keys) assert.deepEqual(await store.claim(key, key, { ...long, owner: key }), { outcome: 'claimed' });
      for (const key of keys) assert.deepEqual(await store.claim(key, 'x', { ...long, owner: 'x' }), { outcome: 'running', fingerprint: key });
    });

    // peek is optional to implement (contract.js): a store without it skips these, and the middleware's lookupPath refuses it.
    // The store is made in before(), so the skip is decided inside each test.
    /**
     * @param {string} title
     * @param {(peek: NonNullable<IdempotencyStore['peek']>) => Promise<void>} body
     */
    const peekTest = (title, body) =>
      test(`peek: ${title}`, async (t) => {
        if (typeof store.peek !== 'function') return t.skip('this store has no peek()');
        await body(store.peek.bind(store));
      });

    peekTest('a free key is none, and peeking takes no claim', async (peek) => {
      const key = fresh();
      assert.deepEqual(await peek(key), { outcome: 'none' });
      assert.deepEqual(await peek(key), { outcome: 'none' });
      assert.deepEqual(await store.claim(key, 'fp', { ...long, owner: 'o1' }), { outcome: 'claimed' });
    });

    peekTest('a live claim is running, and stays its owner\'s (another claim still finds it running, the owner completes it)', async (peek) => {
      const key = fresh();
      await store.claim(key, 'fp-a', { ...long, owner: 'o1' });
      assert.deepEqual(await peek(key), { outcome: 'running' });
      assert.deepEqual(await store.claim(key, 'fp-b', { ...long, owner: 'o2' }), { outcome: 'running', fingerprint: 'fp-a' });
      assert.equal(await store.complete(key, 'o1', RESPONSE, 60_000, 'fp-a'), true);
    });

    peekTest('a stored response is done with its status only (no headers, no body); a 4xx answer too', async (peek) => {
      const key = fresh();
      await store.claim(key, 'fp', { ...long, owner: 'o1' });
      await store.complete(key, 'o1', RESPONSE, 60_000, 'fp');
      assert.deepEqual(await peek(key), { outcome: 'done', status: 201 });
      const refused = fresh();
      await store.claim(refused, 'fp', { ...long, owner: 'o1' });
      await store.complete(refused, 'o1', { status: 422, headers: [], bodyBase64: '' }, 60_000, 'fp');
      assert.deepEqual(await peek(refused), { outcome: 'done', status: 422 });
      assert.deepEqual(await store.claim(key, 'fp', { ...long, owner: 'o2' }), { outcome: 'done', fingerprint: 'fp', response: RESPONSE }, 'peeking changed nothing');
    });

    peekTest('a released claim, a lapsed claim and an expired response are none', async (peek) => {
      const released = fresh();
      await store.claim(released, 'fp', { ...long, owner: 'o1' });
      await store.release(released, 'o1');
      assert.deepEqual(await peek(released), { outcome: 'none' });
      const lapsed = fresh();
      await store.claim(lapsed, 'fp', { leaseMs, owner: 'o1' });
      const expired = fresh();
      await store.claim(expired, 'fp', { ...long, owner: 'o1' });
      await store.complete(expired, 'o1', RESPONSE, leaseMs, 'fp');
      assert.deepEqual(await peek(expired), { outcome: 'done', status: 201 });
      await sleep(leaseMs * 2);
      assert.deepEqual(await peek(lapsed), { outcome: 'none' });
      assert.deepEqual(await peek(expired), { outcome: 'none' });
    });

    peekTest('keys are opaque (another case or separator is another key)', async (peek) => {
      const base = fresh();
      await store.claim(`${base}:K9`, 'fp', { ...long, owner: 'o1' });
      await store.complete(`${base}:K9`, 'o1', RESPONSE, 60_000, 'fp');
      assert.deepEqual(await peek(`${base}:K9`), { outcome: 'done', status: 201 });
      for (const other of [`${base}:k9`, `${base}.K9`, `${base}:K9 `, `${base}:K`]) assert.deepEqual(await peek(other), { outcome: 'none' }, other);
    });

    test('clear forgets every key', async () => {
      const key = fresh();
      await store.claim(key, 'fp', { ...long, owner: 'o1' });
      await store.clear();
      assert.deepEqual(await store.claim(key, 'fp', { ...long, owner: 'o2' }), { outcome: 'claimed' });
    });
  });
}
