// The chat: the server's record of the conversation and the outbox's pending
// messages as one list (MessageHistory, dist/history.js), by id and by the
// sender's time, drawn in place, and what the page does to it (send, retry,
// discard). A message stays in place from "Sending" to "Queued" to "Delivered".
import { announce } from './announce.js';
import { createMessageElement, renderMessage, badgeLabel, explainReason } from './messages.js';
import { nameOf } from './accounts.js';
import { $ } from './dom.js';
import { errorMessage, errorName } from './errors.js';
import { HISTORY_URL, parseServerList, sentAtOfBody, shortText, viewOf } from './entries.js';

/** @typedef {import('./messages.js').MessageView} MessageView */
/** @typedef {import('./entries.js').ServerItem} ServerItem */
/** @typedef {import('./entries.js').Entry} Entry */
/** @typedef {import('/client.js').OutboxEvent} OutboxEvent */
/** @typedef {import('/history.js').MessageHistory<ServerItem>} Conversation */

/** @param {MessageView} view */
function announceStatus(view) {
  const what = `Message “${shortText(view.text)}”`;
  if (view.status === 'delivered') announce(`${what} delivered`);
  if (view.status === 'queued') announce(`${what} queued; it will be sent when the server answers`);
  if (view.status === 'failed') announce(`${what} failed: ${explainReason(view.reason) || badgeLabel(view)}`);
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

export class ChatView {
  /** @type {import('/client.js').Outbox} */
  #outbox;
  /** @type {typeof import('/history.js')} */
  #history;
  /** @type {import('./accounts.js').Accounts} */
  #accounts;
  /** @type {Conversation} the server's record and the outbox's messages, merged */
  #conversation;
  /** @type {Map<string, HTMLLIElement>} The <li> of each message shown, by id, so an update changes it in place. */
  #elements = new Map();
  /** @type {Map<string, string>} The status last announced per id (a screen reader hears each change once). */
  #announced = new Map();
  /**
   * The server's record: fresh, or the copy kept from the last time it answered.
   * @type {{ fresh: boolean, fetchedAtMs: number | undefined, loaded: boolean }}
   */
  #historyState = { fresh: false, fetchedAtMs: undefined, loaded: false };
  /** @type {Promise<void> | null} */
  #listing = null;
  /** @type {Promise<void> | null} */
  #refreshing = null;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #refreshTimer;

  /**
   * @param {object} parts
   * @param {import('/client.js').Outbox} parts.outbox
   * @param {typeof import('/history.js')} parts.history
   * @param {import('./accounts.js').Accounts} parts.accounts who is signed in: whose messages are shown, and the token each send carries
   */
  constructor({ outbox, history, accounts }) {
    this.#outbox = outbox;
    this.#history = history;
    this.#accounts = accounts;
    /** @type {Conversation} */
    const conversation = new history.MessageHistory({
      idOf: (m) => m.key,
      sentAtOf: (m) => m.sentAtMs,
      sentAtOfPending: (m) => sentAtOfBody(m.bodyText) ?? m.createdAtMs,
    });
    this.#conversation = conversation;
  }

  /** The signed-in user's conversation: their messages the server has, and everything pending here (it is theirs). */
  #visibleEntries() {
    const me = nameOf(this.#accounts.current);
    return this.#conversation.entries().filter((e) => !e.server || e.server.user === me || e.server.user === null);
  }

  /** @param {Entry[]} entries */
  #renderCounts(entries) {
    const pending = entries.filter((e) => e.status === 'queued' || e.status === 'sending').length;
    const failed = entries.filter((e) => e.status === 'failed').length;
    const waiting = pending === 0
      ? 'Nothing waiting to be sent'
      : `${pending} message${pending === 1 ? '' : 's'} waiting to be sent`;
    const el = $('#pending-count', HTMLElement);
    el.textContent = failed ? `${waiting} · ${failed} failed` : waiting;
    el.dataset.count = String(pending);
    $('#flush', HTMLButtonElement).hidden = pending === 0;
    $('#empty-chat', HTMLElement).hidden = entries.length > 0;
  }

  #renderHistoryNote() {
    const note = $('#history-note', HTMLElement);
    const { fresh, fetchedAtMs, loaded } = this.#historyState;
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

  /** Draws the merged list: each message keeps its element; only what changed moves or changes. */
  render() {
    const entries = this.#visibleEntries();
    keepingBottom(() => {
      const list = $('#messages', HTMLOListElement);
      const shown = new Set();
      let at = list.firstElementChild;
      for (const entry of entries) {
        shown.add(entry.id);
        let li = this.#elements.get(entry.id);
        if (!li) {
          const id = entry.id;
          li = createMessageElement({ onRetry: () => this.#retry(id), onDiscard: () => this.#discard(id) });
          this.#elements.set(id, li);
        }
        const view = viewOf(entry);
        renderMessage(li, view);
        if (li !== at) list.insertBefore(li, at);
        else at = at.nextElementSibling;
        const before = this.#announced.get(entry.id);
        // Announce changes of messages sent here; not the whole history on load.
        if (entry.local && before !== undefined && before !== view.status) announceStatus(view);
        this.#announced.set(entry.id, view.status);
      }
      for (const [id, li] of this.#elements) {
        if (shown.has(id)) continue;
        li.remove();
        this.#elements.delete(id);
      }
    });
    this.#renderCounts(entries);
  }

  /** Learns time and text of messages this page heard of only by their events (another tab's). */
  #relist() {
    this.#listing ??= this.#outbox.list().then((pending) => this.#conversation.setPending(pending)).catch(() => undefined).finally(() => {
      this.#listing = null;
      this.render();
    });
    return this.#listing;
  }

  /** The outbox's status events (bound: given to `outbox.subscribe`). @param {OutboxEvent} event */
  onStatusEvent = (event) => {
    const mine = this.#conversation.entries().find((e) => e.id === event.id && e.local);
    if (event.status === 'discarded' && mine !== undefined) announce(`Message “${shortText(viewOf(mine).text)}” discarded`);
    const known = this.#conversation.update(event);
    this.render();
    if (!known) this.#relist();
    // Delivered: the server's record has it now; fetch it so the entry turns into the server's copy.
    if (event.status === 'delivered') this.#refreshHistorySoon();
  };

  /** GETs the server's record (or its kept copy when the server cannot be reached) and merges it in (bound: a timer's and an event's). */
  refreshHistory = () => {
    this.#refreshing ??= this.#history
      .fetchHistory(HISTORY_URL, { parse: parseServerList, timeoutMs: 4000 })
      .then(({ items, fresh, fetchedAtMs }) => {
        // A failed fetch while the page already has a fresh list keeps what it has.
        if (fresh || !this.#historyState.fresh) {
          this.#conversation.setServer(items);
          this.#historyState = { fresh, fetchedAtMs, loaded: true };
        } else {
          this.#historyState = { ...this.#historyState, fresh: false };
        }
        this.#renderHistoryNote();
        this.render();
      })
      .finally(() => {
        this.#refreshing = null;
      });
    return this.#refreshing;
  };

  #refreshHistorySoon() {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(this.refreshHistory, 200);
  }

  /** The signed-in user's unsent messages (queued and failed, from the outbox, per user) into the list. */
  async loadList() {
    this.#conversation.setPending(await this.#outbox.list());
    this.render();
  }

  /** After a switch of user: the list holds the new user's unsent messages, not the last one's. */
  async switchedUser() {
    this.#conversation.clearLocal();
    await this.loadList();
  }

  /** Deletes the copy of the history kept for offline: it is this browser's, like the queue (sign-out). */
  forgetHistory() {
    this.#history.forgetHistory(HISTORY_URL);
  }

  /** @param {string} text */
  async send(text) {
    const conversation = this.#conversation;
    // The page picks the id (it is the Idempotency-Key), so the message can be
    // shown at once and every status event finds it, even before send() resolves.
    const id = crypto.randomUUID();
    // The sender's time travels in the body: the server's copy sorts where this one was.
    const body = { text, sentAtMs: Date.now() };
    conversation.sent({ id, sentAtMs: body.sentAtMs, bodyText: JSON.stringify(body) });
    this.render();
    /** @type {Parameters<Conversation['sendResult']>[0]} */
    let result;
    try {
      // The page's own Authorization goes with the first attempt; the outbox keeps
      // it in memory only, and replays with the user's current credentials.
      const headers = { 'Idempotency-Key': id, Authorization: this.#accounts.authorization() };
      result = await this.#outbox.send('/api/chat', body, { headers });
    } catch (err) {
      // send() only throws when the outbox itself is broken; keep the text visible anyway.
      result = { id, status: 'failed', detail: `${errorName(err)}: ${errorMessage(err)}` };
    }
    conversation.sendResult({ ...result, id });
    this.render();
    if (result.status === 'delivered') this.#refreshHistorySoon();
  }

  /** @param {string} id */
  async #retry(id) {
    const conversation = this.#conversation;
    try {
      conversation.update(await this.#outbox.retry(id));
    } catch (err) {
      const why = errorName(err) === 'UnknownMessageError'
        ? 'It is no longer in the outbox (discarded in another tab?)'
        : `Retry did not work: ${errorMessage(err)}`;
      const entry = conversation.entries().find((e) => e.id === id);
      if (entry?.local) conversation.sendResult({ id, status: 'failed', reason: entry.local.reason, detail: why });
    }
    this.render();
  }

  /** @param {string} id */
  async #discard(id) {
    const conversation = this.#conversation;
    const entry = conversation.entries().find((e) => e.id === id);
    try {
      await this.#outbox.discard(id);
    } catch (err) {
      // Unknown means it is already gone (or was never kept), which is what we wanted.
      if (errorName(err) !== 'UnknownMessageError') {
        if (entry?.local) conversation.sendResult({ id, status: 'failed', reason: entry.local.reason, detail: `Discard did not work: ${errorMessage(err)}` });
        this.render();
        return;
      }
    }
    // The focused button is about to disappear; don't strand keyboard users.
    $('#text', HTMLTextAreaElement).focus();
    if (!conversation.entries().some((e) => e.id === id && e.local)) return; // its 'discarded' event came first
    conversation.update({ id, namespace: this.#outbox.namespace, status: 'discarded', attempts: entry?.local?.attempts ?? 0, updatedAtMs: Date.now() });
    this.render();
    if (entry) announce(`Message “${shortText(viewOf(entry).text)}” discarded`);
  }
}
