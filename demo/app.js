// The demo chat: every message goes through the outbox, and the page shows
// what the outbox says about it, by id, until it is delivered or given up.
import { announce } from './announce.js';
import { createMessageElement, renderMessage, textOfBody, badgeLabel, explainReason } from './messages.js';
import { startServerPanel, storedMessages } from './server-panel.js';
import { Accounts, nameOf } from './accounts.js';

const $ = (id) => document.getElementById(id);
const MAX_CHARS = 2000;
// How far along a message is; used so a late send() answer can't undo newer news.
const RANK = { queued: 0, sending: 1, delivered: 2, failed: 2 };

let outbox = null;
// Who is signed in: the outbox's namespace, and the token sent with each message.
const accounts = new Accounts();
const entries = [];
const byId = new Map();
// Status events for ids this page doesn't show yet (another tab's messages, or
// events that arrive before the first list() is in).
const unclaimed = new Map();
let loaded = false;

const shortText = (text) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

function announceStatus(entry) {
  const what = `Message “${shortText(entry.text)}”`;
  if (entry.status === 'delivered') announce(`${what} delivered`);
  if (entry.status === 'queued') announce(`${what} queued; it will be sent when the server answers`);
  if (entry.status === 'failed') announce(`${what} failed: ${explainReason(entry.reason) || badgeLabel(entry)}`);
}

function renderCounts() {
  const pending = entries.filter((e) => e.status === 'queued' || e.status === 'sending').length;
  const failed = entries.filter((e) => e.status === 'failed').length;
  const waiting = pending === 0
    ? 'Nothing waiting to be sent'
    : `${pending} message${pending === 1 ? '' : 's'} waiting to be sent`;
  const el = $('pending-count');
  el.textContent = failed ? `${waiting} · ${failed} failed` : waiting;
  el.dataset.count = String(pending);
  $('flush').hidden = !outbox || pending === 0;
  $('empty-chat').hidden = entries.length > 0;
}

