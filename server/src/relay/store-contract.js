// The relay's queue behind one small interface, on SQLite (one relay per
// file) or Redis (several relays share one queue). A message:
//
//   queued ──2xx──────────────► delivered   (kept ttlMs for repeated keys, then purged)
//     │  └─408/425/429/5xx, network, timeout: stays at its lane's head, attempts+1, nextAttemptAtMs
//     ├──other 4xx─────────────► failed      (a dead letter: kept, listed, retryable, deletable)
//     └──2xx/4xx passed through► delivered / refused (the client got the upstream's own answer)
//   failed ──retry──► queued (at the end of its lane)
//
// Lanes: FIFO by acceptance, one message in flight per lane. A relay forwards
// a lane only while it holds the lane's lease (Redis; SQLite's exclusive file
// lock makes the one relay the holder of every lane).
//
//   accept(message)                 → { created: true } | { created: false, existing: StoredMessage }
//   get(id)                         → StoredMessage | null
//   head(lane)                      → the oldest queued message of the lane, or null
//   dueLanes(nowMs)                 → lanes whose head may be tried now
//   acquireLane(lane, owner, leaseMs) / releaseLane(lane, owner) → boolean / void
//   renewLane(lane, owner, leaseMs)  → boolean: extends a lease the owner still holds; false once it lapsed
//                                     or another holds it (never revived: the relay stops draining that lane)
//   recordAttempt({ id, lane }, owner, { attempts, nextAttemptAtMs, lastError }) → boolean
//   finish(message, owner, { status, response?, lastError?, headers? }) → boolean   (false: not the head, or the lease was lost)
//                                     `headers` replaces the stored ones: the relay drops credentials when a message settles
//   list(status, limit)             → StoredMessage[]
//   counts()                        → { queued, failed }
//   usage({ scope, lane })          → { client, lane, lanes }: queued messages of the client (ids '<scope>.…'), of the lane, and lanes with any
//   retry(id) / remove(id)          → boolean (false: no such message in a state that allows it)
//   close()
//
// StoredMessage: { id, lane, status, fingerprint, method, url, headers: [name, value][],
//   bodyBase64, acceptedAtMs, attempts, nextAttemptAtMs, lastError, response, updatedAtMs }
export {};

/** @typedef {'queued' | 'delivered' | 'refused' | 'failed'} MessageStatus */
/** The upstream's answer, kept to answer repeats. @typedef {{ status: number, headers: [string, string][], bodyBase64: string, passedThrough?: boolean }} StoredAnswer */
/**
 * @typedef {object} StoredMessage
 * @property {string} id `<scope>.<key>`
 * @property {string} lane
 * @property {MessageStatus} status
 * @property {string} fingerprint
 * @property {string} method
 * @property {string} url
 * @property {[string, string][]} headers
 * @property {string} bodyBase64
 * @property {number} acceptedAtMs
 * @property {number} attempts
 * @property {number} nextAttemptAtMs
 * @property {string} [lastError]
 * @property {StoredAnswer} [response]
 * @property {number} updatedAtMs
 */
/** What the relay hands `accept`. @typedef {Pick<StoredMessage, 'id' | 'lane' | 'fingerprint' | 'method' | 'url' | 'headers' | 'bodyBase64' | 'acceptedAtMs'> & { status?: MessageStatus }} NewMessage */
/**
 * @typedef {object} RelayQueue
 * @property {string} kind
 * @property {(message: NewMessage) => Promise<{ created: true, existing?: undefined } | { created: false, existing: StoredMessage | null }>} accept
 * @property {(id: string) => Promise<StoredMessage | null>} get
 * @property {(lane: string) => Promise<StoredMessage | null>} head
 * @property {(nowMs: number) => Promise<string[]>} dueLanes
 * @property {(lane: string, owner: string, leaseMs: number) => Promise<boolean>} acquireLane
 * @property {(lane: string, owner: string, leaseMs: number) => Promise<boolean>} renewLane
 * @property {(lane: string, owner: string) => Promise<void>} releaseLane
 * @property {(message: { id: string, lane: string }, owner: string, attempt: { attempts: number, nextAttemptAtMs: number, lastError?: string }) => Promise<boolean>} recordAttempt
 * @property {(message: StoredMessage, owner: string, settled: { status: MessageStatus, response?: StoredAnswer, lastError?: string, headers?: [string, string][] }) => Promise<boolean>} finish
 * @property {(status: 'queued' | 'failed', limit?: number) => Promise<StoredMessage[]>} list
 * @property {() => Promise<{ queued: number, failed: number }>} counts
 * @property {(of: { scope: string, lane: string }) => Promise<{ client: number, lane: number, lanes: number }>} usage
 * @property {(id: string) => Promise<boolean>} retry
 * @property {(id: string) => Promise<boolean>} remove
 * @property {() => Promise<void>} close
 */
