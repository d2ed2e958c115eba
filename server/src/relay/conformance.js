// The relay queue's store contract (store-contract.js) as tests: every store
// the relay ships runs them against the real thing (memory, an SQLite file, a
// redis-server, a Redis Cluster), and a store of your own can too:
//
//   import { describeRelayQueueConformance } from 'outbox-server/relay/conformance';
//   describeRelayQueueConformance('my store', ({ nowMs }) => myQueue({ nowMs }));
//
// Run with `node --test`. Time is the suite's own clock (`nowMs`), passed to
// the store, so retention is checked without waiting.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

/**
 * @typedef {object} ConformanceClock
 * @property {() => number} nowMs the clock the store must read
 * @property {number} ttlMs how long settled messages are kept
 * @property {number} deadLetterTtlMs how long dead letters are kept
 */

/**
 * @param {string} name shown in the suite's title
 * @param {(clock: ConformanceClock) => any} makeStore a fresh, empty store per test (its own file, prefix or database)
 * @param {{ sharedLeases?: boolean }} [options] `sharedLeases: false` for a store that one relay holds whole (SQLite's exclusive lock): lease exclusivity is not checked
 * @example describeRelayQueueConformance('redis', (clock) => redisQueue({ url: process.env.REDIS_URL, prefix: `t${Math.random()}:`, ...clock }));
 */
