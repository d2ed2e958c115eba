// Idempotency store in this process's memory: for tests and single-process
// demos. Nothing survives a restart; use sqliteStore() for that.

/**
 * @param {{ nowMs?: () => number }} [options] `nowMs`: the clock (tests)
 * @returns {import('./contract.js').IdempotencyStore}
 * @example idempotency({ store: memoryStore() })
 */
export function memoryStore({ nowMs = Date.now } = {}) {
  /** @type {Map<string, { owner?: string, fingerprint: string, response?: import('./contract.js').StoredResponse, expiresAtMs: number }>} */
  const records = new Map();
  /** @param {string} key */
  const live = (key) => {
    const record = records.get(key);
    if (record && record.expiresAtMs <= nowMs()) {
      records.delete(key);
      return undefined;
    }
    return record;
  };
  return {
    async claim(key, fingerprint, { leaseMs, owner }) {
      const record = live(key);
      if (!record) {
        records.set(key, { owner, fingerprint, expiresAtMs: nowMs() + leaseMs });
        return { outcome: 'claimed' };
      }
      if (record.response) return { outcome: 'done', fingerprint: record.fingerprint, response: record.response };
      return { outcome: 'running', fingerprint: record.fingerprint };
    },
    // Owner-checked, not expiry-checked: a lapsed claim nobody took is still ours (contract.js).
    async renew(key, owner, leaseMs, fingerprint) {
      const record = records.get(key);
      if (record && (record.response || record.owner !== owner)) return false;
      records.set(key, { owner, fingerprint: record?.fingerprint ?? fingerprint, expiresAtMs: nowMs() + leaseMs });
      return true;
    },
    async complete(key, owner, response, ttlMs, fingerprint) {
      const record = records.get(key);
      if (record && (record.response || record.owner !== owner)) return false;
      records.set(key, { fingerprint: record?.fingerprint ?? fingerprint, response, expiresAtMs: nowMs() + ttlMs });
      return true;
    },
    async release(key, owner) {
      const record = records.get(key);
      if (record && !record.response && record.owner === owner) records.delete(key);
    },
    async peek(key) {
      const record = live(key);
      if (!record) return { outcome: 'none' };
      return record.response ? { outcome: 'done', status: record.response.status } : { outcome: 'running' };
    },
    async clear() {
      records.clear();
    },
    async close() {},
  };
}
