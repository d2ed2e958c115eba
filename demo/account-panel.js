// "Who is signed in": the user switcher, sign-out (purges that user's unsent
// messages), and the demo's expire-token / sign-in-again buttons, which show
// the outbox holding messages on a 401 and sending them with new credentials.
import { announce } from './announce.js';
import { isUserId, nameOf } from './accounts.js';
import { $, $$ } from './dom.js';
import { showProblem } from './errors.js';

/** @typedef {import('./accounts.js').Accounts} Accounts */
/** @typedef {import('./accounts.js').UserId} UserId */

/**
 * What the panel works on.
 * @typedef {object} AccountParts
 * @property {Accounts} accounts
 * @property {import('/client.js').Outbox} outbox
 * @property {import('./chat-view.js').ChatView} view
 */

/** Shows who is signed in and whether the server still takes their token. @param {Accounts} accounts */
export function renderAccount(accounts) {
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
 * @param {AccountParts} parts
 * @param {UserId} user
 * @param {{ purge?: boolean }} [options]
 */
async function switchUser({ accounts, outbox, view }, user, { purge = false } = {}) {
  if (switching || (!purge && user === accounts.current)) return;
  switching = true;
  const buttons = $$('button[data-user], #sign-out', HTMLButtonElement);
  for (const b of buttons) b.disabled = true;
  const before = accounts.current;
  try {
    const removed = purge ? await outbox.purge() : 0;
    // The copy kept for offline is this browser's, like the queue: a sign-out deletes it too.
    if (purge) view.forgetHistory();
    accounts.switchTo(user);
    await outbox.setNamespace(user, accounts.credentials(user));
    await view.switchedUser();
    renderAccount(accounts);
    const gone = purge ? `Signed out ${nameOf(before)}${removed ? `: ${removed} unsent message${removed === 1 ? '' : 's'} deleted from this browser` : ''}. ` : '';
    announce(`${gone}Signed in as ${nameOf(user)}`);
  } catch (err) {
    accounts.switchTo(isUserId(outbox.namespace) ? outbox.namespace : before);
    renderAccount(accounts);
    showProblem('Could not switch user.', err);
  } finally {
    for (const b of buttons) b.disabled = false;
    switching = false;
  }
}

/** @param {AccountParts} parts */
async function expireToken({ accounts }) {
  try {
    await accounts.expire();
    renderAccount(accounts);
    announce(`${nameOf(accounts.current)}'s token expired on the server`);
  } catch (err) {
    showProblem('Could not expire the token.', err);
  }
}

/** @param {AccountParts} parts */
async function signInAgain({ accounts, outbox }) {
  try {
    await accounts.signInAgain();
    // The outbox replays with these from now on: the waiting messages go out.
    await outbox.setCredentials(accounts.credentials());
    renderAccount(accounts);
    announce(`${nameOf(accounts.current)} signed in again`);
  } catch (err) {
    showProblem('Could not sign in again.', err);
  }
}

/** Wires the panel's buttons, once the outbox has started. @param {AccountParts} parts */
export function startAccountPanel(parts) {
  const { accounts } = parts;
  for (const button of $$('button[data-user]', HTMLButtonElement)) {
    const user = button.dataset.user;
    if (!isUserId(user)) throw new Error(`A user button names ${user}, not a demo user`);
    button.addEventListener('click', () => switchUser(parts, user));
  }
  $('#sign-out', HTMLButtonElement).addEventListener('click', () => switchUser(parts, accounts.other(), { purge: true }));
  $('#expire-token', HTMLButtonElement).addEventListener('click', () => expireToken(parts));
  $('#sign-in-again', HTMLButtonElement).addEventListener('click', () => signInAgain(parts));
  // Another tab (or the server) may change which tokens are valid.
  setInterval(() => accounts.refresh().then(() => renderAccount(accounts)), 3000);
}
