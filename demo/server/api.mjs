// The demo API's state: what it stored, every attempt, its outage mode, the
// tokens it accepts, and the knobs tests turn (lost answers, slow answers,
// no deduplication). The routes that read and change it are in chat.mjs and
// routes.mjs.
import { idempotency, sqliteStore } from '../../server/src/index.js';
import { HttpError, MAX_BODY_BYTES } from './http.mjs';

// '429' (rate limited) is not on the demo page; the e2e retry-policy tests use it.
// `chat-down`: the chat endpoint drops every connection while /api/health
// still answers (health and chat served by different processes).
const MODES = /** @type {const} */ (['up', 'unreachable', 'chat-down', '503', '429']);
/** The request headers a stored message keeps (who sent it, and how). */
export const RECORDED_HEADERS = /** @type {const} */ (['authorization', 'cookie', 'content-type']);

/** @typedef {typeof MODES[number]} Mode */

/**
 * A chat message as the API stored it (GET /api/messages lists them without `bodyBase64`).
 * @typedef {object} StoredMessage
 * @property {string} key the Idempotency-Key it came with (or one made up)
 * @property {number} seq its place in arrival order, from 1
 * @property {string} contentType
 * @property {string} bodyText
 * @property {string} bodyBase64
 * @property {Partial<Record<typeof RECORDED_HEADERS[number], string>>} headers those of RECORDED_HEADERS it came with
 * @property {number} receivedAtMs
 */

/**
 * Every POST /api/chat, stored or not, and what became of it.
 * @typedef {object} Attempt
 * @property {string} key
 * @property {number} receivedAtMs
 * @property {'stored' | 'duplicate' | 'rejected' | 'dropped' | '503' | '429' | 'answer-dropped' | 'unauthorized'} outcome
 */

/** @typedef {{ key: string, state: 'completed' | 'unknown', receivedAtMs: number }} Lookup */
/** @typedef {{ key: string, bytes: number, contentType: string, url: string }} Upload */
/** @typedef {{ key: string, messageSeq: unknown, text: unknown }} Edit */

/** @param {unknown} value @returns {value is number} */
const isWholeSeconds = (value) => typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** @param {unknown} value @returns {value is Mode} */
const isMode = (value) => MODES.some((mode) => mode === value);

/** @param {{ validTokens?: readonly string[], idempotencyDb: string }} options */
export function createApi({ validTokens = [], idempotencyDb }) {
  const initialTokens = [...validTokens];
  // A real SQLite file, like a production chat API keeps its keys in. NORMAL,
  // not FULL: the demo's messages live in memory, so a key that survives a
  // power cut would outlive what it guards; WAL + NORMAL survives a crash of
  // this process and saves an fsync per request.
  const idempotencyStore = sqliteStore({ path: idempotencyDb, synchronous: 'NORMAL' });
  const api = {
    idempotencyStore,
    guard: idempotency({ store: idempotencyStore, maxBodyBytes: MAX_BODY_BYTES }),
    /** @type {StoredMessage[]} */
    stored: [],
    /** @type {Attempt[]} */
    attempts: [],
    // Tokens the chat API accepts. Empty (the default): no auth check at all.
    // Non-empty: a POST /api/chat without `Authorization: Bearer <one of these>`
    // (or, failing that header, a cookie `sid=<one of these>`) gets 401
    // `{"error":…}` (outcome 'unauthorized'). Tests and the demo's
    // "expire token" button remove a token to watch the outbox pause and resume.
    validTokens: new Set(initialTokens),
    /** @type {Mode} */
    mode: 'up',
    /** @type {number | undefined} */
    retryAfterSeconds: undefined,
    answersToDrop: 0,
    delayMs: 0,
    // false: the chat POST runs without the idempotency middleware, as a
    // server that never deduplicates (a repeat is stored again); only the
    // lookup (GET /api/lookup) can then keep a lost answer from doubling.
    deduplicate: true,
    // Every GET /api/lookup: the key asked about and the state answered.
    /** @type {Lookup[]} */
    lookups: [],
    // POST /api/upload (a photo before its caption): what was stored, and
    // whether uploads are refused for now (422, as a too-large photo would be).
    /** @type {Upload[]} */
    uploads: [],
    refuseUploads: false,
    // POST /api/chat/edits: changes to messages already sent (the follow-up
    // an edit that was too late to change the queued copy sends, docs/edit-and-cancel.md).
    /** @type {Edit[]} */
    edits: [],
    /** @param {unknown} mode @param {{ retryAfterSeconds?: unknown }} [options] */
    setMode(mode, { retryAfterSeconds } = {}) {
      if (!isMode(mode)) {
        throw new HttpError(422, `mode must be one of ${MODES.join(', ')}; got ${JSON.stringify(mode)}`);
      }
      if (retryAfterSeconds != null && !isWholeSeconds(retryAfterSeconds)) {
        throw new HttpError(422, `retryAfterSeconds must be a whole number >= 0; got ${JSON.stringify(retryAfterSeconds)}`);
      }
      api.mode = mode;
      api.retryAfterSeconds = retryAfterSeconds ?? undefined;
    },
    /** @param {unknown} n */
    dropAnswers(n) {
      api.answersToDrop = Math.max(0, Math.floor(Number(n) || 0));
    },
    reset() {
      // Mutate in place: tests may hold references to these arrays.
      api.stored.length = 0;
      api.attempts.length = 0;
      // Synchronous on SQLite: the keys are gone when reset() returns.
      void api.idempotencyStore.clear();
      api.mode = 'up';
      api.retryAfterSeconds = undefined;
      api.answersToDrop = 0;
      api.delayMs = 0;
      api.deduplicate = true;
      api.lookups.length = 0;
      api.uploads.length = 0;
      api.edits.length = 0;
      api.refuseUploads = false;
      // Back to the tokens the server started with (a test may have expired some).
      api.validTokens.clear();
      for (const token of initialTokens) api.validTokens.add(token);
    },
    state() {
      return {
        mode: api.mode,
        retryAfterSeconds: api.retryAfterSeconds ?? null,
        dropAnswers: api.answersToDrop,
        delayMs: api.delayMs,
        auth: api.validTokens.size > 0,
        // A demo: the page picks its users' tokens from here (a real server never lists them).
        tokens: [...api.validTokens],
        stored: api.stored.length,
        attempts: api.attempts.length,
      };
    },
  };
  return api;
}

/** @typedef {ReturnType<typeof createApi>} DemoApi */

/** @param {DemoApi} api @returns {Record<string, string>} */
export const retryAfter = (api) => (api.retryAfterSeconds != null ? { 'Retry-After': String(api.retryAfterSeconds) } : {});
