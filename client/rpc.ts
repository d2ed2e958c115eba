/**
 * One command to the worker, one answer: a `MessageChannel` per request and a
 * timeout that rejects, because a worker can be stopped or replaced at any
 * moment and a promise waiting on it would wait forever (comlink's weak spot).
 */
import { NoServiceWorkerError, OutboxTimeoutError, rebuildError } from '../sw/protocol/errors.js';
import { PROTOCOL, type Command, type CommandResults, type Envelope, type Reply } from '../sw/protocol/messages.js';

export async function request<C extends Command>(
  registration: ServiceWorkerRegistration,
  command: C,
  timeoutMs: number,
): Promise<CommandResults[C['type']]> {
  // The controller when there is one; the active worker serves an uncontrolled page (after a hard reload) too.
  const worker = navigator.serviceWorker.controller ?? registration.active;
  if (!worker) throw new NoServiceWorkerError(`No active outbox worker to answer '${command.type}'`);
  const channel = new MessageChannel();
  try {
    return await new Promise<CommandResults[C['type']]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new OutboxTimeoutError(command.type, timeoutMs)), timeoutMs);
      channel.port1.onmessage = ({ data }: MessageEvent<Reply<CommandResults[C['type']]>>) => {
        clearTimeout(timer);
        if (data.ok) resolve(data.value);
        else reject(rebuildError(data.error));
      };
      const envelope: Envelope<C> = { protocol: PROTOCOL, command };
      worker.postMessage(envelope, [channel.port2]);
    });
  } finally {
    channel.port1.close();
  }
}
