// The demo's view of the server: outage switch and what was stored. It talks
// to the server directly, not through the outbox, so it keeps working (and
// telling the truth) whatever state the outbox is in. The connection
// indicator is the outbox's own view (connection-panel.js).
import { announce } from './announce.js';
import { textOfBody } from './messages.js';
import { userOfAuthorization } from './accounts.js';
import { $, $$ } from './dom.js';
import { errorMessage } from './errors.js';

/** @typedef {import('./messages.js').StoredMessage} StoredMessage */

/**
 * The modes the page offers, in words (the server has more, for tests: they show as unknown).
 * @type {Partial<Record<string, { label: string, text: string }>>}
 */
const MODES = {
  up: { label: 'Up', text: 'The API answers normally.' },
  unreachable: {
    label: 'Unreachable',
    text: 'Connections to the API are dropped without an answer, as in a network outage.',
  },
  503: { label: '503', text: 'The API answers “503 Service Unavailable”, as an overloaded server would.' },
};

/** @type {StoredMessage[]} */
let stored = [];
let storedJson = '';
/** @type {string | null} */
let shownMode = null;

/** @param {string} url @param {RequestInit} [init] */
const fetchFresh = (url, init = {}) => fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(4000), ...init });

/**
 * The demo server's JSON answer at `url` (the shapes are demo/server.mjs's).
 * @param {string} url
 * @returns {Promise<unknown>}
 */
async function getJson(url) {
  const res = await fetchFresh(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}

/** @param {string} mode */
function renderMode(mode) {
  for (const button of $$('button[data-mode]', HTMLButtonElement)) {
    button.setAttribute('aria-pressed', String(button.dataset.mode === mode));
  }
  $('#mode-text', HTMLElement).textContent = MODES[mode]?.text ?? `Unknown mode ${mode}`;
  // Say it when it changes, wherever the change came from (a button, another tab, a test).
  if (shownMode !== null && shownMode !== mode) announce(`Demo API is now ${MODES[mode]?.label ?? mode}`);
  shownMode = mode;
}

/** @param {string} mode */
async function setMode(mode) {
  try {
    const res = await fetchFresh('/__demo/mode', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ mode }),
    });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error ?? `answered ${res.status}`);
    renderMode(body.mode);
  } catch (err) {
    $('#mode-text', HTMLElement).textContent = `Could not switch the mode: ${errorMessage(err)}`;
  }
}

/** @param {number} ms */
const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function renderStored() {
  const list = $('#stored', HTMLOListElement);
  list.replaceChildren(...stored.map((m) => {
    const li = document.createElement('li');
    li.innerHTML = '<span class="seq"></span><span class="text"></span><span class="meta"><span class="who"></span> · <span class="key"></span> <time></time></span>';
    // Who the server saw: the Authorization each message arrived with.
    const auth = m.headers?.authorization;
    const who = $('.who', HTMLElement, li);
    if (auth === undefined) {
      who.textContent = 'no Authorization';
      who.title = 'The message arrived without an Authorization header';
      who.dataset.user = 'none';
    } else {
      const token = auth.replace(/^Bearer /, '');
      who.textContent = `from ${userOfAuthorization(auth) ?? 'an unknown token'} (${token.length > 24 ? `${token.slice(0, 24)}…` : token})`;
      who.title = `Authorization: ${auth}`;
      who.dataset.user = (userOfAuthorization(auth) ?? 'unknown').toLowerCase();
    }
    $('.seq', HTMLElement, li).textContent = `#${m.seq}`;
    $('.text', HTMLElement, li).textContent = textOfBody(m.bodyText);
    const key = $('.key', HTMLElement, li);
    key.textContent = `id ${m.key.slice(0, 8)}`;
    key.title = `Idempotency-Key ${m.key}`;
    $('time', HTMLTimeElement, li).textContent = clock(m.receivedAtMs);
    return li;
  }));
  const keys = new Set(stored.map((m) => m.key));
  const twice = stored.length - keys.size;
  const summary = $('#stored-summary', HTMLElement);
  summary.textContent = stored.length === 0
    ? 'Nothing stored yet.'
    : `${stored.length} message${stored.length === 1 ? '' : 's'}, in arrival order. ` +
      (twice ? `Warning: ${twice} stored more than once!` : 'None stored twice.');
  summary.classList.toggle('warning', twice > 0);
}

async function pollServer() {
  try {
    const [messages, state] = await Promise.all([getJson('/api/messages'), getJson('/__demo/state')]);
    renderMode(/** @type {{ mode: string }} */ (state).mode);
    const json = JSON.stringify(messages);
    // Re-render only on change, so the list doesn't flicker or lose selection.
    if (json !== storedJson) {
      storedJson = json;
      stored = /** @type {StoredMessage[]} */ (messages);
      renderStored();
    }
  } catch (err) {
    $('#stored-summary', HTMLElement).textContent = `Could not reach the demo server (${errorMessage(err)}).`;
  }
  setTimeout(pollServer, 1000);
}

export function startServerPanel() {
  for (const button of $$('button[data-mode]', HTMLButtonElement)) {
    const mode = button.dataset.mode;
    if (mode !== undefined) button.addEventListener('click', () => setMode(mode));
  }
  pollServer();
}
