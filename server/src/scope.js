// Whose a key is. The middleware and the relay scope every Idempotency-Key
// (and the relay its lanes) to the client that sent it, as the IETF draft's
// security considerations and Stripe ask: by default by the credential
// headers the operator names, hashed to a fixed length before the key, so
// no key of one scope can spell another's (`alice:K9` sent anonymously never
// meets alice's `K9`).
import { createHash } from 'node:crypto';

/**
 * The request's credentials as one string: each named header and its value.
 * @param {{ headers: Record<string, string | string[] | undefined> }} req
 * @param {readonly string[]} headerNames lower-case
 */
export const credentialScope = (req, headerNames) => headerNames.map((name) => `${name}:${req.headers[name] ?? ''}`).join('\n');

/**
 * A scope as 22 base64url characters (132 bits of SHA-256): fixed length and
 * without '.', so `<scope>.<key>` splits at its first dot.
 * @param {string} scope
 */
export const scopeHash = (scope) => createHash('sha256').update(scope).digest('base64url').slice(0, 22);
