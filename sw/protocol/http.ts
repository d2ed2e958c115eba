/**
 * What a message carries on its HTTP request between page, worker and
 * server: the headers outbox reads and writes, the rules for ids and
 * namespaces, and which URLs the worker takes. Shared by `sw/` and `client/`
 * (and read by the relay for `Outbox-Relay`).
 */

/** Header the worker puts on answers it makes itself (queued, or failed before the network). */
export const OUTBOX_STATUS_HEADER = 'Outbox-Status';
/** The message id on the wire; the server deduplicates on it. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/**
 * The page's namespace (its signed-in user), from the client to the worker
 * only: the worker removes it before storing or sending.
 */
export const NAMESPACE_HEADER = 'Outbox-Namespace';

/**
 * `send(url, body, { after: id })`: the message waits until message `id` is
 * delivered, and its JSON body's placeholders take values from that message's
 * answer (dependents.ts). Client to worker only: removed before storing.
 */
export const AFTER_HEADER = 'Outbox-After';

/**
 * A header value must be Latin-1 and loses its leading and trailing spaces
 * (Fetch's "normalize"), while a namespace is any string a site uses as a
 * user id (`'山田'`, `' alice '`). Percent-encoding (UTF-8) carries it whole.
 */
export function namespaceToHeader(namespace: string): string {
  return encodeURIComponent(namespace);
}

/** The namespace a page sent; a value that is not percent-encoding (an older page's plain Latin-1 name) is read as it is. */
export function namespaceFromHeader(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The header `outbox-relay` puts on its own 202 (`Outbox-Relay: queued`): it holds the message; the API does not have it yet. */
export const RELAY_HEADER = 'Outbox-Relay';

/** Longest id we accept: a UUID is 36; keys chosen by a site may be longer, not unbounded. */
export const MAX_ID_LENGTH = 200;

export function isNamespace(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_ID_LENGTH;
}

export function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

/** Why `id` cannot be a message id (the `Idempotency-Key` the worker sends), or `undefined` when it can. */
export function idProblem(id: string): string | undefined {
  return id.length > 0 && id.length <= MAX_ID_LENGTH ? undefined : `an Idempotency-Key must be 1 to ${MAX_ID_LENGTH} characters; this one has ${id.length}`;
}

/** Why `namespace` cannot be one, or `undefined` when it can. Any string of up to 200 characters can. */
export function namespaceProblem(namespace: unknown): string | undefined {
  return isNamespace(namespace) ? undefined : `a namespace must be a string of at most ${MAX_ID_LENGTH} characters`;
}

/** True when a POST to `url` (absolute) is one the worker takes: same origin, under one of `apiPaths`. */
export function isUnderApi(url: URL, origin: string, apiPaths: readonly string[]): boolean {
  if (url.origin !== origin) return false;
  return apiPaths.some((path) => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`));
}
