// The demo chat's start: the composer, the panels, and the outbox with its
// app shell (`shell=` below), so with the network gone a reload still shows
// the page, its queue and the last known history. The chat itself (the
// server's record and the outbox's messages as one list) is chat-view.js.
import { announce } from './announce.js';
import { startServerPanel } from './server-panel.js';
import { showConnection } from './connection-panel.js';
import { renderAccount, startAccountPanel } from './account-panel.js';
import { Accounts } from './accounts.js';
import { ChatView } from './chat-view.js';
import { showStorage } from './storage-panel.js';
import { $ } from './dom.js';
import { errorMessage, showProblem } from './errors.js';

const MAX_CHARS = 2000;
// What the page needs offline: the page, its modules, the client and its helpers.
const SHELL = [
  '/', '/style.css', '/app.js', '/announce.js', '/messages.js', '/entries.js', '/chat-view.js', '/server-panel.js',
  '/account-panel.js', '/accounts.js', '/storage-panel.js', '/connection-panel.js', '/dom.js', '/errors.js',
  '/client.js', '/history.js', '/storage.js',
];

// Who is signed in: the outbox's namespace, and the token sent with each message.
const accounts = new Accounts();
/** @type {ChatView | undefined} set once the outbox has started */
let view;

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
    if (view === undefined || text.trim() === '') return;
    textarea.value = '';
    count();
    textarea.focus();
    view.send(text);
  });
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
  await accounts.refresh();
  renderAccount(accounts);
  /** @type {import('/client.js').Outbox} */
  let outbox;
  try {
    outbox = await client.createOutbox({
      // The app shell: with the network gone a reload still shows the page, the queue and the last history.
      // lookup: a lost answer is asked about before a re-send, and a relayed message is followed to delivered
      // (the demo server answers /api/lookup itself; behind `npm run demo:relay` the relay does).
      serviceWorker: `/sw.js?api=/api/chat&lookup=/api/lookup&shell=${SHELL.join(',')}`,
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
  window.outbox = outbox;
  showConnection(outbox.connection);
  const chat = new ChatView({ outbox, history, accounts });
  view = chat;

  // Subscribe before listing so nothing that changes in between is missed.
  outbox.subscribe(chat.onStatusEvent);
  try {
    await chat.loadList();
  } catch (err) {
    // Not fatal: new messages still work, only older queued ones aren't shown.
    showProblem('Could not read the messages already queued.', err);
  }
  await chat.refreshHistory();
  setInterval(chat.refreshHistory, 3000);
  addEventListener('online', chat.refreshHistory);
  showStorage(outbox);

  $('#startup', HTMLElement).hidden = true;
  $('#send', HTMLButtonElement).disabled = false;
  $('#flush', HTMLButtonElement).addEventListener('click', () => outbox.flush().catch((err) => announce(`Could not retry now: ${errorMessage(err)}`)));
  startAccountPanel({ accounts, outbox, view: chat });
  chat.render();
  document.documentElement.dataset.outbox = 'ready';
}

start();
