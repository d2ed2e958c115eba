// The demo chat: the server's record of the conversation and the outbox's
// pending messages as one list (MessageHistory, dist/history.js), by id and by
// the sender's time. A message stays in place from "Sending" to "Queued" to
// "Delivered"; with the app shell (`shell=` below) the page, its queue and the
// last known history come back on a reload with the network gone.
import { announce } from './announce.js';
import { createMessageElement, renderMessage, textOfBody, badgeLabel, explainReason } from './messages.js';
import { startServerPanel } from './server-panel.js';
import { showConnection } from './connection-panel.js';
import { Accounts, isUserId, nameOf, userOfAuthorization } from './accounts.js';
import { showStorage } from './storage-panel.js';
import { $, $$ } from './dom.js';
import { errorMessage, errorName } from './errors.js';

/** @typedef {import('./messages.js').MessageView} MessageView */
/** @typedef {import('./messages.js').StoredMessage} StoredMessage */
/** @typedef {import('./accounts.js').UserId} UserId */
/** @typedef {import('/client.js').OutboxEvent} OutboxEvent */

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

/**
 * What the page has once the outbox started.
 * @typedef {object} Chat
 * @property {import('/client.js').Outbox} outbox
 * @property {import('/history.js').MessageHistory<ServerItem>} conversation the server's record and the outbox's messages, merged
 * @property {typeof import('/history.js')} history
 */

const MAX_CHARS = 2000;
const HISTORY_URL = '/api/messages';
// What the page needs offline: the page, its modules, the client and its helpers.
const SHELL = ['/', '/style.css', '/app.js', '/announce.js', '/messages.js', '/server-panel.js', '/accounts.js', '/storage-panel.js', '/connection-panel.js', '/dom.js', '/errors.js', '/client.js', '/history.js', '/storage.js'];

/** @type {Chat | undefined} set once, by start() */
let chat;
// Who is signed in: the outbox's namespace, and the token sent with each message.
const accounts = new Accounts();
/** @type {Map<string, HTMLLIElement>} The <li> of each message shown, by id, so an update changes it in place. */
const elements = new Map();
/** @type {Map<string, string>} The status last announced per id (a screen reader hears each change once). */
const announced = new Map();
/**
 * The server's record: fresh, or the copy kept from the last time it answered.
 * @type {{ fresh: boolean, fetchedAtMs: number | undefined, loaded: boolean }}
 */
let historyState = { fresh: false, fetchedAtMs: undefined, loaded: false };

/**
 * The started chat. Only what start() sets up after it exists calls this
 * (the message buttons, the account buttons, the outbox's events).
 */
function ready() {
  if (chat === undefined) throw new Error('The chat has not started yet');
  return chat;
}

/** @param {string} text */
const shortText = (text) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

/**
 * The sender's time the page put in the body (so the server's copy sorts where the local one was).
 * @param {string | undefined} bodyText
 * @returns {number | undefined}
 */
