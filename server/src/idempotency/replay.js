// Answering a key whose request is done: its stored answer, again.

/** @typedef {import('../stores/contract.js').StoredResponse} StoredResponse */

/**
 * @param {import('node:http').ServerResponse} res
 * @param {StoredResponse} stored
 */
export function replay(res, stored) {
  const body = Buffer.from(stored.bodyBase64, 'base64');
  /** @type {Record<string, string | string[]>} */
  const headers = {};
  for (const [name, value] of stored.headers) {
    const before = headers[name];
    headers[name] = before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value];
  }
  headers['content-length'] = String(body.length);
  headers['idempotent-replayed'] = 'true';
  if (stored.statusMessage) res.writeHead(stored.status, stored.statusMessage, headers);
  else res.writeHead(stored.status, headers);
  res.end(body);
}
