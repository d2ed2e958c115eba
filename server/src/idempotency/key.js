// The Idempotency-Key request header: an Item Structured Header whose value is
// a String (draft-ietf-httpapi-idempotency-key-header-06 §2, RFC 8941 §3.3.3),
// e.g. `Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"`. Many clients
// (outbox's worker, Stripe's SDKs) send the bare value instead; both are
// accepted and mean the same key.

/** Longest key accepted, in characters (Stripe's limit; the draft sets none). */
export const MAX_KEY_CHARS = 255;

/** A header value that is not a usable Idempotency-Key. */
export class InvalidKeyError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'InvalidKeyError';
  }
}

// A bare key: visible ASCII without the characters that would make it
// ambiguous as a Structured Field (quotes, commas, semicolons, backslash).
const BARE_KEY = /^[!#-+\--:<-[\]-~]+$/;

/**
 * The key in a header value, or `undefined` when the header is absent.
 * Throws `InvalidKeyError` for an empty, overlong, repeated or malformed value.
 *
 * @param {string | string[] | undefined} value `req.headers['idempotency-key']`
 * @returns {string | undefined}
 * @example parseIdempotencyKey('"abc"') === parseIdempotencyKey('abc') // 'abc'
 */
export function parseIdempotencyKey(value) {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new InvalidKeyError('Idempotency-Key was sent more than once');
  const text = value.trim();
  let key;
  if (text.startsWith('"')) {
    key = parseSfString(text);
  } else {
    if (!BARE_KEY.test(text)) {
      throw new InvalidKeyError('Idempotency-Key must be a quoted string ("…") or visible ASCII without spaces, quotes, commas or semicolons');
    }
    key = text;
  }
  if (key.length === 0) throw new InvalidKeyError('Idempotency-Key is empty');
  if (key.length > MAX_KEY_CHARS) throw new InvalidKeyError(`Idempotency-Key is ${key.length} characters; at most ${MAX_KEY_CHARS} are accepted`);
  return key;
}

/**
 * RFC 8941 §4.2.5: a String is printable ASCII in quotes, with `\"` and `\\` the only escapes.
 * @param {string} text
 */
function parseSfString(text) {
  let out = '';
  for (let i = 1; i < text.length; i += 1) {
    const ch = text[i];
    const code = text.charCodeAt(i);
    if (ch === '\\') {
      const next = text[i + 1];
      if (next !== '"' && next !== '\\') throw new InvalidKeyError('Idempotency-Key has a bad escape (only \\" and \\\\ are allowed)');
      out += next;
      i += 1;
    } else if (ch === '"') {
      // Parameters after the String (`"k";a=1`) are allowed by RFC 8941 and carry nothing for us.
      const rest = text.slice(i + 1);
      if (rest !== '' && !rest.startsWith(';')) throw new InvalidKeyError('Idempotency-Key must be one String, not a list');
      return out;
    } else if (code < 0x20 || code > 0x7e) {
      throw new InvalidKeyError('Idempotency-Key must be printable ASCII');
    } else {
      out += ch;
    }
  }
  throw new InvalidKeyError('Idempotency-Key has an unterminated quoted string');
}

/**
 * A request's Idempotency-Key header read for an answer: the key (`undefined`
 * when there is none), or why it cannot be used, for a 400 in the caller's
 * own problem form (the middleware's and the relay's differ).
 * @param {import('node:http').IncomingHttpHeaders} headers
 * @returns {{ key: string | undefined, invalid?: undefined } | { invalid: string, key?: undefined }}
 */
export function readIdempotencyKey(headers) {
  try {
    return { key: parseIdempotencyKey(headers['idempotency-key']) };
  } catch (error) {
    if (!(error instanceof InvalidKeyError)) throw error;
    return { invalid: error.message };
  }
}
