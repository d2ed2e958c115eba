/**
 * The fetch side: which requests the outbox takes, and how one is stored.
 */
import { failedAnswer } from './page-answers.js';
import type { ArrivingMessage, Engine } from './engine.js';
import type { ResolvedOptions } from './options.js';
import { AFTER_HEADER, IDEMPOTENCY_KEY_HEADER, idProblem, isUnderApi, NAMESPACE_HEADER, namespaceFromHeader, namespaceProblem } from './protocol/http.js';
import { laneFromRequest } from './lanes.js';
import { toRequest, type EntryMetadata } from './request-queue.js';
import { wallNowMs } from './timing.js';

/**
 * Bodies larger than this are stored as a Blob, not an ArrayBuffer: uploads
 * (over the default `maxBody`), not chat messages. Not lower: in Chromium a
 * Blob write refused for quota left the origin's next small write refused
 * too (e2e/storage/quota-and-failures.spec.ts, with a 200 kB body as a Blob).
 */
const BLOB_BODY_BYTES = 1024 * 1024;

/** Same-origin POSTs under one of the API paths; everything else passes untouched. */
export function isOutboxRequest(request: Request, options: ResolvedOptions, origin: string): boolean {
  return request.method === 'POST' && isUnderApi(new URL(request.url), origin, options.apiPaths);
}

/**
 * Stores the message (before any network attempt: a worker stopped at any
 * instant loses nothing) and hands it to the engine, which answers with the
 * server's response or 202.
 */
export function takeRequest(engine: Engine, request: Request, clientId: string): Promise<{ response: Response; done: Promise<unknown> }> {
  // The queue position is taken now, on arrival, not when the body is read (arrival-order.ts).
  const turn = engine.arrival.take();
  const taken = takeInTurn(engine, request, clientId, turn);
  // A request refused before its store (invalid, too large, unreadable) gives its turn up with its answer.
  taken.then(turn.release, turn.release);
  return taken;
}

