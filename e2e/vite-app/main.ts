// A small Vite app (e2e/sites/vite.spec.ts runs it in `vite` dev and
// after `vite build`): the worker is the package's, served and emitted by
// outbox/vite at /sw.js (or, with `?own=module`, own-sw.js as Vite's dev
// server serves it); the API is proxied by Vite to the test's server.
// For the spec it sets window.outbox, window.events (every status event) and
// window.outboxReady (or window.outboxError), as e2e/pages/harness.js does.
import { createOutbox, type OutboxEvent } from 'outbox/client';

const list = document.querySelector<HTMLUListElement>('#messages')!;
const form = document.querySelector<HTMLFormElement>('#composer')!;
const input = form.querySelector<HTMLInputElement>('input')!;
const events: Array<OutboxEvent & { atMs: number }> = [];

function show(id: string, status: string, text?: string): void {
  let item = list.querySelector<HTMLLIElement>(`[data-id="${CSS.escape(id)}"]`);
  if (!item) {
    item = document.createElement('li');
    item.dataset.id = id;
    list.append(item);
  }
  if (text !== undefined) item.dataset.text = text;
  item.dataset.status = status;
  item.textContent = `${item.dataset.text ?? ''} (${status})`;
}

try {
  // `?own=module`: the own worker of own-sw.js, served by Vite's dev server as an ES module.
  const own = new URLSearchParams(location.search).get('own') === 'module';
  const outbox = await createOutbox(
    own
      ? { serviceWorker: '/own-sw.js', type: 'module', health: '/api/health' }
      : { serviceWorker: '/sw.js?api=/api/chat', health: '/api/health' },
  );
  outbox.subscribe((event) => {
    events.push({ ...event, atMs: Date.now() });
    show(event.id, event.status);
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value;
    input.value = '';
    const result = await outbox.send('/api/chat', { text });
    show(result.id, result.status, text);
  });
  form.querySelector('button')!.disabled = false;
  Object.assign(window, { outbox, events, outboxReady: true });
} catch (error) {
  Object.assign(window, { outboxError: String((error as Error)?.stack ?? error) });
}
