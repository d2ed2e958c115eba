// How one chat message looks. Kept apart from the outbox wiring so the
// status words live in one place.

const REASONS = {
  network: 'the server could not be reached',
  timeout: 'the server took too long to answer',
  expired: 'it waited too long in the queue, so it was given up',
  storage: 'the browser could not store it',
  'too-large': 'it is too large to send',
  corrupt: 'its stored copy was damaged',
  'no-worker': 'no service worker controls this page, so it was not kept',
  auth: 'the server did not accept the sign-in (401)',
};
// For these the outbox kept nothing, so there is nothing to retry.
const NOT_KEPT = new Set(['storage', 'too-large', 'no-worker']);

export function explainReason(reason) {
  if (!reason) return '';
  const http = /^http-(\d{3})$/.exec(reason);
  if (http) return `the server answered ${http[1]}`;
  return REASONS[reason] ?? reason;
}

/** The chat text inside a stored body, or the body itself when it isn't our JSON. */
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

export function badgeLabel({ status, reason }) {
  switch (status) {
    case 'queued': return reason === 'auth' ? 'Waiting for sign-in' : 'Queued';
    case 'sending': return 'Sending';
    case 'relayed': return 'Relayed';
    case 'delivered': return 'Delivered';
    case 'failed': return reason ? `Failed: ${reason}` : 'Failed';
    default: return status;
  }
}

function detailText(m) {
  if (m.status === 'failed') {
    const why = explainReason(m.reason);
    const parts = [why && why[0].toUpperCase() + why.slice(1), m.detail].filter(Boolean);
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

const time = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** Creates the <li> for a message; call `renderMessage` to fill it. */
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
  li.querySelector('.retry').addEventListener('click', onRetry);
  li.querySelector('.discard').addEventListener('click', onDiscard);
  return li;
}

export function renderMessage(li, m) {
  li.dataset.status = m.status;
  if (m.id) li.dataset.id = m.id;
  li.querySelector('.text').textContent = m.text;
  li.querySelector('.badge').textContent = badgeLabel(m);
  const t = li.querySelector('time');
  t.dateTime = new Date(m.createdAtMs).toISOString();
  t.textContent = time(m.createdAtMs);
  li.querySelector('.id').textContent = m.id ? `id ${m.id.slice(0, 8)}` : '';
  const detail = detailText(m);
  li.querySelector('.detail').textContent = detail;
  li.querySelector('.detail').hidden = !detail;
  const failed = m.status === 'failed';
  li.querySelector('.actions').hidden = !failed;
  // A message the outbox never kept can only be dropped from view.
  li.querySelector('.retry').hidden = !m.id || NOT_KEPT.has(m.reason);
  const label = m.text.length > 30 ? `${m.text.slice(0, 30)}…` : m.text;
  li.querySelector('.retry').setAttribute('aria-label', `Retry “${label}”`);
  li.querySelector('.discard').setAttribute('aria-label', `Discard “${label}”`);
}
