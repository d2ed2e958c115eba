// The React page of e2e/shell/react.spec.ts: useOutbox() under an OutboxProvider,
// as docs/ui-bindings.md shows it. Every render is recorded in window.renders
// (the statuses it showed), every status event of the outbox in window.events.
import { createRoot } from 'react-dom/client';
import { OutboxProvider, useOutbox } from 'outbox/react';
import type { Outbox, OutboxEvent } from 'outbox/client';

declare global {
  interface Window {
    renders: Array<Record<string, string>>;
    events: OutboxEvent[];
    send: ReturnType<typeof useOutbox>['send'];
    ready: boolean;
  }
}

window.renders = [];
window.events = [];

function Chat() {
  const { messages, ready, send } = useOutbox();
  window.renders.push(Object.fromEntries(messages.map((m) => [m.id, m.status])));
  window.send = send;
  window.ready = ready;
  return (
    <ul>
      {messages.map((m) => (
        <li key={m.id} data-id={m.id} data-status={m.status}>
          {(m.body as { text?: string } | undefined)?.text ?? m.bodyText}
        </li>
      ))}
    </ul>
  );
}

// @ts-ignore: the built client, served by the demo server
const { createOutbox } = (await import('/client.js')) as { createOutbox: typeof import('outbox/client').createOutbox };
const outbox: Promise<Outbox> = createOutbox({ serviceWorker: '/sw.js?api=/api/chat', health: '/api/health' });
outbox.then((box) => box.subscribe((event) => window.events.push(event)));
createRoot(document.getElementById('root')!).render(
  <OutboxProvider outbox={outbox}>
    <Chat />
  </OutboxProvider>,
);
