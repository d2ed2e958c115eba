// Idempotency store in Redis, for several server processes behind a load
// balancer. Each record is one hash whose Redis expiry *is* the lease (for a
// claim) or the TTL (for a stored response): a process that dies mid-handler
// leaves a claim that Redis itself deletes when its lease lapses. Every
// transition is one Lua script, so two processes racing one key cannot both
// claim it (Redis runs scripts one at a time: https://redis.io/docs/latest/develop/interact/programmability/eval-intro/).
import { connectRedis } from '../redis.js';

const CLAIM = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'fingerprint', ARGV[1], 'owner', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'claimed'}
end
local r = redis.call('HMGET', KEYS[1], 'fingerprint', 'response')
if r[2] then return {'done', r[1], r[2]} end
return {'running', r[1]}`;

// Owner-checked: a process whose lease lapsed and was taken changes nothing.
// A lapsed claim that Redis deleted and nobody took is still ours
// (contract.js): renew claims it again, complete stores the answer.
const RENEW = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'fingerprint', ARGV[3], 'owner', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
local r = redis.call('HMGET', KEYS[1], 'owner', 'response')
if r[1] ~= ARGV[1] or r[2] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

const COMPLETE = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  local r = redis.call('HMGET', KEYS[1], 'owner', 'response')
  if r[1] ~= ARGV[1] or r[2] then return 0 end
  redis.call('HDEL', KEYS[1], 'owner')
else
  redis.call('HSET', KEYS[1], 'fingerprint', ARGV[4])
end
redis.call('HSET', KEYS[1], 'response', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

const RELEASE = `
local r = redis.call('HMGET', KEYS[1], 'owner', 'response')
if r[1] == ARGV[1] and not r[2] then redis.call('DEL', KEYS[1]) end
return 1`;

// One read, no write: the stored status without sending the body back (cjson
// is in every Redis and Valkey Lua: https://redis.io/docs/latest/develop/interact/programmability/lua-api/).
const PEEK = `
local r = redis.call('HMGET', KEYS[1], 'fingerprint', 'response')
if r[2] then return {'done', cjson.decode(r[2]).status} end
if r[1] then return {'running'} end
return {'none'}`;

/**
 * @param {{ url?: string, client?: import('ioredis').Redis, prefix?: string }} options
 *   `url` like `redis://127.0.0.1:6379/0`, or a `client` to share; keys are `prefix` + key (default `idem:`)
 * @returns {import('./contract.js').IdempotencyStore}
 * @example idempotency({ store: redisStore({ url: process.env.REDIS_URL }) })
 */
export function redisStore({ url, client, prefix = 'idem:' } = {}) {
  const source = client ?? url;
  if (!source) throw new TypeError('redisStore needs a url (redis://host:port/db) or a client');
  const { redis, owned } = connectRedis(source);
  redis.defineCommand('idemClaim', { numberOfKeys: 1, lua: CLAIM });
  redis.defineCommand('idemRenew', { numberOfKeys: 1, lua: RENEW });
  redis.defineCommand('idemComplete', { numberOfKeys: 1, lua: COMPLETE });
  redis.defineCommand('idemRelease', { numberOfKeys: 1, lua: RELEASE });
  redis.defineCommand('idemPeek', { numberOfKeys: 1, lua: PEEK });
  /** @param {string} key */
  const k = (key) => prefix + key;
  // The commands defineCommand added, which ioredis's types cannot know.
  const scripts = /** @type {import('ioredis').Redis & Record<'idemClaim' | 'idemRenew' | 'idemComplete' | 'idemRelease' | 'idemPeek', (...args: (string | number)[]) => Promise<any>>} */ (redis);
  return {
    async claim(key, fingerprint, { leaseMs, owner }) {
      const [outcome, storedFingerprint, response] = await scripts.idemClaim(k(key), fingerprint, owner, Math.ceil(leaseMs));
      if (outcome === 'claimed') return { outcome };
      if (outcome === 'done') return { outcome, fingerprint: storedFingerprint, response: JSON.parse(response) };
      return { outcome: 'running', fingerprint: storedFingerprint };
    },
    async renew(key, owner, leaseMs, fingerprint) {
      return (await scripts.idemRenew(k(key), owner, Math.ceil(leaseMs), fingerprint)) === 1;
    },
    async complete(key, owner, response, ttlMs, fingerprint) {
      return (await scripts.idemComplete(k(key), owner, JSON.stringify(response), Math.ceil(ttlMs), fingerprint)) === 1;
    },
    async release(key, owner) {
      await scripts.idemRelease(k(key), owner);
    },
    async peek(key) {
      const [outcome, status] = await scripts.idemPeek(k(key));
      if (outcome === 'done') return { outcome, status: Number(status) };
      return outcome === 'running' ? { outcome } : { outcome: 'none' };
    },
    async clear() {
      // SCAN, not KEYS: a shared Redis may be large.
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    },
    async close() {
      if (owned) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
