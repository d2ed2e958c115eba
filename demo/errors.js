// What the page shows of a caught value: a `catch` receives `unknown`
// (anything can be thrown), the page wants a name and a sentence.
import { $ } from './dom.js';

/** @param {unknown} error @returns {string} */
export const errorMessage = (error) => (error instanceof Error ? error.message : String(error));

/** @param {unknown} error @returns {string} */
export const errorName = (error) => (error instanceof Error ? error.name : 'Error');

/**
 * Shows a problem in the page's alert box (`#startup-error`, role=alert), with what was thrown.
 * @param {string} summary what did not work
 * @param {unknown} err
 * @param {string} [hint] what may help
 */
export function showProblem(summary, err, hint = '') {
  const box = $('#startup-error', HTMLElement);
  const title = document.createElement('strong');
  title.textContent = `${summary} `;
  box.replaceChildren(title, hint ? `${hint} ` : '', `(${errorName(err)}: ${errorMessage(err)})`);
  box.hidden = false;
}
