// One polite live region for every status change. Changes that land together
// (a queue draining) are read as one sentence instead of cutting each other off.

const region = document.getElementById('announcer');
let waiting = [];
let timer = 0;

export function announce(text) {
  waiting.push(text);
  timer ||= setTimeout(() => {
    region.textContent = waiting.join('. ');
    waiting = [];
    timer = 0;
  }, 300);
}
