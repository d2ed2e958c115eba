/**
 * How long the browser keeps what the outbox stored: `storage()` reads
 * `navigator.storage` (persisted, usage and quota), `persistStorage()` asks for
 * persistent storage. `import { storage, persistStorage } from 'outbox/client/storage'`
 * (dist/storage.js). `createOutbox({ persist: true })` asks for you.
 *
 * A queued message lives in IndexedDB; "best-effort" storage may be evicted
 * under storage pressure, persistent storage only by the user. What each
 * browser does is in the README ("What the browser keeps"). No call here can
 * stop Safari's deletion of script-written storage after 7 days without a visit.
 */

export interface StorageReport {
  /** `true`: evicted only by the user. `false`: best-effort. `undefined`: the browser does not say. */
  persisted: boolean | undefined;
  /** Bytes this origin uses (all of its storage, estimated by the browser). */
  usageBytes: number | undefined;
  /** Bytes this origin may use before writes fail (estimated). */
  quotaBytes: number | undefined;
}

/**
 * Asks the browser to keep this origin's storage (`navigator.storage.persist()`).
 * Resolves `true` when granted (Chromium decides by itself, from engagement or
 * an installed app; Firefox asks the user), `false` when not, `undefined` where
 * the API is missing. It never rejects.
 *
 * @example
 * if (!(await persistStorage())) showHint('Messages may be lost if the browser clears space');
 */
export async function persistStorage(): Promise<boolean | undefined> {
  const manager = globalThis.navigator?.storage;
  if (typeof manager?.persist !== 'function') return undefined;
  try {
    return await manager.persist();
  } catch {
    return false;
  }
}

/**
 * What the browser says about this origin's storage, from
 * `navigator.storage.persisted()` and `navigator.storage.estimate()`. It never rejects.
 *
 * @example
 * const { persisted, usageBytes, quotaBytes } = await storage();
 */
export async function storage(): Promise<StorageReport> {
  const manager = globalThis.navigator?.storage;
  const [persisted, estimate] = await Promise.all([
    typeof manager?.persisted === 'function' ? manager.persisted().catch(() => undefined) : undefined,
    typeof manager?.estimate === 'function' ? manager.estimate().catch(() => undefined) : undefined,
  ]);
  return { persisted, usageBytes: estimate?.usage, quotaBytes: estimate?.quota };
}
