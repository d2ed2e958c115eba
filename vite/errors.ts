/** What `outbox/vite` throws: a configuration it cannot serve the worker with. */
export class OutboxViteError extends Error {
  override readonly name = 'OutboxViteError';

  constructor(message: string) {
    super(`outbox/vite: ${message}`);
  }
}
