// The Idempotency-Key middleware as a Fastify plugin: the same guard (one
// implementation, idempotency/middleware.js) run as a `preHandler` hook on
// the raw request and response, after Fastify parsed and validated the body.
//
// Fastify writes every answer through `reply.raw` (writeHead, then end), so
// the guard sees the handler's answer exactly as it does under Express and
// stores it at `end`. When the guard answers by itself (a replay, 409, 422,
// 400) it ends `reply.raw`; the hook then marks the reply hijacked, and the
// route's handler does not run.
//
// Like fastify-plugin's wrapper (without depending on it), the plugin is
// marked to skip encapsulation, so registered on an instance it guards that
// instance's routes, not only a child scope's. Guard a few routes by
// registering it inside a scope of your own.
import { idempotency } from './idempotency/middleware.js';

/**
 * @typedef {import('./idempotency/middleware.js').IdempotencyOptions} IdempotencyOptions
 * @typedef {import('./idempotency/middleware.js').IdempotencyContext} IdempotencyContext
 * @typedef {import('./idempotency/middleware.js').GuardedRequest} GuardedRequest
 */

/**
 * Guards the instance's POST and PATCH routes (`methods`) with Idempotency-Key.
 * A route's handler finds `request.idempotencyKey` and `request.idempotency`
 * (its `transaction()` with `postgresStore`).
 * @type {import('fastify').FastifyPluginAsync<IdempotencyOptions>}
 * @example
 * import Fastify from 'fastify';
 * import { fastifyIdempotency } from 'outbox-server/fastify';
 * import { sqliteStore } from 'outbox-server';
 * const app = Fastify();
 * await app.register(fastifyIdempotency, { store: sqliteStore({ path: 'keys.db' }), required: true, lookupPath: '/api/lookup' });
 * app.post('/api/chat', async (request, reply) => reply.code(201).send(save(request.body)));
 */
export const fastifyIdempotency = async function fastifyIdempotency(fastify, options) {
  const guard = idempotency(options);
  fastify.decorateRequest('idempotencyKey', undefined);
  fastify.decorateRequest('idempotency', undefined);
  fastify.addHook('preHandler', async (request, reply) => {
    const raw = /** @type {GuardedRequest} */ (request.raw);
    // The guard fingerprints the parsed body (as canonical JSON) when the stream was read already.
    if (request.body !== undefined) raw.body = request.body;
    let ran = false;
    await guard(raw, reply.raw, () => {
      ran = true;
    });
    if (!ran) {
      // The guard answered (a replay, 409, 422, 400, 413, 503), or the client left mid-body: no handler.
      reply.hijack();
      return;
    }
    const guarded = /** @type {{ idempotencyKey?: string, idempotency?: IdempotencyContext }} */ (/** @type {unknown} */ (request));
    guarded.idempotencyKey = raw.idempotencyKey;
    guarded.idempotency = raw.idempotency;
  });
  // The key lookup (`lookupPath`): a route of its own, so Fastify routes the GET to it; the guard
  // answers it in the hook above (as it does any lookup it sees), and the handler never runs.
  if (options.lookupPath !== undefined) fastify.get(options.lookupPath, async (_request, reply) => reply.hijack());
};

// What fastify-plugin would set: a name in errors and logs, and no encapsulation.
Object.assign(fastifyIdempotency, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'outbox-idempotency',
  [Symbol.for('plugin-meta')]: { name: 'outbox-idempotency', fastify: '>=4' },
});

export default fastifyIdempotency;
