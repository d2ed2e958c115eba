// Compiled by `npm run typecheck` (e2e/tsconfig.json), never run: the public
// types say what the docs promise. A line marked @ts-expect-error that starts
// to compile (the type got looser) fails the typecheck too.
import type { ConnectionState, Outbox } from '../../client/index';
import { createOutboxStore, type OutboxStore, type UseOutbox } from '../../client/react';

interface ChatMessage {
  text: string;
}

export async function typedBodies(outbox: Outbox): Promise<string[]> {
  const mine = await outbox.list<ChatMessage>();
  // @ts-expect-error: without a type the body is unknown, not any
  (await outbox.list())[0]?.body?.text;
  return mine.map((message) => message.body?.text ?? message.bodyText ?? '');
}

export async function sendNow(hook: UseOutbox): Promise<number> {
  const report = await hook.flush();
  return report.remaining;
}

export async function typedSends(outbox: Outbox, hook: UseOutbox<ChatMessage>, store: OutboxStore<ChatMessage>): Promise<string | undefined> {
  const sent = await outbox.send<ChatMessage>('/api/chat', { text: 'hello' });
  // @ts-expect-error: the body must be a ChatMessage
  await outbox.send<ChatMessage>('/api/chat', { txt: 'typo' });
  // @ts-expect-error: the same through the hook
  await hook.send('/api/chat', { txt: 'typo' });
  await store.send('/api/chat', { text: 'from the store' });
  const typed = createOutboxStore<ChatMessage>(outbox);
  return sent.body?.text ?? hook.messages[0]?.body?.text ?? typed.getSnapshot().messages[0]?.body?.text;
}

export function connectionText(outbox: Outbox): string {
  const state: ConnectionState = outbox.connection.get();
  switch (state.state) {
    case 'online':
      return 'online';
    case 'unreachable':
      return `API not answering (${state.reason}) since ${state.downSinceMs}`;
    case 'offline':
    case 'checking':
      return `down since ${state.downSinceMs}`;
  }
}
