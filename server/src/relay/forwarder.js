// Forwards each lane's messages upstream, oldest first, one in flight per
// lane. A lane in this process is in one state at a time:
//
//   idle ──kick / poll finds it due──► draining ──head forwarded──► settle:
//     2xx ──► finish(delivered), next head
//     408/425/429/5xx, network, timeout ──► attempts+1, nextAttemptAtMs = now + max(backoff, Retry-After); idle
//     other 4xx ──► finish(failed: a dead letter, or refused when its client got that answer); next head
//   draining ──lane empty, head not due, or the lease lost (a write refused: another relay has the lane)──► idle
//   draining ──a store write failed (full disk, Redis gone)──► stalled(until, the write owed): nothing
//     is sent on the lane until that write succeeds; retried with backoff
//
// A head that fails transiently `setAsideAfterTries` times while the upstream
// answers other requests (another lane delivered, a proxied request got an
// answer) is set aside as a dead letter, as the browser's worker does: a body
// the upstream chokes on, a path it drops, must not hold every later sender.
//
// The lease (Redis) is held while draining and renewed every leaseMs/3 (only
// while still held: a lapsed lease is never revived, the drain stops); a
// relay that lost it stops after the message on the wire, and that message
// stays at the head for the new holder, which sends it again with the same
// Idempotency-Key (a deduplicating upstream keeps one copy).
import { performance } from 'node:perf_hooks';
import { backoffDelayMs, classifyStatus, parseRetryAfterMs, REPLAYED_HEADER, retryDelayMs } from '../retry-policy.js';
import { sendUpstream } from './http.js';
import { openHeaders } from './sealed.js';
import { withFreshCredentials, withoutCredentials } from './credentials.js';

/**
 * What one forwarding attempt came to.
 * @typedef {Awaited<ReturnType<typeof sendUpstream>> | { kind: 'unsendable', error: string }} SendResult
 */

/**
 * @param {object} deps
 * @param {import('./store-contract.js').RelayQueue} deps.store
 * @param {string} deps.owner this relay's id, for leases
 * @param {import('./options.js').ResolvedRelayOptions} deps.options
 * @param {ReturnType<import('./log.js').createLogger>} deps.log
 * @param {ReturnType<import('./metrics.js').createMetrics>} deps.metrics
 * @param {(state: 'up' | 'down') => void} deps.onUpstream
 * @param {Buffer | undefined} [deps.secretKey] opens the sealed credentials of stored messages
 */
