// Credentials at rest: a message's credential headers are sealed (AES-256-GCM)
// with a key the operator provides before the message is stored, and opened
// only to forward it. The store (an SQLite file, a Redis) then holds no
// usable credential: a copy of it, a backup, a `redis-cli MONITOR`, shows
// ciphertext. Without a key the relay stores them in clear and says so at start.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isSecretHeader } from './log.js';

/** The pseudo-header that carries the sealed credentials in a stored message; never sent upstream. */
export const SEALED_HEADER = 'x-outbox-relay-sealed';

export class SealedHeadersError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'SealedHeadersError';
  }
}

/**
 * The 32-byte key from `--secret-key-file` (the file holds it base64-encoded,
 * e.g. `openssl rand -base64 32`) or from `OUTBOX_RELAY_SECRET_KEY`; undefined when neither.
 * @param {{ secretKeyFile?: string, secretKeyBase64?: string }} source
 * @returns {Buffer | undefined}
 */
export function loadSecretKey({ secretKeyFile, secretKeyBase64 }) {
  const text = secretKeyFile !== undefined ? readFileSync(secretKeyFile, 'utf8') : secretKeyBase64;
  if (text === undefined || text.trim() === '') return undefined;
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new SealedHeadersError(`the secret key must be 32 bytes, base64-encoded (openssl rand -base64 32); got ${key.length} bytes`);
  return key;
}

/**
 * Headers with the credential ones replaced by one sealed pseudo-header.
 * @param {[string, string][]} headers
 * @param {Buffer} key
 * @param {readonly string[]} extraSecret operator-named secret headers (lower-case)
 * @returns {[string, string][]}
 */
export function sealHeaders(headers, key, extraSecret = []) {
  const secret = headers.filter(([name]) => isSecretHeader(name, extraSecret));
  if (secret.length === 0) return headers;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([iv, cipher.update(JSON.stringify(secret), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return [...headers.filter(([name]) => !isSecretHeader(name, extraSecret)), [SEALED_HEADER, sealed.toString('base64')]];
}

/**
 * The headers to send: the sealed ones opened and put back. Throws
 * `SealedHeadersError` when they cannot be opened (no key, another key).
 * @param {[string, string][]} headers
 * @param {Buffer | undefined} key
 * @returns {[string, string][]}
 */
export function openHeaders(headers, key) {
  const sealed = headers.find(([name]) => name.toLowerCase() === SEALED_HEADER);
  if (!sealed) return headers;
  if (!key) throw new SealedHeadersError('the message\'s credentials are sealed and this relay has no secret key');
  const bytes = Buffer.from(sealed[1], 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]).toString('utf8');
    return [...headers.filter(([name]) => name.toLowerCase() !== SEALED_HEADER), ...JSON.parse(plain)];
  } catch (error) {
    throw new SealedHeadersError(`the message's credentials cannot be opened with this relay's key (${/** @type {Error} */ (error).message})`);
  }
}
