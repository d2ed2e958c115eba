// The relay's queue in Redis, shared by several relay processes.
//
// Chosen primitives: one list per lane plus one lease key per lane, not a
// stream with a consumer group. A consumer group hands successive entries to
// different consumers, so two messages of one lane would be in flight at
// once and could arrive out of order; XAUTOCLAIM recovers a dead consumer's
// entries but does not keep one in flight per lane. Here a message stays at
// the head of its lane's list while it is forwarded (nothing is moved before
// the upstream said 2xx, so a relay killed mid-forward loses nothing), and
// only the holder of `lease:<lane>` (SET NX PX, renewed while forwarding, as
// BullMQ's job locks are) may forward or pop that head. A relay that dies
// stops renewing; its lease expires and another relay takes the lane over.
//
// Keys (under `prefix`): msg:<id> hash, lane:<lane> list of queued ids,
// lanes set of lanes with queued ids, failed zset (dead letters by time),
// lease:<lane> the lane's holder. Each transition is one Lua script, so a
// crash between two writes cannot leave a message half moved.
//
// Durability: a 202 means Redis has the write. It is on disk as soon as Redis
// says so only with AOF and `appendfsync always` (with `everysec`, a power cut
// loses up to a second; a relay crash loses nothing either way).
import { connectRedis } from '../redis.js';

// Queued messages per client scope (the id's part before its first '.'),
// kept in step by every script that moves a message in or out of 'queued',
// so a limit check is one HGET, not a walk of the queue.
const SCOPE_OF = `local function scope_of(id) return string.match(id, '^([^.]*)%.') end
`;

// KEYS: msg, lane, lanes, clients; ARGV: data, lane, id, now
const ACCEPT = SCOPE_OF + `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local scope = scope_of(ARGV[3])
if scope then redis.call('HINCRBY', KEYS[4], scope, 1) end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'lane', ARGV[2], 'status', 'queued', 'attempts', 0, 'nextAttemptAtMs', 0, 'updatedAtMs', ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[2])
return 1`;

const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

// KEYS: msg, lease; ARGV: owner, attempts, nextAttemptAtMs, lastError, now
const ATTEMPT = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'attempts', ARGV[2], 'nextAttemptAtMs', ARGV[3], 'lastError', ARGV[4], 'updatedAtMs', ARGV[5])
return 1`;

// KEYS: msg, lane, lanes, lease, failed, clients; ARGV: id, owner, status, response, lastError, now, ttlMs, laneName, data ('' keeps it)
const FINISH = SCOPE_OF + `
if redis.call('GET', KEYS[4]) ~= ARGV[2] then return 0 end
if redis.call('LINDEX', KEYS[2], 0) ~= ARGV[1] then return 0 end
redis.call('LPOP', KEYS[2])
local scope = scope_of(ARGV[1])
if scope then redis.call('HINCRBY', KEYS[6], scope, -1) end
if redis.call('LLEN', KEYS[2]) == 0 then redis.call('SREM', KEYS[3], ARGV[8]) end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'response', ARGV[4], 'updatedAtMs', ARGV[6])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'lastError', ARGV[5]) end
if ARGV[9] ~= '' then redis.call('HSET', KEYS[1], 'data', ARGV[9]) end
if ARGV[3] == 'failed' then redis.call('ZADD', KEYS[5], ARGV[6], ARGV[1])
else redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
return 1`;

// KEYS: msg, failed, lanes, clients; ARGV: id, now, prefix
const RETRY = SCOPE_OF + `
if redis.call('HGET', KEYS[1], 'status') ~= 'failed' then return 0 end
local scope = scope_of(ARGV[1])
if scope then redis.call('HINCRBY', KEYS[4], scope, 1) end
local lane = redis.call('HGET', KEYS[1], 'lane')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'status', 'queued', 'attempts', 0, 'nextAttemptAtMs', 0, 'updatedAtMs', ARGV[2])
redis.call('RPUSH', ARGV[3] .. 'lane:' .. lane, ARGV[1])
redis.call('SADD', KEYS[3], lane)
return 1`;

// KEYS: msg, failed, lanes, clients; ARGV: id, prefix
const REMOVE = SCOPE_OF + `
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'failed' then redis.call('ZREM', KEYS[2], ARGV[1])
elseif status == 'queued' then
  local scope = scope_of(ARGV[1])
  if scope then redis.call('HINCRBY', KEYS[4], scope, -1) end
  local lane = redis.call('HGET', KEYS[1], 'lane')
  local list = ARGV[2] .. 'lane:' .. lane
  redis.call('LREM', list, 1, ARGV[1])
  if redis.call('LLEN', list) == 0 then redis.call('SREM', KEYS[3], lane) end
