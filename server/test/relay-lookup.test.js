// The relay's lookup (--lookup-path): "did this key arrive?", asked with the
// key and the POST's credentials, on a real SQLite file, a real redis-server
// and a three-master Redis Cluster, in front of the test upstream. Held while the upstream is down, completed with the upstream's
// status once it stored it, failed for a dead letter, unknown for a key never
// sent, and unknown for another client's key (keys are scoped by credentials).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRelay, RelayOptionError } from '../src/relay/index.js';
import { quiet } from './support/log.js';
import { fileResources } from './support/redis-server.js';
import { redisClusterResource } from './support/redis-cluster.js';
import { startUpstream } from './support/upstream.js';
import { postJson, request, waitFor } from './support/http.js';

const LOOKUP = '/outbox-lookup';
const { redis } = fileResources('outbox-relay-lookup-redis-');
const cluster = redisClusterResource();
let seq = 0;

/** @param {string} kind */
async function setup(kind) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-relay-lookup-'));
  const upstream = await startUpstream();
  const store = kind === 'sqlite' ? `sqlite:${path.join(dir, 'relay.db')}` : kind === 'cluster' ? cluster.url : redis.url;
  const relay = await startRelay({ upstream: upstream.url, listen: '127.0.0.1:0', store, redisPrefix: `lk${++seq}:`, retryBaseMs: 50, retryMaxMs: 200, pollMs: 25, passThroughWaitMs: 50, lookupPath: LOOKUP, log: quiet() });
  const ask = async (/** @type {string | undefined} */ key, /** @type {Record<string, string>} */ headers = {}, method = 'GET') =>
    request(`${relay.url}${LOOKUP}`, { method, headers: { ...(key ? { 'idempotency-key': key } : {}), ...headers } });
  return {
    upstream, relay, ask,
    send: (/** @type {string} */ text, /** @type {string} */ key, /** @type {Record<string, string>} */ headers = {}) => postJson(`${relay.url}/api/chat`, { text }, { 'idempotency-key': key, ...headers }),
    async close() {
      await relay.close();
      await upstream.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

for (const kind of ['sqlite', 'redis', 'cluster']) {
  describe(`relay lookup on ${kind}`, () => {
    test('held while the upstream is down, completed with the upstream\'s status once it stored it; unknown for a key never sent and for another client\'s key', async () => {
      const t = await setup(kind);
      try {
        t.upstream.state.mode = 'drop';
        const alice = { authorization: 'Bearer alice' };
        const sent = await t.send('held for a while', 'lk-1', alice);
        assert.equal(sent.status, 202);
        assert.deepEqual((await t.ask('lk-1', alice)).json, { state: 'held' });
        assert.deepEqual((await t.ask('lk-1', { authorization: 'Bearer mallory' })).json, { state: 'unknown' }, 'another client\'s key is unknown to it');
        assert.deepEqual((await t.ask('lk-1')).json, { state: 'unknown' }, 'and to a client without credentials');
        assert.deepEqual((await t.ask('never-sent', alice)).json, { state: 'unknown' });

        t.upstream.state.mode = 'up';
        await waitFor(async () => (await t.ask('lk-1', alice)).json?.state === 'completed', { message: 'completed once the upstream stored it' });
        const answer = await t.ask('lk-1', alice);
        assert.deepEqual(answer.json, { state: 'completed', status: 201 });
        assert.equal(answer.headers['cache-control'], 'no-store');
        assert.equal(t.upstream.state.stored.length, 1);
      } finally {
        await t.close();
      }
    });

    test('a dead letter (refused by the upstream after the relay held it) is failed with the upstream\'s status and why, to its own client only; nothing stored', async () => {
      const t = await setup(kind);
      try {
        const alice = { authorization: 'Bearer alice' };
        t.upstream.state.mode = '503';
        assert.equal((await t.send('reject me', 'lk-dl', alice)).status, 202);
        assert.deepEqual((await t.ask('lk-dl', alice)).json, { state: 'held' });
        t.upstream.state.mode = 'up';
        await waitFor(async () => (await t.ask('lk-dl', alice)).json?.state === 'failed', { message: 'a dead letter' });
        const answer = /** @type {{ state: string, status?: number, reason?: string }} */ ((await t.ask('lk-dl', alice)).json);
        assert.equal(answer.status, 422);
        assert.equal(typeof answer.reason, 'string', `the relay's last error says why: ${JSON.stringify(answer)}`);
        assert.match(answer.reason ?? '', /422/, 'the reason names the refusal');
        assert.deepEqual(Object.keys(answer).sort(), ['reason', 'state', 'status'], 'only the state, the status and why: never the body or headers');
        assert.deepEqual((await t.ask('lk-dl', { authorization: 'Bearer mallory' })).json, { state: 'unknown' }, 'another client\'s dead letter is unknown to it');
        assert.equal(t.upstream.state.stored.length, 0, 'the upstream stored nothing');
      } finally {
        await t.close();
      }
    });

    test('a refusal passed through is completed with its status; a key that is not one is 400; only GET', async () => {
      const t = await setup(kind);
      try {
        const refused = await t.send('reject me', 'lk-2');
        assert.equal(refused.status, 422);
        assert.deepEqual((await t.ask('lk-2')).json, { state: 'completed', status: 422 });
        assert.equal((await t.ask(undefined)).status, 400);
        assert.equal((await t.ask('x'.repeat(300))).status, 400);
        const post = await t.ask('lk-2', {}, 'POST');
        assert.equal(post.status, 405);
        assert.equal(post.headers.allow, 'GET');
      } finally {
        await t.close();
      }
    });
  });
}

test('--lookup-path must be a path of its own: not under a relayed path, /outbox/ or the health path', async () => {
  for (const lookupPath of ['/api/chat/lookup', '/outbox/lookup', '/api/health', 'lookup']) {
    await assert.rejects(startRelay({ upstream: 'http://127.0.0.1:9', listen: '127.0.0.1:0', store: 'sqlite::memory:', lookupPath, log: quiet() }), RelayOptionError, lookupPath);
  }
});
