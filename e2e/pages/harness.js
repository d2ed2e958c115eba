// The page the end-to-end tests drive. Query parameters:
//   sw=<worker URL>  the service worker to register (default /sw.js?api=/api/chat)
//   probe=0          create the outbox without `health`, so no health probe runs
//   healthMs=<ms>    healthIntervalMs for the probe
//   online=0         swallow the window's `online` event before the client sees it
// It sets window.outbox, records every subscribe event in window.events and
// then sets window.outboxReady = true (or window.outboxError on failure).
const params = new URLSearchParams(location.search);
window.events = [];

if (params.get('online') === '0') {
  // Registered before the client exists, in the capture phase: at the target,
  // capture listeners run first, and stopping here keeps every later one out.
  window.addEventListener('online', (event) => event.stopImmediatePropagation(), true);
  Object.defineProperty(window, 'ononline', { configurable: true, get: () => null, set: () => {} });
}

try {
  const { createOutbox } = await import('/client.js');
  const options = { serviceWorker: params.get('sw') || '/sw.js?api=/api/chat' };
  if (params.get('probe') !== '0') options.health = '/api/health';
  if (params.get('healthMs')) options.healthIntervalMs = Number(params.get('healthMs'));
  const outbox = await createOutbox(options);
  window.outbox = outbox;
  outbox.subscribe((event) => {
    window.events.push({ ...event, atMs: Date.now() });
  });
  window.outboxReady = true;
} catch (err) {
  window.outboxError = String((err && err.stack) || err);
  console.error('harness:', window.outboxError);
}
