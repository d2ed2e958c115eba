/**
 * React bindings: `useOutbox()` → `{ messages, ready, error, send, retry,
 * discard, flush }`, re-rendering on every status change of every message (from
 * every tab). `react` is an optional peer dependency: only this entry point
 * (`outbox/react`) imports it.
 */
import { createContext, createElement, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { Outbox } from './outbox.js';
import { createOutboxStore, type OutboxSnapshot, type OutboxStore } from './store.js';

/** What `useOutbox` gives a component. */
export interface UseOutbox<T = unknown> extends OutboxSnapshot<T> {
  send: OutboxStore<T>['send'];
  retry: OutboxStore<T>['retry'];
  discard: OutboxStore<T>['discard'];
  /** Sends what is queued now ("send now"). */
  flush: OutboxStore<T>['flush'];
}

type Source = Outbox | Promise<Outbox> | OutboxStore<any>;

const OutboxContext = createContext<OutboxStore | undefined>(undefined);
/** One store per outbox, so every component that asks for the same outbox shares it. */
const stores = new WeakMap<object, OutboxStore>();

function storeOf(source: Source): OutboxStore {
  if ('getSnapshot' in source) return source;
  let store = stores.get(source);
  if (!store) {
    store = createOutboxStore(source);
    stores.set(source, store);
  }
  return store;
}

/**
 * Gives the components inside it `useOutbox()` without an argument.
 *
 * @example
 * const outbox = createOutbox({ serviceWorker: '/sw.js?api=/api/chat' }); // a promise is fine
 * root.render(<OutboxProvider outbox={outbox}><Chat /></OutboxProvider>);
 */
export function OutboxProvider({ outbox, children }: { outbox: Source; children?: ReactNode }): ReactNode {
  return createElement(OutboxContext.Provider, { value: storeOf(outbox) }, children);
}

/**
 * The outbox's messages and actions, for the outbox given here or by the
 * nearest `OutboxProvider`. `T` names the type of the JSON bodies the site
 * sends (`useOutbox<ChatMessage>()`): `messages[i].body` and `send` take it.
 *
 * @example
 * function Chat() {
 *   const { messages, send, retry, discard } = useOutbox();
 *   return messages.map((m) => <Line key={m.id} message={m} onRetry={() => retry(m.id)} />);
 * }
 */
export function useOutbox<T = unknown>(source?: Source): UseOutbox<T> {
  const fromContext = useContext(OutboxContext);
  const store = source !== undefined ? storeOf(source) : fromContext;
  if (!store) throw new Error('outbox: useOutbox() needs an outbox: pass one, or render it inside <OutboxProvider outbox={…}>');
  // One store serves every component of the outbox; each names the body type it reads.
  const typed = store as OutboxStore<T>;
  const snapshot = useSyncExternalStore(typed.subscribe, typed.getSnapshot, typed.getSnapshot);
  return { ...snapshot, send: typed.send, retry: typed.retry, discard: typed.discard, flush: typed.flush };
}

export { createOutboxStore, type OutboxMessage, type OutboxSnapshot, type OutboxStore, type OutboxStoreOptions } from './store.js';
