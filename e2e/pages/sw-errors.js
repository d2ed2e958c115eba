// The ready-made worker (/sw.js), with its errors forwarded to the pages.
// WebKit's MiniBrowser under --automation captures no console output, of the
// page or of the worker: the neutral specs (e2e/neutral/) register this
// script instead of /sw.js, and the harness page keeps what arrives in
// window.pageErrors for the failure report. The worker reads its options from
// its own URL's query, which importScripts leaves as this script's, so
// `/test/sw-errors.js?api=/api/chat` configures /sw.js as `/sw.js?api=/api/chat` would.
// (Its scope is /test/, where the harness pages are.)
const errorLog = new BroadcastChannel('outbox-e2e-errors');
const forward = (/** @type {string} */ kind, /** @type {unknown} */ text) => {
  try {
    errorLog.postMessage({ kind: `sw ${kind}`, text: String(text), atMs: Date.now() });
  } catch {
    // A message that cannot be cloned is not worth failing the worker over.
  }
};
const describe = (/** @type {unknown} */ value) => (value instanceof Error && value.stack) || String(value);
self.addEventListener('error', (event) => forward('error', `${event.message} (${event.filename}:${event.lineno})`));
self.addEventListener('unhandledrejection', (event) => forward('unhandledrejection', describe(event.reason)));
for (const level of /** @type {const} */ (['error', 'warn'])) {
  const original = console[level].bind(console);
  console[level] = (/** @type {unknown[]} */ ...args) => {
    forward(level, args.map(describe).join(' '));
    original(...args);
  };
}
importScripts('/sw.js');
