// The relay's queue in this process's memory: nothing survives a restart, so
// a 202 from a relay on it promises nothing past the process. For tests, a
// demo, and as the smallest implementation of the store contract
// (store-contract.js), which the conformance suite (conformance.js) checks.

/**
 * @param {{ ttlMs?: number, deadLetterTtlMs?: number, nowMs?: () => number }} [options]
 *   `ttlMs`: how long a settled message is kept for repeated keys; `deadLetterTtlMs`: how long a dead letter is kept
 * @returns {import('./store-contract.js').RelayQueue & { kind: 'memory' }}
 */
export function memoryQueue({ ttlMs = 24 * 60 * 60 * 1000, deadLetterTtlMs = 7 * 24 * 60 * 60 * 1000, nowMs = Date.now } = {}) {
  /** Every message by id, in acceptance order (a retried dead letter moves to the end). @type {Map<string, any>} */
  const messages = new Map();
  /** @type {Map<string, { owner: string, untilMs: number }>} */
  const leases = new Map();
  const copy = (/** @type {any} */ message) => (message ? structuredClone(message) : null);
  const queuedIn = (/** @type {string} */ lane) => [...messages.values()].filter((m) => m.status === 'queued' && m.lane === lane);
  const holds = (/** @type {string} */ lane, /** @type {string} */ owner) => {
    const lease = leases.get(lane);
    return lease !== undefined && lease.owner === owner && lease.untilMs > nowMs();
  };
  const purge = () => {
    const now = nowMs();
    for (const [id, m] of messages) {
      if ((m.status === 'delivered' || m.status === 'refused') && m.updatedAtMs <= now - ttlMs) messages.delete(id);
      else if (m.status === 'failed' && m.updatedAtMs <= now - deadLetterTtlMs) messages.delete(id);
    }
  };

  return {
    kind: 'memory',
    /** @param {any} message */
    async accept(message) {
      purge();
      const existing = messages.get(message.id);
      if (existing) return { created: false, existing: copy(existing) };
      messages.set(message.id, { ...structuredClone(message), status: 'queued', attempts: 0, nextAttemptAtMs: 0, updatedAtMs: nowMs() });
      return { created: true };
    },
    /** @param {string} id */
    async get(id) {
      return copy(messages.get(id));
    },
    /** @param {string} lane */
    async head(lane) {
      return copy(queuedIn(lane)[0]);
    },
    /** @param {number} now */
    async dueLanes(now) {
      purge();
      const lanes = new Set([...messages.values()].filter((m) => m.status === 'queued').map((m) => m.lane));
      return [...lanes].filter((lane) => (queuedIn(lane)[0]?.nextAttemptAtMs ?? Infinity) <= now);
    },
    /** @param {string} lane @param {string} owner @param {number} leaseMs */
    async acquireLane(lane, owner, leaseMs) {
      const lease = leases.get(lane);
      if (lease && lease.owner !== owner && lease.untilMs > nowMs()) return false;
      leases.set(lane, { owner, untilMs: nowMs() + leaseMs });
      return true;
    },
    /** @param {string} lane @param {string} owner @param {number} leaseMs */
    async renewLane(lane, owner, leaseMs) {
      // Only a lease still held: a lapsed one is not revived (another relay may have sent meanwhile).
      if (!holds(lane, owner)) return false;
      leases.set(lane, { owner, untilMs: nowMs() + leaseMs });
      return true;
    },
    /** @param {string} lane @param {string} owner */
    async releaseLane(lane, owner) {
      if (leases.get(lane)?.owner === owner) leases.delete(lane);
    },
    /** @param {{ id: string, lane: string }} target @param {string} owner @param {{ attempts: number, nextAttemptAtMs: number, lastError?: string }} attempt */
    async recordAttempt({ id, lane }, owner, { attempts, nextAttemptAtMs, lastError }) {
      const message = messages.get(id);
      if (!message || message.status !== 'queued' || !holds(lane, owner)) return false;
      Object.assign(message, { attempts, nextAttemptAtMs, lastError, updatedAtMs: nowMs() });
      return true;
    },
    /** @param {any} target @param {string} owner @param {{ status: string, response?: unknown, lastError?: string, headers?: [string, string][] }} settled */
    async finish({ id, lane }, owner, { status, response, lastError, headers }) {
      const message = messages.get(id);
      if (!message || !holds(lane, owner) || queuedIn(lane)[0]?.id !== id) return false;
      Object.assign(message, { status, response, updatedAtMs: nowMs(), ...(lastError !== undefined ? { lastError } : {}), ...(headers ? { headers: structuredClone(headers) } : {}) });
      return true;
    },
    /** @param {'queued' | 'failed'} status @param {number} [limit] */
    async list(status, limit = 100) {
      if (status !== 'queued' && status !== 'failed') throw new RangeError(`relay: list() takes 'queued' or 'failed'; got ${JSON.stringify(status)}`);
      return [...messages.values()].filter((m) => m.status === status).slice(0, limit).map(copy);
    },
    async counts() {
      const all = [...messages.values()];
      return { queued: all.filter((m) => m.status === 'queued').length, failed: all.filter((m) => m.status === 'failed').length };
    },
    /** @param {{ scope: string, lane: string }} of */
    async usage({ scope, lane }) {
      const queued = [...messages.values()].filter((m) => m.status === 'queued');
      return { client: queued.filter((m) => m.id.startsWith(`${scope}.`)).length, lane: queued.filter((m) => m.lane === lane).length, lanes: new Set(queued.map((m) => m.lane)).size };
    },
    /** @param {string} id */
    async retry(id) {
      const message = messages.get(id);
      if (message?.status !== 'failed') return false;
      // At the end of its lane: re-inserted, so it is the newest.
      messages.delete(id);
      messages.set(id, Object.assign(message, { status: 'queued', attempts: 0, nextAttemptAtMs: 0, updatedAtMs: nowMs() }));
      return true;
    },
    /** @param {string} id */
    async remove(id) {
      const status = messages.get(id)?.status;
      if (status !== 'queued' && status !== 'failed') return false;
      messages.delete(id);
      return true;
    },
    async close() {
      messages.clear();
      leases.clear();
    },
  };
}