export function createForwarder({ store, owner, options, log, metrics, onUpstream, secretKey }) {
  /** @type {Map<string, { state: 'draining', id?: string }>} lanes not idle */
  const lanes = new Map();
  /** @type {Map<string, { claimed: boolean, resolve: (result: unknown) => void }>} clients waiting for a pass-through answer */
  const waiters = new Map();
  let closed = false;
  const running = new Set();
  /** @type {Map<string, { untilMs: number, failures: number, owed?: () => Promise<unknown> }>} lanes whose last store write failed: no send until it succeeds */
  const stalled = new Map();
  /** When the upstream last answered anything (performance.now()), and when each head first failed. */
  let upstreamAnsweredAtMs = -Infinity;
  /** @type {Map<string, number>} */
  const firstFailureAtMs = new Map();
  let polling = false;

  // One poll at a time: with many lanes a poll can outlast the interval, and overlapping ones only add load.
  const poll = setInterval(() => {
    if (polling) return;
    polling = true;
    store.dueLanes(Date.now()).then((due) => due.forEach(kick), (error) => log.error('poll-failed', { error: /** @type {Error} */ (error).message })).finally(() => {
      polling = false;
    });
  }, options.pollMs);
  poll.unref();

  /** @param {string} lane */
  function kick(lane) {
    if (closed || lanes.has(lane)) return;
    const stall = stalled.get(lane);
    if (stall && stall.untilMs > performance.now()) return;
    lanes.set(lane, { state: 'draining' });
    const run = drain(lane).catch((error) => {
      // A store write or read failed: back off, and owe the write before sending anything on this lane again.
      const failures = (stalled.get(lane)?.failures ?? 0) + 1;
      const delayMs = backoffDelayMs(failures, options.retryBaseMs, options.retryMaxMs);
      stalled.set(lane, { untilMs: performance.now() + delayMs, failures, owed: /** @type {{ owed?: () => Promise<unknown> }} */ (error)?.owed ?? stalled.get(lane)?.owed });
      log.error('lane-stalled', { lane, error: error.message, retryInMs: delayMs });
    }).finally(() => {
      lanes.delete(lane);
      running.delete(run);
    });
    running.add(run);
  }

  /** @param {string} lane */
  async function drain(lane) {
    // Taken once per drain (a write, so an fsync on Redis with appendfsync
    // always), then renewed every leaseMs/3 of draining, not per message.
    if (!(await store.acquireLane(lane, owner, options.leaseMs))) return;
    const owed = stalled.get(lane)?.owed;
    if (owed) {
      // The upstream has this lane's head; only its record failed. Write it, never send it again.
      await owed();
    }
    stalled.delete(lane);
    const lease = { renewedAtMs: performance.now(), held: true };
    while (!closed) {
      if (performance.now() - lease.renewedAtMs > options.leaseMs / 3) {
        if (!(await store.renewLane(lane, owner, options.leaseMs))) return;
        lease.renewedAtMs = performance.now();
      }
      const message = await store.head(lane);
      if (!message || message.nextAttemptAtMs > Date.now()) break;
      lanes.set(lane, { state: 'draining', id: message.id });
      const result = await forwardUnderLease(lane, message, lease);
      const settled = await settle(message, result);
      // Lost: another relay holds the lane now (our lease lapsed); it goes on from its head.
      if (!lease.held || settled === 'lost') return;
      if (settled === 'later') break;
    }
    await store.releaseLane(lane, owner);
  }

  /**
   * One attempt to forward the head of a lane while holding its lease.
   * @param {string} lane
   * @param {import('./store-contract.js').StoredMessage} message
   * @param {{ held: boolean, renewedAtMs: number }} lease
   * @returns {Promise<SendResult>}
   */
  async function forwardUnderLease(lane, message, lease) {
    const renewal = setInterval(() => {
      store.renewLane(lane, owner, options.leaseMs).then((held) => {
        if (held) lease.renewedAtMs = performance.now();
        else lease.held = false;
      }, () => {});
    }, Math.max(10, Math.floor(options.leaseMs / 3)));
    const startedMs = performance.now();
    // leaseAgeMs: how long since this relay last renewed the lane's lease (near leaseMs: a stall, and a takeover near).
    log.debug('forward', { id: message.id, lane, attempt: message.attempts + 1, leaseAgeMs: Math.round(performance.now() - lease.renewedAtMs) });
    try {
      let headers;
      try {
        headers = await withFreshCredentials(message, openHeaders(message.headers, secretKey), { credentialsFor: options.credentialsFor, log });
      } catch (error) {
        return { kind: 'unsendable', error: /** @type {Error} */ (error).message };
      }
      const result = await sendUpstream(options.upstream, { method: message.method, url: message.url, headers, body: Buffer.from(message.bodyBase64, 'base64') }, options.timeoutMs);
      metrics.duration.observe((performance.now() - startedMs) / 1000);
      return result;
    } finally {
      clearInterval(renewal);
    }
  }

  /** Records what the attempt means; 'next' to go on with the lane, 'later' to stop it for now, 'lost' when the lane is no longer ours. */
  /**
   * @param {import('./store-contract.js').StoredMessage} message
   * @param {SendResult} result
   * @returns {Promise<'next' | 'later' | 'lost'>}
   */
  async function settle(message, result) {
    const { id, lane } = message;
    // Settled (delivered, refused or a dead letter), a message keeps no credentials: they were needed only
    // to send it. A dead letter retried is sent without them (the upstream says 401 if it needs them).
    // Opened first (when this relay can), so the names of the sealed credentials are recorded too.
    let plainHeaders = message.headers;
    try {
      plainHeaders = openHeaders(message.headers, secretKey);
    } catch {}
    const settledHeaders = withoutCredentials(plainHeaders, options.secretHeaders);
    if (result.kind === 'unsendable') {
      // Its credentials cannot be opened (another key): sending without them would act as nobody. A dead letter, with why.
      const write = () => store.finish(message, owner, { status: 'failed', lastError: `unsendable: ${result.error}`, headers: settledHeaders });
      if (!(await write())) return 'lost';
      log.warn('dead-letter', { id, lane, error: result.error });
      waiters.get(id)?.resolve(null);
      return 'next';
    }
    const header = (/** @type {string} */ name) => (result.kind === 'answer' ? result.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1] : undefined);
    const retryAfter = header('retry-after');
    // Sent before: an earlier attempt of this message failed transiently (retry-policy.js, the 409 rule).
    const evidence = { sentBefore: message.attempts > 0, retryAfter, replayed: header(REPLAYED_HEADER) === 'true' };
    const verdict = result.kind === 'answer' ? classifyStatus(result.status, evidence) : 'transient';
    metrics.attempts.inc({ result: verdict });
    onUpstream(verdict === 'transient' ? 'down' : 'up');
    if (verdict !== 'transient') {
      upstreamAnsweredAtMs = performance.now();
      firstFailureAtMs.delete(id);
    }
    // A client still waiting on this message is claimed before the store
    // changes, so it is told the upstream's answer, never a 202 for a refusal.
    const waiter = verdict === 'transient' ? undefined : waiters.get(id);
    if (waiter) {
      waiter.claimed = true;
      waiters.delete(id);
    }
    // The upstream's Set-Cookie is for the client that was waiting (it gets the live answer), never kept for a replay.
    const response = result.kind === 'answer' ? { status: result.status, headers: result.headers.filter(([name]) => name.toLowerCase() !== 'set-cookie'), bodyBase64: result.body.toString('base64'), passedThrough: Boolean(waiter) } : undefined;
    /** A store write that must succeed before the lane sends again (its failure stalls the lane, owing it). */
    const write = async (/** @type {() => Promise<boolean>} */ attempt) => {
      try {
        return await attempt();
      } catch (error) {
        throw Object.assign(new Error(`store write failed: ${/** @type {Error} */ (error).message}`), { owed: attempt });
      }
    };
    try {
      if (verdict === 'delivered') {
        if (!(await write(() => store.finish(message, owner, { status: 'delivered', response, headers: settledHeaders })))) {
          log.warn('lane-lost', { id, lane, detail: 'delivered, but the lane was taken over: its new holder sends this message again with the same key' });
          return 'lost';
        }
        log.info('delivered', { id, lane, status: response?.status, attempts: message.attempts + 1 });
        return 'next';
      }
      if (verdict === 'rejected') {
        const status = waiter ? 'refused' : 'failed';
        const lastError = `http-${response?.status}`;
        if (!(await write(() => store.finish(message, owner, { status, response, lastError, headers: settledHeaders })))) return 'lost';
        log[waiter ? 'info' : 'warn'](waiter ? 'refused' : 'dead-letter', { id, lane, status: response?.status });
        return 'next';
      }
      const attempts = message.attempts + 1;
      const lastErrorNow = result.kind === 'answer' ? `http-${result.status}` : result.error;
      if (!firstFailureAtMs.has(id)) firstFailureAtMs.set(id, performance.now());
      if (attempts >= options.setAsideAfterTries && upstreamAnsweredAtMs > /** @type {number} */ (firstFailureAtMs.get(id))) {
        // The upstream answers others, never this one: a dead letter, and the lane goes on.
        const lastError = `unreachable: ${lastErrorNow} on ${attempts} tries while the upstream answered other requests`;
        if (!(await write(() => store.finish(message, owner, { status: 'failed', response, lastError, headers: settledHeaders })))) return 'lost';
        firstFailureAtMs.delete(id);
        log.warn('dead-letter', { id, lane, error: lastError });
        return 'next';
      }
      const retryAfterMs = parseRetryAfterMs(retryAfter);
      const delayMs = retryDelayMs(attempts, retryAfterMs, options.retryBaseMs, options.retryMaxMs);
      const lastError = result.kind === 'answer' ? `http-${result.status}` : result.error;
      if (!(await write(() => store.recordAttempt(message, owner, { attempts, nextAttemptAtMs: Date.now() + delayMs, lastError })))) return 'lost';
      log.info('retry-later', { id, lane, attempts, delayMs, error: lastError });
      return 'later';
    } finally {
      if (waiter) waiter.resolve(verdict === 'transient' ? null : result);
      // A waiter whose message failed transiently gets its 202 from its own timer.
      if (verdict === 'transient') waiters.get(id)?.resolve(null);
    }
  }

  return {
    kick,
    /** The upstream answered a request of the relay's (a proxied one too): evidence for the dead-head rule. */
    upstreamAnswered() {
      upstreamAnsweredAtMs = performance.now();
    },
    /**
     * Resolves with the upstream's answer if this message is forwarded and
     * answered (2xx or a refusal) within `waitMs`, else with null (queued).
     * @param {string} id
     * @param {number} waitMs
     * @returns {Promise<any>}
     */
    waitFor(id, waitMs) {
      return new Promise((resolve) => {
        const waiter = { claimed: false, resolve: (/** @type {unknown} */ result) => { clearTimeout(timer); waiters.delete(id); resolve(result); } };
        const timer = setTimeout(() => {
          if (!waiter.claimed) waiter.resolve(null);
        }, waitMs);
        waiters.set(id, waiter);
      });
    },
    /** @param {string} id */
    cancelWait(id) {
      waiters.get(id)?.resolve(null);
    },
    /** Stops taking new work and waits (at most `graceMs`) for the messages on the wire. */
    async close(graceMs = 5_000) {
      closed = true;
      clearInterval(poll);
      await Promise.race([Promise.allSettled([...running]), new Promise((r) => setTimeout(r, graceMs).unref())]);
    },
  };
}
