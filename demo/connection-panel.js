// The connection indicator: the outbox's own view of the way to the API
// (outbox.connection), learned from its traffic (online/offline events, the
// worker's answers, the health probe while the API is down), not from a
// probe of the demo's own. It says what the outbox knows: switching the API
// off with nothing to send shows nothing until a message finds it down.
import { $ } from './dom.js';

/** @typedef {import('/client.js').ConnectionState} ConnectionState */

/** @param {number} ms */
const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * The indicator's words and its `data-state` (the CSS colour and the e2e hook:
 * `ok`, `degraded` for an API answering 5xx, `down`, `offline`, `checking`).
 * @param {ConnectionState} connection
 * @returns {{ text: string, state: 'ok' | 'degraded' | 'down' | 'offline' | 'checking' }}
 */
function describe(connection) {
  switch (connection.state) {
    case 'online':
      return { text: 'Browser online · API answering', state: 'ok' };
    case 'offline':
      return {
        text: `Offline since ${clock(connection.downSinceMs)}: messages are kept on this device and sent when the network is back`,
        state: 'offline',
      };
    case 'checking':
      return { text: `Network back · checking the API (down since ${clock(connection.downSinceMs)})…`, state: 'checking' };
    case 'unreachable':
      return {
        text: `Browser online · API not answering (${connection.reason}) since ${clock(connection.downSinceMs)}`,
        state: connection.reason.startsWith('http-') ? 'degraded' : 'down',
      };
  }
}

/**
 * Shows `connection` in the page's header, now and at every change.
 * @param {import('/client.js').Outbox['connection']} connection
 */
export function showConnection(connection) {
  connection.subscribe((state) => {
    const { text, state: shown } = describe(state);
    $('#connection-text', HTMLElement).textContent = text;
    $('#connection', HTMLElement).dataset.state = shown;
  });
}