export function describeRelayQueueConformance(name, makeStore, { sharedLeases = true } = {}) {
  describe(`relay queue store contract: ${name}`, () => {
    /**
     * A fresh store on a clock the test moves.
     * @param {(store: any, clock: { now: number }) => Promise<void>} body
     */
    const withStore = async (body) => {
      const clock = { now: 1_000_000 };
      const store = await makeStore({ nowMs: () => clock.now, ttlMs: 60_000, deadLetterTtlMs: 600_000 });
      try {
        await body(store, clock);
      } finally {
        await store.close();
      }
    };
    let n = 0;
    /** A message as the relay accepts it. @param {string} lane @param {string} [scope] */
    const message = (lane, scope = 'sA') => {
      n += 1;
      return {
        id: `${scope}.k${n}`, lane, fingerprint: `fp${n}`, method: 'POST', url: '/api/chat',
        headers: [['content-type', 'application/json'], ['authorization', `Bearer t${n}`]],
        bodyBase64: Buffer.from(`{"n":${n}}`).toString('base64'), acceptedAtMs: 1_000_000 + n,
      };
    };

    test('accept stores a message once; a repeat finds the first, with its fingerprint; get reads it back whole', async () => {
      await withStore(async (store) => {
        const m = message('a');
        assert.deepEqual(await store.accept(m), { created: true });
        const again = await store.accept({ ...m, fingerprint: 'other' });
        assert.equal(again.created, false);
        assert.equal(again.existing.fingerprint, m.fingerprint);
        const got = await store.get(m.id);
        assert.equal(got.status, 'queued');
        assert.deepEqual([got.lane, got.method, got.url, got.headers, got.bodyBase64, got.attempts], [m.lane, m.method, m.url, m.headers, m.bodyBase64, 0]);
        assert.equal(await store.get('sA.nothing'), null);
      });
    });

    test('each lane is FIFO; lanes are apart; a lane is due when its head may be tried', async () => {
      await withStore(async (store, clock) => {
        const [a1, b1, a2] = [message('a'), message('b'), message('a')];
        for (const m of [a1, b1, a2]) await store.accept(m);
        assert.equal((await store.head('a')).id, a1.id);
        assert.equal((await store.head('b')).id, b1.id);
        assert.equal(await store.head('c'), null);
        assert.deepEqual((await store.dueLanes(clock.now)).sort(), ['a', 'b']);
        assert.ok(await store.acquireLane('a', 'r1', 5_000));
        assert.ok(await store.recordAttempt(a1, 'r1', { attempts: 1, nextAttemptAtMs: clock.now + 1_000, lastError: '503' }));
        assert.deepEqual(await store.dueLanes(clock.now), ['b'], 'a waits for its head\'s next try');
        const head = await store.head('a');
        assert.deepEqual([head.id, head.attempts, head.lastError], [a1.id, 1, '503']);
        assert.deepEqual((await store.dueLanes(clock.now + 1_000)).sort(), ['a', 'b']);
      });
    });

    test('finish settles only the lane\'s head; a delivered message leaves the lane and keeps its answer, without the headers it was given', async () => {
      await withStore(async (store) => {
        const [a1, a2] = [message('a'), message('a')];
        await store.accept(a1);
        await store.accept(a2);
        assert.ok(await store.acquireLane('a', 'r1', 5_000));
        assert.equal(await store.finish(a2, 'r1', { status: 'delivered' }), false, 'not the head');
        const response = { status: 201, headers: [['content-type', 'application/json']], bodyBase64: 'e30=' };
        assert.ok(await store.finish(a1, 'r1', { status: 'delivered', response, headers: [['content-type', 'application/json']] }));
        assert.equal((await store.head('a')).id, a2.id);
        const settled = await store.get(a1.id);
        assert.equal(settled.status, 'delivered');
        assert.deepEqual(settled.response, response);
        assert.deepEqual(settled.headers, [['content-type', 'application/json']], 'credentials gone with the replaced headers');
        assert.equal((await store.accept(a1)).existing.status, 'delivered', 'a repeat finds the delivered message');
        assert.deepEqual(await store.counts(), { queued: 1, failed: 0 });
      });
    });

    if (sharedLeases) {
      test('a lane\'s lease is held by one relay at a time; another may take it once released or lapsed; a relay without it can neither record nor finish', async () => {
        await withStore(async (store, clock) => {
          const m = message('a');
          await store.accept(m);
          assert.ok(await store.acquireLane('a', 'r1', 5_000));
          assert.equal(await store.acquireLane('a', 'r2', 5_000), false);
          assert.ok(await store.renewLane('a', 'r1', 5_000));
          assert.equal(await store.finish(m, 'r2', { status: 'delivered' }), false);
          assert.equal(await store.recordAttempt(m, 'r2', { attempts: 1, nextAttemptAtMs: 0 }), false);
          await store.releaseLane('a', 'r1');
          assert.ok(await store.acquireLane('a', 'r2', 5_000));
          assert.ok(await store.finish(m, 'r2', { status: 'delivered' }));
          assert.equal(await store.acquireLane('b', 'r1', 1), true);
          await new Promise((r) => setTimeout(r, 20));
          clock.now += 20;
          assert.ok(await store.acquireLane('b', 'r2', 5_000), 'a lapsed lease is taken');
        });
      });

      test('a lease is renewed only while its owner holds it: not by another relay, and not once it lapsed, even untaken', async () => {
        await withStore(async (store, clock) => {
          assert.ok(await store.acquireLane('a', 'r1', 5_000));
          assert.equal(await store.renewLane('a', 'r2', 5_000), false, 'another relay cannot renew it');
          assert.ok(await store.renewLane('a', 'r1', 5_000));
          assert.ok(await store.acquireLane('b', 'r1', 1));
          await new Promise((r) => setTimeout(r, 20));
          clock.now += 20;
          assert.equal(await store.renewLane('b', 'r1', 5_000), false, 'a lapsed lease is not revived');
          assert.ok(await store.acquireLane('b', 'r2', 5_000), 'and stays free for any relay to take');
        });
      });
    }

    test('dead letters: listed and counted, retried at the end of their lane, removed for good', async () => {
      await withStore(async (store) => {
        const [a1, a2] = [message('a'), message('a')];
        await store.accept(a1);
        await store.accept(a2);
        assert.ok(await store.acquireLane('a', 'r1', 5_000));
        assert.ok(await store.finish(a1, 'r1', { status: 'failed', lastError: 'http 403', headers: [['content-type', 'application/json']] }));
        assert.deepEqual((await store.list('failed')).map((/** @type {any} */ m) => [m.id, m.lastError]), [[a1.id, 'http 403']]);
        assert.deepEqual((await store.list('queued')).map((/** @type {any} */ m) => m.id), [a2.id]);
        assert.deepEqual(await store.counts(), { queued: 1, failed: 1 });
        assert.equal(await store.retry(a2.id), false, 'only a dead letter can be retried');
        assert.ok(await store.retry(a1.id));
        assert.deepEqual([(await store.head('a')).id], [a2.id], 'retried at the end of its lane');
        assert.ok(await store.finish(a2, 'r1', { status: 'delivered' }));
        assert.equal((await store.head('a')).id, a1.id);
        assert.equal((await store.get(a1.id)).attempts, 0);
        assert.ok(await store.remove(a1.id));
        assert.equal(await store.remove(a1.id), false);
        assert.equal(await store.get(a1.id), null);
        assert.deepEqual(await store.counts(), { queued: 0, failed: 0 });
      });
    });

    test('usage counts a client\'s queued messages, a lane\'s, and the lanes with any', async () => {
      await withStore(async (store) => {
        for (const m of [message('a', 'sA'), message('a', 'sA'), message('b', 'sB'), message('c', 'sA')]) await store.accept(m);
        assert.deepEqual(await store.usage({ scope: 'sA', lane: 'a' }), { client: 3, lane: 2, lanes: 3 });
        assert.deepEqual(await store.usage({ scope: 'sB', lane: 'z' }), { client: 1, lane: 0, lanes: 3 });
        const head = await store.head('b');
        assert.ok(await store.acquireLane('b', 'r1', 5_000));
        assert.ok(await store.finish(head, 'r1', { status: 'delivered' }));
        assert.deepEqual(await store.usage({ scope: 'sB', lane: 'b' }), { client: 0, lane: 0, lanes: 2 });
      });
    });

    test('a dead letter is deleted once older than deadLetterTtlMs; a younger one stays', async () => {
      await withStore(async (store, clock) => {
        const [old, young] = [message('a'), message('b')];
        await store.accept(old);
        await store.accept(young);
        for (const m of [old, young]) {
          assert.ok(await store.acquireLane(m.lane, 'r1', 600_000));
          if (m === young) clock.now += 300_000;
          assert.ok(await store.finish(m, 'r1', { status: 'failed', lastError: 'http 403' }));
        }
        clock.now += 400_000; // old: 700 s old; young: 400 s; the retention is 600 s
        await store.dueLanes(clock.now);
        assert.equal(await store.get(old.id), null, 'the old dead letter is gone');
        assert.equal((await store.get(young.id))?.status, 'failed', 'the young one stays');
        assert.deepEqual((await store.list('failed')).map((/** @type {any} */ m) => m.id), [young.id]);
      });
    });
  });
}
