// Compiled by `npm run typecheck` (e2e/tsconfig.json), never run: the public
// types say what the docs promise. A line marked @ts-expect-error that starts
// to compile (the type got looser) fails the typecheck too.
import type { Outbox } from '../../client/index';
import type { UseOutbox } from '../../client/react';

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
