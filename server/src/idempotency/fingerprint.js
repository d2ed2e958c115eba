// A keyed request's fingerprint: the method, the target and the body's bytes,
// so a key reused for another request is told apart (422) from a retry.
import { createHash } from 'node:crypto';
import { readBody } from '../body.js';

/** @typedef {import('./middleware.js').GuardedRequest} GuardedRequest */

/**
 * The fingerprint stored with a key's claim.
 * @param {import('node:http').IncomingMessage} req
 * @param {Buffer} body the request's bytes (requestBody)
 */
export const requestFingerprint = (req, body) => createHash('sha256').update(`${req.method} ${req.url}\n`).update(body).digest('base64url');

/**
 * The request's bytes: `req.rawBody` when something kept them, the body a
 * parser already made (as canonical JSON), else read here and kept on
 * `req.rawBody` for the handler (the stream is consumed).
 * @param {GuardedRequest} req
 * @param {number} maxBodyBytes
 * @returns {Promise<Buffer>}
 */
export async function requestBody(req, maxBodyBytes) {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  if (req.body !== undefined) return Buffer.from(Buffer.isBuffer(req.body) ? req.body : canonicalJson(req.body));
  req.rawBody = await readBody(req, maxBodyBytes);
  return req.rawBody;
}

/**
 * JSON with object keys sorted, so a parsed body fingerprints the same whatever its key order.
 * @param {unknown} value
 * @returns {string}
 */
function canonicalJson(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = /** @type {Record<string, unknown>} */ (value);
  return `{${Object.keys(record).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}