else return 0 end
redis.call('DEL', KEYS[1])
return 1`;

/**
 * @param {{ url?: string, client?: import('ioredis').Redis, prefix?: string, ttlMs?: number, nowMs?: () => number }} options
 */
export function redisQueue({ url, client, prefix = 'outbox-relay:', ttlMs = 24 * 60 * 60 * 1000, nowMs = Date.now }) {
  const { redis, owned } = connectRedis(client ?? url);
  const scripts = { relayAccept: [4, ACCEPT], relayAcquire: [1, ACQUIRE], relayRelease: [1, RELEASE], relayAttempt: [2, ATTEMPT], relayFinish: [6, FINISH], relayRetry: [4, RETRY], relayRemove: [4, REMOVE] };
  for (const [name, [numberOfKeys, lua]] of Object.entries(scripts)) redis.defineCommand(name, { numberOfKeys, lua });
  const k = {
    msg: (id) => `${prefix}msg:${id}`,
    lane: (lane) => `${prefix}lane:${lane}`,
    lease: (lane) => `${prefix}lease:${lane}`,
    lanes: `${prefix}lanes`,
    failed: `${prefix}failed`,
    clients: `${prefix}clients`,
  };

  const toMessage = (id, h) => {
    if (!h || !h.data) return null;
    const data = JSON.parse(h.data);
    return {
      ...data,
      id,
      status: h.status,
      attempts: Number(h.attempts ?? 0),
      nextAttemptAtMs: Number(h.nextAttemptAtMs ?? 0),
      lastError: h.lastError || undefined,
      response: h.response ? JSON.parse(h.response) : undefined,
      updatedAtMs: Number(h.updatedAtMs ?? 0),
    };
  };
  const get = async (id) => toMessage(id, await redis.hgetall(k.msg(id)));

  return {
    kind: 'redis',
    redis,
    async accept(message) {
      const { id, lane, status: _s, ...rest } = message;
      const data = JSON.stringify({ lane, ...rest });
      const created = await redis.relayAccept(k.msg(id), k.lane(lane), k.lanes, k.clients, data, lane, id, nowMs());
      return created === 1 ? { created: true } : { created: false, existing: await get(id) };
    },
    get,
    async head(lane) {
      const id = await redis.lindex(k.lane(lane), 0);
      return id ? get(id) : null;
    },
    async dueLanes(now) {
      const lanes = await redis.smembers(k.lanes);
      const due = [];
      for (const lane of lanes) {
        const head = await this.head(lane);
        if (head && head.nextAttemptAtMs <= now) due.push(lane);
      }
      return due;
    },
    async acquireLane(lane, owner, leaseMs) {
      return (await redis.relayAcquire(k.lease(lane), owner, Math.ceil(leaseMs))) === 1;
    },
    async renewLane(lane, owner, leaseMs) {
      return (await redis.relayAcquire(k.lease(lane), owner, Math.ceil(leaseMs))) === 1;
    },
    async releaseLane(lane, owner) {
      await redis.relayRelease(k.lease(lane), owner);
    },
    async recordAttempt({ id, lane }, owner, { attempts, nextAttemptAtMs, lastError }) {
      return (await redis.relayAttempt(k.msg(id), k.lease(lane), owner, attempts, nextAttemptAtMs, lastError ?? '', nowMs())) === 1;
    },
    async finish(message, owner, { status, response, lastError, headers }) {
      const { id, lane } = message;
      const data = headers ? JSON.stringify({ lane, fingerprint: message.fingerprint, method: message.method, url: message.url, headers, bodyBase64: message.bodyBase64, acceptedAtMs: message.acceptedAtMs }) : '';
      return (await redis.relayFinish(k.msg(id), k.lane(lane), k.lanes, k.lease(lane), k.failed, k.clients,
        id, owner, status, response ? JSON.stringify(response) : '', lastError ?? '', nowMs(), ttlMs, lane, data)) === 1;
    },
    async list(status, limit = 100) {
      let ids;
      if (status === 'failed') ids = await redis.zrange(k.failed, 0, limit - 1);
      else if (status === 'queued') {
        ids = [];
        for (const lane of await redis.smembers(k.lanes)) ids.push(...(await redis.lrange(k.lane(lane), 0, limit - 1)));
      } else throw new RangeError(`relay: list() takes 'queued' or 'failed'; got ${JSON.stringify(status)}`);
      const messages = (await Promise.all(ids.map(get))).filter(Boolean);
      return messages.sort((a, b) => a.acceptedAtMs - b.acceptedAtMs).slice(0, limit);
    },
    async counts() {
      let queued = 0;
      for (const lane of await redis.smembers(k.lanes)) queued += await redis.llen(k.lane(lane));
      return { queued, failed: await redis.zcard(k.failed) };
    },
    async usage({ scope, lane }) {
      const [client, laneLength, lanes] = await Promise.all([redis.hget(k.clients, scope), redis.llen(k.lane(lane)), redis.scard(k.lanes)]);
      return { client: Number(client ?? 0), lane: laneLength, lanes };
    },
    async retry(id) {
      return (await redis.relayRetry(k.msg(id), k.failed, k.lanes, k.clients, id, nowMs(), prefix)) === 1;
    },
    async remove(id) {
      return (await redis.relayRemove(k.msg(id), k.failed, k.lanes, k.clients, id, prefix)) === 1;
    },
    /** AOF state, for the start-up warning: 'yes', 'no', or undefined when CONFIG is not allowed. */
    async appendOnly() {
      try {
        const [, value] = await redis.config('GET', 'appendonly');
        return value;
      } catch {
        return undefined;
      }
    },
    async close() {
      if (owned) await redis.quit().catch(() => redis.disconnect());
    },
  };
}
