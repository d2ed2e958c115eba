/**
 * What a page can ask of the worker: one narrow engine method per command.
 * Shapes are checked before this (`envelopeProblem`).
 */
import type { Engine } from './engine.js';
import { PROTOCOL, type Command, type CommandResults } from './protocol/messages.js';

export async function runCommand(engine: Engine, command: Command, clientId: string): Promise<CommandResults[Command['type']]> {
  switch (command.type) {
    case 'hello':
      return { protocol: PROTOCOL, queueName: engine.options.queueName, channel: engine.announce.channel, apiPaths: engine.options.apiPaths, followsRelayed: engine.options.lookupUrl !== undefined };
    case 'list':
      return engine.list(command.namespace);
    case 'retry':
      return engine.retry(command.id, command.namespace);
    case 'discard':
      return engine.discard(command.id, command.namespace);
    case 'edit':
      return engine.change(command.id, command.namespace, { body: command.body, contentType: command.contentType });
    case 'cancel':
      return engine.change(command.id, command.namespace, undefined);
    case 'session':
      engine.declare(clientId, command.namespace, command.credentials, true);
      return { namespace: command.namespace };
    case 'purge':
      return engine.purge(command.namespace);
    case 'flush':
      return engine.flush(command.trigger);
    case 'trace':
      return { tracing: engine.tracing.ask(command.on) };
    case 'claim':
      await (self as unknown as ServiceWorkerGlobalScope).clients.claim();
      return { claimed: true };
  }
}
