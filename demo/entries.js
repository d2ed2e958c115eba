// The demo's messages as data: the server's records as the page keeps them,
// the sender's time carried in each body, and a merged entry as messages.js
// draws it. No DOM and no state here.
import { textOfBody } from './messages.js';
import { userOfAuthorization } from './accounts.js';

/** @typedef {import('./messages.js').MessageView} MessageView */
/** @typedef {import('./messages.js').StoredMessage} StoredMessage */

/**
 * A message of the server's record, as the copy kept for offline holds it: no headers, no tokens.
 * @typedef {object} ServerItem
 * @property {string} key its Idempotency-Key, the id the outbox knows it by
 * @property {number} seq
 * @property {string | null} text
 * @property {number} sentAtMs the sender's time
 * @property {string | null} user the name of who sent it, null for a token of no demo user
 */

/** @typedef {import('/history.js').HistoryEntry<ServerItem>} Entry */

export const HISTORY_URL = '/api/messages';

/** @param {string} text */
export const shortText = (text) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

/**
 * The sender's time the page put in the body (so the server's copy sorts where the local one was).
 * @param {string | undefined} bodyText
 * @returns {number | undefined}
 */
export function sentAtOfBody(bodyText) {
  try {
    /** @type {unknown} */
    const body = JSON.parse(bodyText ?? 'null');
    const sentAtMs = typeof body === 'object' && body !== null && 'sentAtMs' in body ? body.sentAtMs : undefined;
    return typeof sentAtMs === 'number' && Number.isFinite(sentAtMs) ? sentAtMs : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The server's records (GET /api/messages), as the copy kept for offline holds them: no headers, no tokens.
 * @param {unknown} json
 * @returns {ServerItem[]}
 */
export function parseServerList(json) {
  if (!Array.isArray(json)) throw new TypeError(`${HISTORY_URL} answered something else than a list`);
  /** @type {StoredMessage[]} the demo server's own answer (demo/server.mjs) */
  const messages = json;
  return messages.map((m) => ({
    key: m.key,
    seq: m.seq,
    text: textOfBody(m.bodyText),
    sentAtMs: sentAtOfBody(m.bodyText) ?? m.receivedAtMs,
    user: userOfAuthorization(m.headers?.authorization),
  }));
}

/**
 * A history entry as messages.js draws it.
 * @param {Entry} entry
 * @returns {MessageView}
 */
export function viewOf(entry) {
  const local = entry.local;
  const text = entry.server?.text ?? textOfBody(local?.bodyText) ?? '(sent from another tab)';
  return {
    id: entry.id,
    status: entry.status,
    text,
    createdAtMs: entry.sentAtMs,
    attempts: local?.attempts ?? 0,
    reason: entry.server ? undefined : local?.reason,
    detail: entry.server ? undefined : local?.detail,
  };
}