/** Runs `change`, then keeps the newest message in view if it was in view before, as chats do. */
function keepingBottom(change) {
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  change();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function addEntry(fields) {
  const entry = { id: null, status: 'sending', attempts: 0, createdAtMs: Date.now(), ...fields };
  entry.el = createMessageElement({ onRetry: () => retry(entry), onDiscard: () => discard(entry) });
  entries.push(entry);
  if (entry.id) byId.set(entry.id, entry);
  renderMessage(entry.el, entry);
  keepingBottom(() => $('messages').append(entry.el));
  renderCounts();
  return entry;
}

function update(entry, { status, attempts, reason, detail, updatedAtMs }) {
  // Delivered is final, and an older event must not overwrite a newer one.
  if (entry.status === 'delivered' && status !== 'delivered') return;
  if (updatedAtMs !== undefined && entry.updatedAtMs > updatedAtMs) return;
  const changed = status !== entry.status;
  Object.assign(entry, {
    status, reason, detail,
    attempts: attempts ?? entry.attempts,
    updatedAtMs: updatedAtMs ?? entry.updatedAtMs,
  });
  keepingBottom(() => renderMessage(entry.el, entry));
  renderCounts();
  if (changed) announceStatus(entry);
}

function removeEntry(entry) {
  entries.splice(entries.indexOf(entry), 1);
  byId.delete(entry.id);
  entry.el.remove();
  renderCounts();
}

function onStatusEvent(event) {
  const entry = byId.get(event.id);
  if (event.status === 'discarded') {
    unclaimed.delete(event.id);
    if (entry) {
      removeEntry(entry);
      announce(`Message “${shortText(entry.text)}” discarded`);
    }
    return;
  }
  if (entry) return update(entry, event);
  unclaimed.set(event.id, event);
  if (loaded) adoptUnclaimed();
}

let adopting = false;
/** Shows messages another tab sent, with their text when it can be found. */
async function adoptUnclaimed() {
  if (adopting || unclaimed.size === 0) return;
  adopting = true;
  try {
    const pending = await outbox.list().catch(() => []);
    for (const [id, event] of unclaimed) {
      unclaimed.delete(id);
      if (byId.has(id)) {
        update(byId.get(id), event);
        continue;
      }
      const item = pending.find((m) => m.id === id);
      const bodyText = item?.bodyText ?? storedMessages().find((m) => m.key === id)?.bodyText;
      addEntry({ ...event, text: textOfBody(bodyText) ?? '(sent from another tab)', createdAtMs: item?.createdAtMs ?? Date.now() });
    }
  } finally {
    adopting = false;
  }
}

async function send(text) {
  // The page picks the id (it is the Idempotency-Key), so the message can be
  // shown at once and every status event finds it, even before send() resolves.
  const id = crypto.randomUUID();
  const entry = addEntry({ id, text });
  let result;
  try {
    // The page's own Authorization goes with the first attempt; the outbox keeps
    // it in memory only, and replays with the user's current credentials.
    const headers = { 'Idempotency-Key': id, Authorization: accounts.authorization() };
    result = await outbox.send('/api/chat', { text }, { headers });
  } catch (err) {
    // send() only throws when the outbox itself is broken; keep the text visible anyway.
    result = { id, status: 'failed', reason: err.name || 'error', detail: err.message };
  }
  if (result.id && result.id !== entry.id) {
    byId.delete(entry.id);
    entry.id = result.id;
    byId.set(entry.id, entry);
  }
  // Events may already have told us more than this answer (a replay under way).
  if (entry.updatedAtMs === undefined || RANK[result.status] >= RANK[entry.status]) update(entry, result);
}

async function retry(entry) {
  const before = { status: entry.status, reason: entry.reason, detail: entry.detail };
  update(entry, { status: 'queued' });
  try {
    update(entry, await outbox.retry(entry.id));
  } catch (err) {
    const why = err.name === 'UnknownMessageError'
      ? 'It is no longer in the outbox (discarded in another tab?)'
      : `Retry did not work: ${err.message}`;
    update(entry, { ...before, detail: why });
  }
}

async function discard(entry) {
  if (entry.id) {
    try {
      await outbox.discard(entry.id);
    } catch (err) {
      // Unknown means it is already gone, which is what we wanted.
      if (err.name !== 'UnknownMessageError') {
        update(entry, { ...entry, detail: `Discard did not work: ${err.message}` });
        return;
      }
    }
  }
  // The focused button is about to disappear; don't strand keyboard users.
  $('text').focus();
  if (!entries.includes(entry)) return; // its 'discarded' event came first
  removeEntry(entry);
  announce(`Message “${shortText(entry.text)}” discarded`);
}

function setUpComposer() {
  const form = $('composer');
  const textarea = $('text');
  const count = () => {
    const n = [...textarea.value].length;
    $('char-count').textContent = n > MAX_CHARS
      ? `${n} / ${MAX_CHARS}: too long, the server will refuse it`
      : `${n} / ${MAX_CHARS}`;
    $('char-count').classList.toggle('over', n > MAX_CHARS);
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
    if (!outbox || text.trim() === '') return;
    textarea.value = '';
    count();
    textarea.focus();
    send(text);
  });
}

function showProblem(summary, err, hint = '') {
  const box = $('startup-error');
  const title = document.createElement('strong');
  title.textContent = `${summary} `;
  box.replaceChildren(title, hint ? `${hint} ` : '', `(${err?.name ?? 'Error'}: ${err?.message ?? err})`);
  box.hidden = false;
}

function showStartupError(err, phase) {
  let hint = 'Reloading the page may help.';
  if (phase === 'load') hint = 'Could not load /client.js. Run `npm run build`, then reload.';
  else if (!('serviceWorker' in navigator)) {
    hint = 'This browser does not offer service workers here. They need https, localhost or 127.0.0.1, '
      + 'and some private windows block them.';
  }
  showProblem('The outbox could not start.', err, hint);
  $('startup').hidden = true;
  document.documentElement.dataset.outbox = 'error';
}

/** Shows the signed-in user's messages (queued and failed ones come from the outbox, per user). */
async function loadList() {
  for (const item of await outbox.list()) {
    if (byId.has(item.id)) continue;
    addEntry({ ...item, text: textOfBody(item.bodyText) ?? '(no text)' });
  }
}

