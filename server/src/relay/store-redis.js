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
// Keys (under `prefix`), laid out for Redis Cluster and Valkey as well as a
// single Redis: every script touches only keys of one hash slot.
//   {lane:<L>}:list      the lane's queued ids, oldest first      ┐ one slot per lane (the hash tag);
//   {lane:<L>}:lease     the lane's holder                         │ <L> is the lane with % { } escaped,
//   {lane:<L>}:msg:<id>  the message (hash)                        │ so no lane spells another's tag
//   {lane:<L>}:failed    the lane's dead letters (zset by time)    ┘
//   id:<id>              the message's lane: one id is one message whatever lane a retry names
//   {index}:lanes        lanes with queued messages                ┐ one slot for the indexes,
//   {index}:dead         lanes with dead letters                   │ each updated in a step of its own
//   {index}:clients      queued messages per client scope          ┘ (never in a lane's script)
// Each transition of a message is one Lua script in its lane's slot, so a
// crash between two writes cannot leave a message half moved. The indexes
// follow in separate steps, ordered so that a crash between them leaves
// nothing unsendable:
// - a lane is added to `lanes` after its message is pushed and before the
//   202 (a crash in between: no 202, the client's retry adds it again);
//   it is removed only when its list is empty, then the list is looked at
//   again and the lane put back if a message arrived meanwhile; a relay
//   start rebuilds `lanes` and `dead` from the lanes' keys (SCAN).
// - `clients` counts may drift by one message per crash in between: a
//   limit, not a promise.
// A Redis an older relay wrote (keys `lane:…`, `msg:…` without tags) is
// refused at start: drain it with that version first (docs/server.md).
//
// Durability: a 202 means Redis has the write. It is on disk as soon as Redis
// says so only with AOF and `appendfsync always` (with `everysec`, a power cut
// loses up to a second; a relay crash loses nothing either way).
import { connectRedis } from '../redis.js';
import { ACCEPT, ACQUIRE, ATTEMPT, FINISH, RELEASE, REMOVE, RENEW, RETRY } from './store-redis-scripts.js';

/** The lane's hash tag: `{lane:…}` with `%`, `{` and `}` escaped (an empty tag `{}` would not be one). */
export const laneTag = (/** @type {string} */ lane) => `{lane:${lane.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}}`;

/** The client scope of a relay id (`<scope>.<key>`), counted in `{index}:clients`. */
const scopeOf = (/** @type {string} */ id) => /^([^.]*)\./.exec(id)?.[1];

/**
 * @param {{ url?: string, client?: import('ioredis').Redis | import('ioredis').Cluster, prefix?: string, ttlMs?: number, deadLetterTtlMs?: number, nowMs?: () => number }} options
 *   `url`: `redis://host:port/db`, or `redis-cluster://host:port,host:port` for a Redis Cluster (or Valkey cluster);
 *   `ttlMs`: how long a settled message is kept for repeated keys; `deadLetterTtlMs`: how long a dead letter is kept
 * @returns {import('./store-contract.js').RelayQueue & { kind: 'redis', redis: import('ioredis').Redis | import('ioredis').Cluster, prepare(): Promise<void>, appendOnly(): Promise<string | undefined> }}
 */