async function takeInTurn(
  engine: Engine,
  request: Request,
  clientId: string,
  turn: { earlier: Promise<void>; release: () => void },
): Promise<{ response: Response; done: Promise<unknown> }> {
  const pageKey = request.headers.get(IDEMPOTENCY_KEY_HEADER);
  const id = pageKey ?? crypto.randomUUID();
  const namespace = namespaceFromHeader(request.headers.get(NAMESPACE_HEADER) ?? '');
  // Never swap a key or cut a namespace the page chose: the page would follow
  // an id the worker does not use, and a deduplicating server would see two.
  const after = request.headers.get(AFTER_HEADER) ?? undefined;
  const afterProblem = after === undefined ? undefined : after === id ? 'a message cannot be sent after itself' : idProblem(after);
  const invalid = (pageKey === null ? undefined : idProblem(pageKey)) ?? namespaceProblem(namespace) ?? (afterProblem && `after: ${afterProblem}`);
  if (invalid !== undefined) {
    return { response: failedAnswer(id.slice(0, 200), 'invalid', invalid), done: Promise.resolve() };
  }
  // The window that sends a message of a namespace is a page of that namespace.
  if (clientId !== '') engine.declare(clientId, namespace);
  const headers = new Headers(request.headers);
  // The draft's Structured Field form is a quoted string; Stripe-style servers expect the bare token.
  headers.set(IDEMPOTENCY_KEY_HEADER, engine.options.idempotencyKeyFormat === 'quoted' ? `"${id.replace(/[\\"]/g, '\\$&')}"` : id);
  headers.delete(NAMESPACE_HEADER);
  headers.delete(AFTER_HEADER);
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

  let body: ArrayBuffer;
  try {
    // Read once: Workbox's `StorableRequest.fromRequest` would clone (tee) the stream first.
    body = await request.arrayBuffer();
  } catch (error) {
    return { response: failedAnswer(id, 'storage', `could not read the body (${error})`), ...none };
  }
  if (body.byteLength > engine.options.maxBodyBytes) {
    return {
      response: failedAnswer(id, 'too-large', `${body.byteLength} bytes; at most ${engine.options.maxBodyBytes}`),
      ...none,
    };
  }
  // Every earlier arrival has stored (or given up) before this one is stored or
  // sent: a straight send of this one must not overtake a photo still being read.
  await turn.earlier;
  // Its parent arrived earlier, so it is stored (or delivered) by now: the outbox knows it, or refuses the child.
  if (after !== undefined && !(await engine.adoptParent(after))) {
    return { response: failedAnswer(id, 'invalid', `after: the outbox holds no message ${after} (never sent, discarded, or delivered before this worker started)`), ...none };
  }
  const requestData = storableData(request, headers, body);
  const metadata: EntryMetadata = { v: 1, id, createdAtMs: wallNowMs() };
  if (after !== undefined) metadata.after = after;
  if (namespace !== '') metadata.namespace = namespace;
  let lane = '';
  // A function gets a copy it may read the body of (the page's request was read above).
  lane = await laneFromRequest(engine.options.lane, typeof engine.options.lane === 'function' ? toRequest({ ...requestData, body }) : request);
  if (lane !== '') metadata.lane = lane;
  const stripped = Object.keys(secrets);
  if (stripped.length > 0) metadata.strippedHeaders = stripped;
  if (stripped.length > 0) engine.holdSecrets(id, namespace, secrets);
  // Only a first attempt that goes straight out needs it; an offline enqueue never does.
  // `body` is the plain one: with `encrypt`, `requestData.body` is replaced by the sealed one below.
  const live = (): Request => {
    const request = toRequest({ ...requestData, body });
    for (const [name, value] of Object.entries(secrets)) request.headers.set(name, value);
    return request;
  };
  const stored = (async () => {
    if (engine.options.encrypt && body.byteLength > 0) {
      const sealed = await engine.seal(namespace, body);
      requestData.body = sealed.body;
      metadata.iv = sealed.sealed.iv;
    } else if (body.byteLength > BLOB_BODY_BYTES) {
      // An upload (a photo of a few MB) is stored as a Blob: IndexedDB keeps it
      // on disk and a read of the queue (32 entries a batch) hands out handles,
      // so only the one being sent is in memory. Request takes a Blob body as it is.
      requestData.body = new Blob([body]) as unknown as ArrayBuffer;
    }
    return engine.store(requestData, metadata);
  })();
  // The next arrival stores once this store settled, not once this message is delivered.
  stored.then(turn.release, turn.release);
  // The engine reads `requestData` only once `stored` resolved, so it is what
  // was stored: with `encrypt` the sealed body that goes with `metadata.iv`. A
  // copy taken here would still hold the plain body, and a message refused on
  // its first attempt would be kept for retry (ledger) in plain text, under an
  // iv that makes it unreadable.
  return engine.submitted(id, namespace, lane, { stored, requestData, metadata, live });
}

/**
 * The sending page's address without its query and fragment. It is stored
 * with every message (and sent as Referer): what a page URL may carry there (a
 * sign-in link's token, an OAuth `code`) must not sit on disk for the retention
 * time. `about:client` and `''` stay as they are.
 */
function pageAddress(referrer: string): string {
  if (!/^https?:/.test(referrer)) return referrer;
  const url = new URL(referrer);
  return `${url.origin}${url.pathname}`;
}

/**
 * The request in Workbox's stored form (`StorableRequest`'s `RequestData`),
 * built from a body already read. Same fields as `StorableRequest.fromRequest`.
 */
function storableData(request: Request, headers: Headers, body: ArrayBuffer): ArrivingMessage['requestData'] {
  return {
    url: request.url,
    headers: Object.fromEntries(headers),
    method: request.method,
    // A navigation cannot be replayed as one (Workbox does the same).
    mode: request.mode === 'navigate' ? 'same-origin' : request.mode,
    credentials: request.credentials,
    cache: request.cache,
    redirect: request.redirect,
    referrer: pageAddress(request.referrer),
    referrerPolicy: request.referrerPolicy,
    integrity: request.integrity,
    keepalive: request.keepalive,
    body,
  };
}