function renderAccount() {
  const user = accounts.current;
  for (const button of document.querySelectorAll('[data-user]')) {
    button.setAttribute('aria-pressed', String(button.dataset.user === user));
  }
  $('chat-user').textContent = `as ${nameOf(user)}`;
  $('sign-out').textContent = `Sign out ${nameOf(user)}`;
  const expired = accounts.expired();
  $('sign-in-again').hidden = !expired;
  $('expire-token').hidden = expired || accounts.valid === null;
  const text = $('account-text');
  text.textContent = expired
    ? `${nameOf(user)}'s token has expired: the server answers 401, so ${nameOf(user)}'s messages wait, queued, until “Sign in again”.`
    : `Signed in as ${nameOf(user)}. Switching user leaves each user's unsent messages waiting for them; signing out deletes them from this browser.`;
  text.classList.toggle('warning', expired);
  document.documentElement.dataset.user = user;
}

let switching = false;
/** Switches the page to `user`; with `purge`, the current user's unsent messages are deleted first (sign-out). */
async function switchUser(user, { purge = false } = {}) {
  if (switching || (!purge && user === accounts.current)) return;
  switching = true;
  const buttons = document.querySelectorAll('[data-user], #sign-out');
  for (const b of buttons) b.disabled = true;
  const before = accounts.current;
  try {
    const removed = purge ? await outbox.purge() : 0;
    accounts.switchTo(user);
    await outbox.setNamespace(user, accounts.credentials(user));
    entries.length = 0;
    byId.clear();
    unclaimed.clear();
    $('messages').replaceChildren();
    await loadList();
    renderCounts();
    renderAccount();
    const gone = purge ? `Signed out ${nameOf(before)}${removed ? `: ${removed} unsent message${removed === 1 ? '' : 's'} deleted from this browser` : ''}. ` : '';
    announce(`${gone}Signed in as ${nameOf(user)}`);
  } catch (err) {
    accounts.switchTo(outbox.namespace || before);
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
    await outbox.setCredentials(accounts.credentials());
    renderAccount();
    announce(`${nameOf(accounts.current)} signed in again`);
  } catch (err) {
    showProblem('Could not sign in again.', err);
  }
}

function setUpAccounts() {
  for (const button of document.querySelectorAll('[data-user]')) {
    button.addEventListener('click', () => switchUser(button.dataset.user));
  }
  $('sign-out').addEventListener('click', () => switchUser(accounts.other(), { purge: true }));
  $('expire-token').addEventListener('click', expireToken);
  $('sign-in-again').addEventListener('click', signInAgain);
  // Another tab (or the server) may change which tokens are valid.
  setInterval(() => accounts.refresh().then(renderAccount), 3000);
}

async function start() {
  setUpComposer();
  startServerPanel();
  const slow = setTimeout(() => {
    $('startup').textContent = 'Still waiting for the service worker to take control of this page…';
  }, 8000);

  let createOutbox;
  try {
    ({ createOutbox } = await import('/client.js'));
  } catch (err) {
    clearTimeout(slow);
    return showStartupError(err, 'load');
  }
  await accounts.refresh();
  renderAccount();
  try {
    outbox = await createOutbox({
      serviceWorker: '/sw.js?api=/api/chat',
      health: '/api/health',
      healthIntervalMs: 30000,
      namespace: accounts.current,
      credentials: accounts.credentials(),
    });
  } catch (err) {
    clearTimeout(slow);
    return showStartupError(err, 'create');
  }
  clearTimeout(slow);
  window.outbox = outbox;

  // Subscribe before listing so nothing that changes in between is missed.
  outbox.subscribe(onStatusEvent);
  try {
    await loadList();
  } catch (err) {
    // Not fatal: new messages still work, only older queued ones aren't shown.
    showProblem('Could not read the messages already queued.', err);
  }
  loaded = true;
  adoptUnclaimed();

  $('startup').hidden = true;
  $('send').disabled = false;
  $('flush').addEventListener('click', () => outbox.flush().catch((err) => announce(`Could not retry now: ${err.message}`)));
  setUpAccounts();
  renderCounts();
  document.documentElement.dataset.outbox = 'ready';
}

start();
