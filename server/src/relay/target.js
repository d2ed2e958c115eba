// Where a request goes: only ever the configured upstream. The relay resolved
// targets with `new URL(req.url, upstream)`, so an absolute-form target
// (`POST http://other-host/api/chat`, RFC 9112 §3.2.2) or a `//other-host/…`
// path replaced the upstream: an open proxy. Now only the target's path and
// query are taken, whatever form it came in, and appended to the upstream's
// base path (`--upstream http://host/v1` sends `/api/chat` to `/v1/api/chat`).

/**
 * The request target's path and query, in origin-form (`/api/chat?x=1`),
 * dot segments resolved. Throws `TypeError` for a target that is no URL.
 * @param {string} requestTarget
 */
export function originForm(requestTarget) {
  const { pathname, search } = new URL(requestTarget, 'http://relay.invalid');
  return `${pathname}${search}`;
}

/**
 * The URL to contact for a request target: the upstream's origin, its base
 * path, then the target's path and query.
 * @param {string} upstream the configured upstream, e.g. `http://127.0.0.1:9000/v1`
 * @param {string} requestTarget as the client sent it (any form), or a stored origin-form path
 */
export function upstreamTarget(upstream, requestTarget) {
  const base = new URL(upstream);
  const { pathname, search } = new URL(originForm(requestTarget), 'http://relay.invalid');
  const target = new URL(base.origin);
  target.pathname = `${base.pathname.replace(/\/+$/, '')}${pathname}`;
  target.search = search;
  return target;
}
