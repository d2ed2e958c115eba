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