function sentAtOfBody(bodyText) {
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
function parseServerList(json) {
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

/** @param {MessageView} view */
function announceStatus(view) {
  const what = `Message “${shortText(view.text)}”`;
  if (view.status === 'delivered') announce(`${what} delivered`);
  if (view.status === 'queued') announce(`${what} queued; it will be sent when the server answers`);
  if (view.status === 'failed') announce(`${what} failed: ${explainReason(view.reason) || badgeLabel(view)}`);
}

/**
 * A history entry as messages.js draws it.
 * @param {Entry} entry
 * @returns {MessageView}
 */
function viewOf(entry) {
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

/**
 * The signed-in user's conversation: their messages the server has, and everything pending here (it is theirs).
 * @param {Chat['conversation']} conversation
 */
function visibleEntries(conversation) {
  const me = nameOf(accounts.current);
  return conversation.entries().filter((e) => !e.server || e.server.user === me || e.server.user === null);
}

/** @param {Entry[]} entries */
function renderCounts(entries) {
  const pending = entries.filter((e) => e.status === 'queued' || e.status === 'sending').length;
  const failed = entries.filter((e) => e.status === 'failed').length;
  const waiting = pending === 0
    ? 'Nothing waiting to be sent'
    : `${pending} message${pending === 1 ? '' : 's'} waiting to be sent`;
  const el = $('#pending-count', HTMLElement);
  el.textContent = failed ? `${waiting} · ${failed} failed` : waiting;
  el.dataset.count = String(pending);
  $('#flush', HTMLButtonElement).hidden = chat === undefined || pending === 0;
  $('#empty-chat', HTMLElement).hidden = entries.length > 0;
}

function renderHistoryNote() {
  const note = $('#history-note', HTMLElement);
  const { fresh, fetchedAtMs, loaded } = historyState;
  const at = fetchedAtMs ? new Date(fetchedAtMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : null;
  note.dataset.fresh = String(fresh);
  note.textContent = !loaded
    ? 'Loading the conversation…'
    : fresh
      ? 'Conversation as the server has it, with your unsent messages in place.'
      : at
        ? `The server cannot be reached: the conversation as of ${at}, with your unsent messages in place.`
        : 'The server cannot be reached and no earlier copy is kept: only your unsent messages are shown.';
}

/**
 * Runs `change`, then keeps the newest message in view if it was in view before, as chats do.
 * @param {() => void} change
 */
function keepingBottom(change) {
  const list = $('#messages', HTMLOListElement);
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  change();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/** Draws the merged list: each message keeps its element; only what changed moves or changes. */
function render() {
  if (chat === undefined) return;
  const entries = visibleEntries(chat.conversation);
  keepingBottom(() => {
    const list = $('#messages', HTMLOListElement);
    const shown = new Set();
    let at = list.firstElementChild;
    for (const entry of entries) {
      shown.add(entry.id);
      let li = elements.get(entry.id);
      if (!li) {
        const id = entry.id;
        li = createMessageElement({ onRetry: () => retry(id), onDiscard: () => discard(id) });
        elements.set(id, li);
      }
      const view = viewOf(entry);
      renderMessage(li, view);
      if (li !== at) list.insertBefore(li, at);
      else at = at.nextElementSibling;
      const before = announced.get(entry.id);
      // Announce changes of messages sent here; not the whole history on load.
      if (entry.local && before !== undefined && before !== view.status) announceStatus(view);
      announced.set(entry.id, view.status);
    }
    for (const [id, li] of elements) {
      if (shown.has(id)) continue;
      li.remove();
      elements.delete(id);
    }
  });
  renderCounts(entries);
}

/** @type {Promise<void> | null} */
let listing = null;
/** Learns time and text of messages this page heard of only by their events (another tab's). */
function relist() {
  const { outbox, conversation } = ready();
  listing ??= outbox.list().then((pending) => conversation.setPending(pending)).catch(() => undefined).finally(() => {
    listing = null;
    render();
  });
  return listing;
}

/** @param {OutboxEvent} event */
function onStatusEvent(event) {
  const { conversation } = ready();
  const mine = conversation.entries().find((e) => e.id === event.id && e.local);
  if (event.status === 'discarded' && mine !== undefined) announce(`Message “${shortText(viewOf(mine).text)}” discarded`);
  const known = conversation.update(event);
  render();
  if (!known) relist();
  // Delivered: the server's record has it now; fetch it so the entry turns into the server's copy.
  if (event.status === 'delivered') refreshHistorySoon();
}

/** @type {Promise<void> | null} */
let refreshing = null;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let refreshTimer;
/** GETs the server's record (or its kept copy when the server cannot be reached) and merges it in. */
function refreshHistory() {
  const { history, conversation } = ready();
  refreshing ??= history
    .fetchHistory(HISTORY_URL, { parse: parseServerList, timeoutMs: 4000 })
    .then(({ items, fresh, fetchedAtMs }) => {
      // A failed fetch while the page already has a fresh list keeps what it has.
      if (fresh || !historyState.fresh) {
        conversation.setServer(items);
        historyState = { fresh, fetchedAtMs, loaded: true };
      } else {
        historyState = { ...historyState, fresh: false };
      }
      renderHistoryNote();
      render();
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function refreshHistorySoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshHistory, 200);
}

/** @param {string} text */
async function send(text) {
  const { outbox, conversation } = ready();
  // The page picks the id (it is the Idempotency-Key), so the message can be
  // shown at once and every status event finds it, even before send() resolves.
  const id = crypto.randomUUID();
  // The sender's time travels in the body: the server's copy sorts where this one was.
  const body = { text, sentAtMs: Date.now() };
  conversation.sent({ id, sentAtMs: body.sentAtMs, bodyText: JSON.stringify(body) });
  render();
  /** @type {Parameters<Chat['conversation']['sendResult']>[0]} */
  let result;
  try {
    // The page's own Authorization goes with the first attempt; the outbox keeps
    // it in memory only, and replays with the user's current credentials.
    const headers = { 'Idempotency-Key': id, Authorization: accounts.authorization() };
    result = await outbox.send('/api/chat', body, { headers });
  } catch (err) {
    // send() only throws when the outbox itself is broken; keep the text visible anyway.
    result = { id, status: 'failed', detail: `${errorName(err)}: ${errorMessage(err)}` };
  }
  conversation.sendResult({ ...result, id });
  render();
  if (result.status === 'delivered') refreshHistorySoon();
}

/** @param {string} id */
async function retry(id) {
  const { outbox, conversation } = ready();
  try {
    conversation.update(await outbox.retry(id));
  } catch (err) {
    const why = errorName(err) === 'UnknownMessageError'
      ? 'It is no longer in the outbox (discarded in another tab?)'
      : `Retry did not work: ${errorMessage(err)}`;
    const entry = conversation.entries().find((e) => e.id === id);
    if (entry?.local) conversation.sendResult({ id, status: 'failed', reason: entry.local.reason, detail: why });
  }
  render();
}

/** @param {string} id */
async function discard(id) {
  const { outbox, conversation } = ready();
  const entry = conversation.entries().find((e) => e.id === id);
  try {
    await outbox.discard(id);
  } catch (err) {
    // Unknown means it is already gone (or was never kept), which is what we wanted.
    if (errorName(err) !== 'UnknownMessageError') {
      if (entry?.local) conversation.sendResult({ id, status: 'failed', reason: entry.local.reason, detail: `Discard did not work: ${errorMessage(err)}` });
      render();
      return;
    }
  }
  // The focused button is about to disappear; don't strand keyboard users.
  $('#text', HTMLTextAreaElement).focus();
  if (!conversation.entries().some((e) => e.id === id && e.local)) return; // its 'discarded' event came first
  conversation.update({ id, namespace: outbox.namespace, status: 'discarded', attempts: entry?.local?.attempts ?? 0, updatedAtMs: Date.now() });
  render();
  if (entry) announce(`Message “${shortText(viewOf(entry).text)}” discarded`);
}

function setUpComposer() {
  const form = $('#composer', HTMLFormElement);
  const textarea = $('#text', HTMLTextAreaElement);
  const counter = $('#char-count', HTMLElement);
  const count = () => {
    const n = [...textarea.value].length;
    counter.textContent = n > MAX_CHARS
      ? `${n} / ${MAX_CHARS}: too long, the server will refuse it`
      : `${n} / ${MAX_CHARS}`;
    counter.classList.toggle('over', n > MAX_CHARS);
  };
  textarea.addEventListener('input', count);
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.ctrlKey && !e.altKey && !e.metaKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = textarea.value;
    if (chat === undefined || text.trim() === '') return;
    textarea.value = '';
    count();
    textarea.focus();
    send(text);
  });
}

/** @param {string} summary @param {unknown} err @param {string} [hint] */
function showProblem(summary, err, hint = '') {
  const box = $('#startup-error', HTMLElement);
  const title = document.createElement('strong');
  title.textContent = `${summary} `;
  box.replaceChildren(title, hint ? `${hint} ` : '', `(${errorName(err)}: ${errorMessage(err)})`);
  box.hidden = false;
}

/** @param {unknown} err @param {'load' | 'create'} phase */
function showStartupError(err, phase) {
  let hint = 'Reloading the page may help.';
  if (phase === 'load') hint = 'Could not load /client.js. Run `npm run build`, then reload.';
  else if (!('serviceWorker' in navigator)) {
    hint = 'This browser does not offer service workers here. They need https, localhost or 127.0.0.1, '
      + 'and some private windows block them.';
  }
  showProblem('The outbox could not start.', err, hint);
  $('#startup', HTMLElement).hidden = true;
  // The indicator is the outbox's view (connection-panel.js): there is none.
  $('#connection-text', HTMLElement).textContent = 'Connection not known: the outbox did not start';
  document.documentElement.dataset.outbox = 'error';
}

/** The signed-in user's unsent messages (queued and failed, from the outbox, per user) into the list. */
async function loadList() {
  const { outbox, conversation } = ready();
  conversation.setPending(await outbox.list());
  render();
}

function renderAccount() {
  const user = accounts.current;
  for (const button of $$('button[data-user]', HTMLButtonElement)) {
    button.setAttribute('aria-pressed', String(button.dataset.user === user));
  }
  $('#chat-user', HTMLElement).textContent = `as ${nameOf(user)}`;
  $('#sign-out', HTMLButtonElement).textContent = `Sign out ${nameOf(user)}`;
  const expired = accounts.expired();
  $('#sign-in-again', HTMLButtonElement).hidden = !expired;
  $('#expire-token', HTMLButtonElement).hidden = expired || accounts.valid === null;
  const text = $('#account-text', HTMLElement);
  text.textContent = expired
    ? `${nameOf(user)}'s token has expired: the server answers 401, so ${nameOf(user)}'s messages wait, queued, until “Sign in again”.`
    : `Signed in as ${nameOf(user)}. Switching user leaves each user's unsent messages waiting for them; signing out deletes them from this browser.`;
  text.classList.toggle('warning', expired);
  document.documentElement.dataset.user = user;
}

let switching = false;
/**
 * Switches the page to `user`; with `purge`, the current user's unsent messages are deleted first (sign-out).
 * @param {UserId} user
 * @param {{ purge?: boolean }} [options]
 */
async function switchUser(user, { purge = false } = {}) {
  if (switching || (!purge && user === accounts.current)) return;
  const { outbox, conversation, history } = ready();
  switching = true;
  const buttons = $$('button[data-user], #sign-out', HTMLButtonElement);
  for (const b of buttons) b.disabled = true;
  const before = accounts.current;
  try {
    const removed = purge ? await outbox.purge() : 0;
    // The copy kept for offline is this browser's, like the queue: a sign-out deletes it too.
    if (purge) history.forgetHistory(HISTORY_URL);
    accounts.switchTo(user);
    await outbox.setNamespace(user, accounts.credentials(user));
    conversation.clearLocal();
    await loadList();
    renderAccount();
    const gone = purge ? `Signed out ${nameOf(before)}${removed ? `: ${removed} unsent message${removed === 1 ? '' : 's'} deleted from this browser` : ''}. ` : '';
    announce(`${gone}Signed in as ${nameOf(user)}`);
  } catch (err) {
    accounts.switchTo(isUserId(outbox.namespace) ? outbox.namespace : before);
    renderAccount();
    showProblem('Could not switch user.', err);
  } finally {
    for (const b of buttons) b.disabled = false;
    switching = false;
  }
}

async function expireToken() {
  try {
    await accounts.expire();
    renderAccount();
    announce(`${nameOf(accounts.current)}'s token expired on the server`);
  } catch (err) {
    showProblem('Could not expire the token.', err);
  }
}

async function signInAgain() {
  try {
    await accounts.signInAgain();
    // The outbox replays with these from now on: the waiting messages go out.
    await ready().outbox.setCredentials(accounts.credentials());
    renderAccount();
    announce(`${nameOf(accounts.current)} signed in again`);
  } catch (err) {
    showProblem('Could not sign in again.', err);
  }
}

function setUpAccounts() {
  for (const button of $$('button[data-user]', HTMLButtonElement)) {
    const user = button.dataset.user;
    if (!isUserId(user)) throw new Error(`A user button names ${user}, not a demo user`);
    button.addEventListener('click', () => switchUser(user));
  }
  $('#sign-out', HTMLButtonElement).addEventListener('click', () => switchUser(accounts.other(), { purge: true }));
  $('#expire-token', HTMLButtonElement).addEventListener('click', expireToken);
  $('#sign-in-again', HTMLButtonElement).addEventListener('click', signInAgain);
  // Another tab (or the server) may change which tokens are valid.
  setInterval(() => accounts.refresh().then(renderAccount), 3000);
}

async function start() {
  setUpComposer();
  startServerPanel();
  const slow = setTimeout(() => {
    $('#startup', HTMLElement).textContent = 'Still waiting for the service worker to take control of this page…';
  }, 8000);

  /** @type {typeof import('/client.js')} */
  let client;
  /** @type {typeof import('/history.js')} */
  let history;
  try {
    client = await import('/client.js');
    history = await import('/history.js');
  } catch (err) {
    clearTimeout(slow);
    return showStartupError(err, 'load');
  }
  /** @type {Chat['conversation']} */
  const conversation = new history.MessageHistory({
    idOf: (m) => m.key,
    sentAtOf: (m) => m.sentAtMs,
    sentAtOfPending: (m) => sentAtOfBody(m.bodyText) ?? m.createdAtMs,
  });
  await accounts.refresh();
  renderAccount();
  /** @type {Chat['outbox']} */
  let outbox;
  try {
    outbox = await client.createOutbox({
      // The app shell: with the network gone a reload still shows the page, the queue and the last history.
      serviceWorker: `/sw.js?api=/api/chat&shell=${SHELL.join(',')}`,
      health: '/api/health',
      healthIntervalMs: 30000,
      namespace: accounts.current,
      credentials: accounts.credentials(),
      // Queued messages live in IndexedDB: ask the browser not to evict it.
      persist: true,
    });
  } catch (err) {
    clearTimeout(slow);
    return showStartupError(err, 'create');
  }
  clearTimeout(slow);
  chat = { outbox, conversation, history };
  window.outbox = outbox;
  showConnection(outbox.connection);

  // Subscribe before listing so nothing that changes in between is missed.
  outbox.subscribe(onStatusEvent);
  try {
    await loadList();
  } catch (err) {
    // Not fatal: new messages still work, only older queued ones aren't shown.
    showProblem('Could not read the messages already queued.', err);
  }
  await refreshHistory();
  setInterval(refreshHistory, 3000);
  addEventListener('online', refreshHistory);
  showStorage(outbox);

  $('#startup', HTMLElement).hidden = true;
  $('#send', HTMLButtonElement).disabled = false;
  $('#flush', HTMLButtonElement).addEventListener('click', () => outbox.flush().catch((err) => announce(`Could not retry now: ${errorMessage(err)}`)));
  setUpAccounts();
  render();
  document.documentElement.dataset.outbox = 'ready';
}

start();