export function redisQueue({ url, client, prefix = 'outbox-relay:', ttlMs = 24 * 60 * 60 * 1000, deadLetterTtlMs = 7 * 24 * 60 * 60 * 1000, nowMs = Date.now }) {
  const { redis, owned } = connectRedis(client ?? /** @type {string} */ (url));
  /** @type {Record<string, [number, string]>} */
  const scripts = { relayAccept: [2, ACCEPT], relayAcquire: [1, ACQUIRE], relayRenew: [1, RENEW], relayRelease: [1, RELEASE], relayAttempt: [2, ATTEMPT], relayFinish: [4, FINISH], relayRetry: [3, RETRY], relayRemove: [3, REMOVE] };
  for (const [name, [numberOfKeys, lua]] of Object.entries(scripts)) redis.defineCommand(name, { numberOfKeys, lua });
  // The scripts defined above, as ioredis adds them: untyped by nature.
  const r = /** @type {any} */ (redis);
  const k = {
    msg: (/** @type {string} */ lane, /** @type {string} */ id) => `${prefix}${laneTag(lane)}:msg:${id}`,
    list: (/** @type {string} */ lane) => `${prefix}${laneTag(lane)}:list`,
    lease: (/** @type {string} */ lane) => `${prefix}${laneTag(lane)}:lease`,
    failed: (/** @type {string} */ lane) => `${prefix}${laneTag(lane)}:failed`,
    id: (/** @type {string} */ id) => `${prefix}id:${id}`,
    lanes: `${prefix}{index}:lanes`,
    dead: `${prefix}{index}:dead`,
    clients: `${prefix}{index}:clients`,
  };

  /**
   * @param {string} id
   * @param {Record<string, string>} h
   * @returns {import('./store-contract.js').StoredMessage | null}
   */
  const toMessage = (id, h) => {
    if (!h || !h.data) return null;
    const data = JSON.parse(h.data);
    return {
      ...data,
      id,
      status: /** @type {import('./store-contract.js').MessageStatus} */ (h.status),
      attempts: Number(h.attempts ?? 0),
      nextAttemptAtMs: Number(h.nextAttemptAtMs ?? 0),
      lastError: h.lastError || undefined,
      response: h.response ? JSON.parse(h.response) : undefined,
      updatedAtMs: Number(h.updatedAtMs ?? 0),
    };
  };
  const getIn = async (/** @type {string} */ lane, /** @type {string} */ id) => toMessage(id, await redis.hgetall(k.msg(lane, id)));
  const get = async (/** @type {string} */ id) => {
    const lane = await redis.get(k.id(id));
    return lane === null ? null : getIn(lane, id);
  };
  const countClient = (/** @type {string} */ id, /** @type {number} */ by) => {
    const scope = scopeOf(id);
    return scope === undefined ? Promise.resolve() : redis.hincrby(k.clients, scope, by);
  };
  /**
   * Takes `lane` out of an index once its key is empty, then looks again: a
   * message (or dead letter) that arrived in between puts it back.
   * @param {string} index @param {string} lane @param {() => Promise<number>} size
   */
  const unindexIfEmpty = async (index, lane, size) => {
    if ((await size()) > 0) return;
    await redis.srem(index, lane);
    if ((await size()) > 0) await redis.sadd(index, lane);
  };

  let lastPurgeMs = 0;
  /** At most once a minute: dead letters past `deadLetterTtlMs` (settled ones expire by themselves). */
  const maybePurge = async () => {
    const now = nowMs();
    if (now - lastPurgeMs <= 60_000) return;
    lastPurgeMs = now;
    for (const lane of await redis.smembers(k.dead)) {
      for (const id of await redis.zrangebyscore(k.failed(lane), '-inf', now - deadLetterTtlMs)) {
        if (await r.relayRemove(k.msg(lane, id), k.failed(lane), k.list(lane), id)) await redis.del(k.id(id));
      }
      await unindexIfEmpty(k.dead, lane, () => redis.zcard(k.failed(lane)));
    }
  };

  return {
    kind: 'redis',
    redis,
    async accept(message) {
      const { id, lane, status: _s, ...rest } = message;
      // One id is one message: a retry naming another lane finds the first.
      const claimed = await redis.set(k.id(id), lane, 'NX');
      const home = claimed === 'OK' ? lane : ((await redis.get(k.id(id))) ?? lane);
      const data = JSON.stringify({ lane: home, ...rest });
      const created = await r.relayAccept(k.msg(home, id), k.list(home), data, home, id, nowMs());
      // Indexed before the 202 (and again on a retry of the same key, which repairs a crash in between).
      await redis.sadd(k.lanes, home);
      if (created === 1) {
        await countClient(id, 1);
        return { created: true };
      }
      return { created: false, existing: await getIn(home, id) };
    },
    get,
    async head(lane) {
      const id = await redis.lindex(k.list(lane), 0);
      return id ? getIn(lane, id) : null;
    },
    async dueLanes(now) {
      await maybePurge();
      const due = [];
      for (const lane of await redis.smembers(k.lanes)) {
        const head = await this.head(lane);
        if (!head) await unindexIfEmpty(k.lanes, lane, () => redis.llen(k.list(lane)));
        else if (head.nextAttemptAtMs <= now) due.push(lane);
      }
      return due;
    },
    async acquireLane(lane, owner, leaseMs) {
      return (await r.relayAcquire(k.lease(lane), owner, Math.ceil(leaseMs))) === 1;
    },
    async renewLane(lane, owner, leaseMs) {
      return (await r.relayRenew(k.lease(lane), owner, Math.ceil(leaseMs))) === 1;
    },
    async releaseLane(lane, owner) {
      await r.relayRelease(k.lease(lane), owner);
    },
    async recordAttempt({ id, lane }, owner, { attempts, nextAttemptAtMs, lastError }) {
      return (await r.relayAttempt(k.msg(lane, id), k.lease(lane), owner, attempts, nextAttemptAtMs, lastError ?? '', nowMs())) === 1;
    },
    async finish(message, owner, { status, response, lastError, headers }) {
      const { id, lane } = message;
      const data = headers ? JSON.stringify({ lane, fingerprint: message.fingerprint, method: message.method, url: message.url, headers, bodyBase64: message.bodyBase64, acceptedAtMs: message.acceptedAtMs }) : '';
      const left = await r.relayFinish(k.msg(lane, id), k.list(lane), k.lease(lane), k.failed(lane),
        id, owner, status, response ? JSON.stringify(response) : '', lastError ?? '', nowMs(), ttlMs, data);
      if (left < 0) return false;
      await countClient(id, -1);
      if (status === 'failed') await redis.sadd(k.dead, lane);
      else await redis.pexpire(k.id(id), ttlMs);
      if (left === 0) await unindexIfEmpty(k.lanes, lane, () => redis.llen(k.list(lane)));
      return true;
    },
    async list(status, limit = 100) {
      /** @type {any[]} */
      const messages = [];
      if (status === 'failed') {
        for (const lane of await redis.smembers(k.dead)) {
          for (const id of await redis.zrange(k.failed(lane), 0, limit - 1)) messages.push(await getIn(lane, id));
        }
      } else if (status === 'queued') {
        for (const lane of await redis.smembers(k.lanes)) {
          for (const id of await redis.lrange(k.list(lane), 0, limit - 1)) messages.push(await getIn(lane, id));
        }
      } else throw new RangeError(`relay: list() takes 'queued' or 'failed'; got ${JSON.stringify(status)}`);
      return messages.filter(Boolean).sort((a, b) => a.acceptedAtMs - b.acceptedAtMs).slice(0, limit);
    },
    async counts() {
      let queued = 0;
      let failed = 0;
      for (const lane of await redis.smembers(k.lanes)) queued += await redis.llen(k.list(lane));
      for (const lane of await redis.smembers(k.dead)) failed += await redis.zcard(k.failed(lane));
      return { queued, failed };
    },
    async usage({ scope, lane }) {
      const [client, laneLength, lanes] = await Promise.all([redis.hget(k.clients, scope), redis.llen(k.list(lane)), redis.scard(k.lanes)]);
      return { client: Number(client ?? 0), lane: laneLength, lanes };
    },
    async retry(id) {
      const lane = await redis.get(k.id(id));
      if (lane === null) return false;
      if ((await r.relayRetry(k.msg(lane, id), k.failed(lane), k.list(lane), id, nowMs())) !== 1) return false;
      await redis.sadd(k.lanes, lane);
      await countClient(id, 1);
      await unindexIfEmpty(k.dead, lane, () => redis.zcard(k.failed(lane)));
      return true;
    },
    async remove(id) {
      const lane = await redis.get(k.id(id));
      if (lane === null) return false;
      const was = await r.relayRemove(k.msg(lane, id), k.failed(lane), k.list(lane), id);
      if (!was) return false;
      await redis.del(k.id(id));
      if (was === 'queued') {
        await countClient(id, -1);
        await unindexIfEmpty(k.lanes, lane, () => redis.llen(k.list(lane)));
      } else {
        await unindexIfEmpty(k.dead, lane, () => redis.zcard(k.failed(lane)));
      }
      return true;
    },
    /**
     * At start: refuses a Redis an older relay wrote, and rebuilds the lane
     * indexes from the lanes' own keys (a crash between a lane's script and
     * its index step is repaired here).
     */
    async prepare() {
      const masters = 'nodes' in redis && typeof redis.nodes === 'function' ? /** @type {import('ioredis').Cluster} */ (redis).nodes('master') : [/** @type {import('ioredis').Redis} */ (redis)];
      /** @param {string} match */
      const scan = async (match) => {
        /** @type {string[]} */
        const keys = [];
        for (const node of masters) {
          let cursor = '0';
          do {
            const [next, batch] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
            cursor = next;
            keys.push(...batch);
          } while (cursor !== '0');
        }
        return keys;
      };
      const escapeGlob = (/** @type {string} */ text) => text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
      const old = [...(await scan(`${escapeGlob(prefix)}lane:*`)), ...(await scan(`${escapeGlob(prefix)}msg:*`))];
      if (old.length > 0) {
        throw new Error(`relay: this Redis holds a queue in an older relay's layout (${old.length} keys like ${old[0]}): drain it with that relay version first, or use another --redis-prefix`);
      }
      const laneOf = (/** @type {string} */ key) => {
        const tag = /\{lane:(.*)\}:[a-z]+$/.exec(key.slice(prefix.length))?.[1];
        return tag === undefined ? undefined : tag.replace(/%([0-9a-f]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
      };
      for (const key of await scan(`${escapeGlob(prefix)}{lane:*}:list`)) {
        const lane = laneOf(key);
        if (lane !== undefined) await redis.sadd(k.lanes, lane);
      }
      for (const key of await scan(`${escapeGlob(prefix)}{lane:*}:failed`)) {
        const lane = laneOf(key);
        if (lane !== undefined) await redis.sadd(k.dead, lane);
      }
    },
    /** AOF state, for the start-up warning: 'yes', 'no', or undefined when CONFIG is not allowed. */
    async appendOnly() {
      try {
        const [, value] = /** @type {[string, string]} */ (await redis.config('GET', 'appendonly'));
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
