// The relay queue's Lua scripts (store-redis.js): each is one transition of a
// message or a lease, atomic in Redis, touching the keys of one lane's hash
// slot only (KEYS name them, so Redis Cluster routes the script there).

// KEYS: msg, list; ARGV: data, lane, id, now
export const ACCEPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[1], 'lane', ARGV[2], 'status', 'queued', 'attempts', 0, 'nextAttemptAtMs', 0, 'updatedAtMs', ARGV[4])
redis.call('RPUSH', KEYS[2], ARGV[3])
return 1`;

export const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

// Extends only a lease this owner still holds: a lapsed one is not revived, as another relay may have
// taken the lane and sent its head meanwhile (fail closed, as BullMQ's extendLock).
export const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

// KEYS: msg, lease; ARGV: owner, attempts, nextAttemptAtMs, lastError, now
export const ATTEMPT = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'status') ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'attempts', ARGV[2], 'nextAttemptAtMs', ARGV[3], 'lastError', ARGV[4], 'updatedAtMs', ARGV[5])
return 1`;

// KEYS: msg, list, lease, failed; ARGV: id, owner, status, response, lastError, now, ttlMs, data ('' keeps it)
// Returns -1 (not the head, or the lease was lost), else how many stay queued in the lane.
export const FINISH = `
if redis.call('GET', KEYS[3]) ~= ARGV[2] then return -1 end
if redis.call('LINDEX', KEYS[2], 0) ~= ARGV[1] then return -1 end
redis.call('LPOP', KEYS[2])
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'response', ARGV[4], 'updatedAtMs', ARGV[6])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'lastError', ARGV[5]) end
if ARGV[8] ~= '' then redis.call('HSET', KEYS[1], 'data', ARGV[8]) end
if ARGV[3] == 'failed' then redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
else redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
return redis.call('LLEN', KEYS[2])`;

// KEYS: msg, failed, list; ARGV: id, now. Returns 1 when it was a dead letter, now queued.
export const RETRY = `
if redis.call('HGET', KEYS[1], 'status') ~= 'failed' then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[1], 'status', 'queued', 'attempts', 0, 'nextAttemptAtMs', 0, 'updatedAtMs', ARGV[2])
redis.call('RPUSH', KEYS[3], ARGV[1])
return 1`;

// KEYS: msg, failed, list; ARGV: id. Returns 'queued' or 'failed' (what it was), or false.
export const REMOVE = `
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'failed' then redis.call('ZREM', KEYS[2], ARGV[1])
elseif status == 'queued' then redis.call('LREM', KEYS[3], 1, ARGV[1])
else return false end
redis.call('DEL', KEYS[1])
return status`;
