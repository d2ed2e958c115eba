// How one chat message looks. Kept apart from the outbox wiring so the
// status words live in one place.
import { $ } from './dom.js';

/** @typedef {import('/client.js').Reason} Reason */
/** @typedef {import('/client.js').MessageStatus} MessageStatus */

/**
 * A message as GET /api/messages lists it (demo/server.mjs).
 * @typedef {object} StoredMessage
 * @property {string} key its Idempotency-Key
 * @property {number} seq its place in arrival order, from 1
 * @property {string} bodyText
 * @property {{ authorization?: string }} [headers] those the server recorded
 * @property {number} receivedAtMs
 */

/**
 * One message as the page draws it.
 * @typedef {object} MessageView
 * @property {string} id its Idempotency-Key
 * @property {MessageStatus} status
 * @property {string} text
 * @property {number} createdAtMs the sender's time
 * @property {number} attempts
 * @property {Reason} [reason]
 * @property {string} [detail]
 */

/**
 * Every reason the outbox gives, in words (`http-<status>` is worded from its number): a reason
 * the library adds is a type error here until the demo can explain it.
 * @type {Record<Exclude<Reason, `http-${number}`>, string>}
 */
const REASONS = {
  network: 'the server could not be reached',
  timeout: 'the server took too long to answer',
  unreachable: 'the server could not be reached on any try while it answered others, so it was set aside',
  expired: 'it waited too long in the queue, so it was given up',
  storage: 'the browser could not store it',
  'too-large': 'it is too large to send',
  corrupt: 'its stored copy was damaged',
  invalid: 'it cannot be sent as it is (its key or user name is too long)',
  'no-worker': 'no service worker controls this page, so it was not kept',
  auth: 'the server did not accept the sign-in (401)',
  hook: 'the page\'s check before sending it again failed',
  'http-3xx': 'the server sent it elsewhere (a redirect)',
  'parent-failed': 'the message it was sent after (its photo) failed, so it waits for that one to be retried',
};
// For these the outbox kept nothing, so there is nothing to retry (the
// library's own list, NOTHING_KEPT in sw/protocol/statuses.ts).
/** @type {ReadonlySet<Reason>} */
const NOT_KEPT = new Set(['storage', 'too-large', 'invalid', 'no-worker', 'network']);

/** @param {Reason | undefined} reason */
export function explainReason(reason) {
  if (reason === undefined) return '';
  const http = /^http-(\d{3})$/.exec(reason);
  if (http) return `the server answered ${http[1]}`;
  /** @type {Partial<Record<Reason, string>>} */
  const words = REASONS;
  return words[reason] ?? reason;
}

/**
 * The chat text inside a stored body, or the body itself when it isn't our JSON.
 * @param {string | null | undefined} bodyText
 */
export function textOfBody(bodyText) {
  if (bodyText == null) return null;
  try {
    const body = JSON.parse(bodyText);
    if (typeof body?.text === 'string') return body.text;
  } catch {
    // Not JSON: show it as it is.
  }
  return bodyText;
}

/** @param {{ status: MessageStatus, reason?: Reason | undefined }} message */
export function badgeLabel({ status, reason }) {
  switch (status) {
    case 'queued': return reason === 'auth' ? 'Waiting for sign-in' : 'Queued';
    case 'sending': return 'Sending';
    // One tick: off this device, held by the relay. Two: the chat API has it.
    case 'relayed': return '✓ Relayed';
    case 'delivered': return '✓✓ Delivered';
    case 'failed': return reason ? `Failed: ${reason}` : 'Failed';
    default: return status;
  }
}

/** @param {MessageView} m */
function detailText(m) {
  if (m.status === 'failed') {
    const why = explainReason(m.reason);
    const parts = [why.charAt(0).toUpperCase() + why.slice(1), m.detail].filter(Boolean);
    return parts.join(': ');
  }
  if (m.status === 'queued' && m.reason === 'auth') {
    return 'Saved on this device; it will be sent once you sign in again (the server refused the token).';
  }
  if (m.status === 'queued') {
    const parts = ['Saved on this device; it will be sent when the server answers again.'];
    if (m.attempts) {
      const last = m.reason ? `; last time ${explainReason(m.reason)}` : '';
      parts.push(`Tried ${m.attempts} time${m.attempts === 1 ? '' : 's'}${last}.`);
    }
    return parts.join(' ');
  }
  return '';
}

/** @param {number} ms */
const time = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/**
 * Creates the <li> for a message; call `renderMessage` to fill it.
 * @param {{ onRetry: () => void, onDiscard: () => void }} actions
 */
export function createMessageElement({ onRetry, onDiscard }) {
  const li = document.createElement('li');
  li.className = 'message';
  li.innerHTML = `
    <p class="text"></p>
    <div class="meta">
      <span class="badge"></span>
      <time></time>
      <span class="id" title="Idempotency-Key: compare with the server's list"></span>
    </div>
    <p class="detail"></p>
    <div class="actions">
      <button type="button" class="small retry">Retry</button>
      <button type="button" class="small discard">Discard</button>
    </div>`;
  $('.retry', HTMLButtonElement, li).addEventListener('click', onRetry);
  $('.discard', HTMLButtonElement, li).addEventListener('click', onDiscard);
  return li;
}

/** @param {HTMLLIElement} li made by createMessageElement @param {MessageView} m */
export function renderMessage(li, m) {
  li.dataset.status = m.status;
  li.dataset.id = m.id;
  $('.text', HTMLElement, li).textContent = m.text;
  $('.badge', HTMLElement, li).textContent = badgeLabel(m);
  const t = $('time', HTMLTimeElement, li);
  t.dateTime = new Date(m.createdAtMs).toISOString();
  t.textContent = time(m.createdAtMs);
  $('.id', HTMLElement, li).textContent = `id ${m.id.slice(0, 8)}`;
  const detail = detailText(m);
  const detailElement = $('.detail', HTMLElement, li);
  detailElement.textContent = detail;
  detailElement.hidden = !detail;
  const failed = m.status === 'failed';
  $('.actions', HTMLElement, li).hidden = !failed;
  const label = m.text.length > 30 ? `${m.text.slice(0, 30)}…` : m.text;
  const retry = $('.retry', HTMLButtonElement, li);
  // A message the outbox never kept can only be dropped from view.
  retry.hidden = m.reason !== undefined && NOT_KEPT.has(m.reason);
  retry.setAttribute('aria-label', `Retry “${label}”`);
  $('.discard', HTMLButtonElement, li).setAttribute('aria-label', `Discard “${label}”`);
}
