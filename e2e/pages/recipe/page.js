// The own-worker recipe's page: the outbox with the site's own worker
// (`?sw=` names the script, default ./sw.js). Same hooks as harness.js:
// window.outbox, window.events, window.outboxReady / window.outboxError.
window.events = [];
try {
  const { createOutbox } = await import('/client.js');
  const worker = new URLSearchParams(location.search).get('sw') ?? 'sw.js';
  const outbox = await createOutbox({ serviceWorker: new URL(worker, location.href).pathname, health: '/api/health' });
  outbox.subscribe((event) => window.events.push({ ...event, atMs: Date.now() }));
  window.outbox = outbox;
  window.outboxReady = true;
} catch (err) {
  window.outboxError = String((err instanceof Error && err.stack) || err);
}
