// The one small interface every idempotency store implements (memory, SQLite,
// Redis). A record is either a claim on a key (a handler is running; it holds
// a lease that its process renews) or the stored response. Expiry is one
// field for both: the lease's end for a claim, the key's TTL for a response,
// so a claim whose process died lapses exactly like an old key.
//
//   claim(key, fingerprint, { leaseMs, owner })
//     → { outcome: 'claimed' }
//     | { outcome: 'running', fingerprint }            another claim holds a live lease
//     | { outcome: 'done', fingerprint, response }     a stored response (not expired)
//   renew(key, owner, leaseMs, fingerprint) → boolean   false: another claim took the key
//   complete(key, owner, response, ttlMs, fingerprint) → boolean  false: another claim took the key; nothing stored
//
// A claim whose lease lapsed while its handler still ran (a stalled process)
// is still the claimant's until another request claims the key: renew takes
// it back and complete stores the answer (also when the record expired and
// is gone). A handler that finished is never made to run twice by a timer.
//   release(key, owner) → void   forget the claim, so the next request runs the handler
//   transaction?(key, owner, fingerprint) → Transaction   optional (Postgres): a transaction in the
//     store's own database that the handler writes in; `complete` stores the answer in it and commits
//     both, or rolls both back when another claim took the key; `abort` rolls back.
//   peek?(key) → PeekResult       optional to implement (every shipped store has it): what the key holds, in
//     one read, taking no claim and changing nothing:
//     { outcome: 'none' }            never seen, released, or expired (a lapsed claim or an old answer)
//     | { outcome: 'running' }       a claim with a live lease (a handler holds the key now)
//     | { outcome: 'done', status }  a stored response: its HTTP status only, never its headers or body
//     The middleware's lookupPath answers with it (lookup.js); a store without it cannot serve one.
//   clear() → void               forget every key (tests, demo reset)
//   close() → void
//
// `response` is `{ status, headers: [name, value][], bodyBase64 }`.

/** @typedef {{ status: number, statusMessage?: string, headers: [string, string][], bodyBase64: string }} StoredResponse */
/** @typedef {{ outcome: 'claimed' } | { outcome: 'running', fingerprint: string } | { outcome: 'done', fingerprint: string, response: StoredResponse }} ClaimResult */
/** What `peek` finds under a key: never the stored body or headers. @typedef {{ outcome: 'none' } | { outcome: 'running' } | { outcome: 'done', status: number }} PeekResult */
/**
 * A transaction a handler writes its data in, committed together with the key's answer.
 * @typedef {object} IdempotencyTransaction
 * @property {unknown} handle what the handler writes with (a `pg` client inside BEGIN for postgresStore)
 * @property {(response: StoredResponse, ttlMs: number) => Promise<boolean>} complete stores the answer and commits; false: another claim took the key, everything was rolled back
 * @property {() => Promise<void>} abort rolls back (the handler failed, or answered "try again later")
 */
/**
 * @typedef {object} IdempotencyStore
 * @property {(key: string, fingerprint: string, options: { leaseMs: number, owner: string }) => Promise<ClaimResult>} claim
 * @property {(key: string, owner: string, leaseMs: number, fingerprint: string) => Promise<boolean>} renew
 * @property {(key: string, owner: string, response: StoredResponse, ttlMs: number, fingerprint: string) => Promise<boolean>} complete
 * @property {(key: string, owner: string) => Promise<void>} release
 * @property {(key: string, owner: string, fingerprint: string) => Promise<IdempotencyTransaction>} [transaction]
 * @property {(key: string) => Promise<PeekResult>} [peek] what the key holds, in one read, without claiming it
 * @property {() => Promise<void>} clear
 * @property {() => Promise<void>} close
 */
export {};
