// Answers in RFC 9457's `application/problem+json`, as the draft's error
// examples are (draft-ietf-httpapi-idempotency-key-header-06 §2.7), with a
// `Link` to the documentation the draft asks for.

const DRAFT = 'https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/';

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} name a stable name for the problem, e.g. `idempotency/key-in-use`; it ends the `type` URI
 * @param {string} title
 * @param {string} detail
 * @param {Record<string, string>} [headers]
 */
export function sendProblem(res, status, name, title, detail, headers = {}) {
  const body = JSON.stringify({ type: `tag:outbox.dev,2026:${name}`, title, status, detail });
  res.writeHead(status, {
    'Content-Type': 'application/problem+json',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    Link: `<${DRAFT}>; rel="describedby"; type="text/html"`,
    ...headers,
  });
  res.end(body);
}
