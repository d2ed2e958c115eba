/**
 * The fetch side: which requests the outbox takes, and how one is stored.
 */
import { StorableRequest } from 'workbox-background-sync';
import { failedAnswer } from './answers.js';
import type { Engine } from './engine.js';
import type { ResolvedOptions } from './options.js';
import { IDEMPOTENCY_KEY_HEADER, MAX_ID_LENGTH, NAMESPACE_HEADER } from './protocol/messages.js';
import type { EntryMetadata } from './request-queue.js';

/** Same-origin POSTs under one of the API paths; everything else passes untouched. */
export function isOutboxRequest(request: Request, options: ResolvedOptions, origin: string): boolean {
  if (request.method !== 'POST') return false;
  const url = new URL(request.url);
  if (url.origin !== origin) return false;
  return options.apiPaths.some((path) => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`));
}

/**
 * Stores the message (before any network attempt: a worker stopped at any
 * instant loses nothing) and hands it to the engine, which answers with the
 * server's response or 202.
 */
export async function takeRequest(engine: Engine, request: Request, clientId: string): Promise<{ response: Response; done: Promise<unknown> }> {
  const pageKey = request.headers.get(IDEMPOTENCY_KEY_HEADER);
  const id = pageKey !== null && pageKey !== '' && pageKey.length <= MAX_ID_LENGTH ? pageKey : crypto.randomUUID();
  const namespace = (request.headers.get(NAMESPACE_HEADER) ?? '').slice(0, MAX_ID_LENGTH);
  // The window that sends a message of a namespace is a page of that namespace.
  if (clientId !== '') engine.sessions.declare(clientId, namespace, undefined);
  const headers = new Headers(request.headers);
  headers.set(IDEMPOTENCY_KEY_HEADER, id);
  headers.delete(NAMESPACE_HEADER);
  // Credentials stay out of IndexedDB: kept in memory for this message's
  // attempts while the worker lives, and otherwise taken from the page's session.
  const secrets: Record<string, string> = {};
  for (const name of engine.options.secretHeaders) {
    const value = headers.get(name);
    if (value === null) continue;
    secrets[name] = value;
    headers.delete(name);
  }
  const none = { done: Promise.resolve() };

  let stored: StorableRequest;
  try {
    stored = await StorableRequest.fromRequest(new Request(request, { headers }));
  } catch (error) {
    return { response: failedAnswer(id, 'storage', `could not read the request body: ${String(error)}`), ...none };
  }
  const requestData = stored.toObject();
  const size = requestData.body?.byteLength ?? 0;
  if (size > engine.options.maxBodyBytes) {
    return {
      response: failedAnswer(id, 'too-large', `the body is ${size} bytes; the outbox keeps at most ${engine.options.maxBodyBytes}`),
      ...none,
    };
  }
  const metadata: EntryMetadata = { v: 1, id, createdAtMs: Date.now() };
  if (namespace !== '') metadata.namespace = namespace;
  const stripped = Object.keys(secrets);
  if (stripped.length > 0) metadata.strippedHeaders = stripped;
  try {
    if (engine.options.encrypt && requestData.body) {
      const { body, sealed } = await engine.keys.seal(namespace, requestData.body);
      requestData.body = body;
      metadata.iv = sealed.iv;
    }
    await engine.queue.push(requestData, metadata);
  } catch (error) {
    // Quota exceeded or IndexedDB failing: say so, rather than a 202 that lies.
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { response: failedAnswer(id, 'storage', `the outbox could not store the message (${detail})`), ...none };
  }
  if (stripped.length > 0) engine.holdSecrets(id, namespace, secrets);
  return engine.submitted(id, namespace);
}
