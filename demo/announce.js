// One polite live region for every status change. Changes that land together
// (a queue draining) are read as one sentence instead of cutting each other off.
import { $ } from './dom.js';

const region = $('#announcer', HTMLElement);
/** @type {string[]} */
let waiting = [];
/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;

/** @param {string} text */
export function announce(text) {
  waiting.push(text);
  timer ??= setTimeout(() => {
    region.textContent = waiting.join('. ');
    waiting = [];
    timer = undefined;
  }, 300);
}
