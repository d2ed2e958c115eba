// A queued message's credentials after it settles: dropped (a delivered or
// dead message keeps none), with their names kept so a retried dead letter
// can ask the operator's `credentialsFor` for fresh ones.
import { SEALED_HEADER } from './sealed.js';
import { isSecretHeader } from './log.js';

/**
 * Kept in a settled message's headers in place of its credentials: which
 * ones were dropped, so a retry knows it has none (and asks `credentialsFor`).
 * Never sent upstream.
 */
export const DROPPED_HEADER = 'outbox-credentials-dropped';

/**
 * A settled message's headers: no credential header, no sealed bundle, and
 * the names of what was dropped (`DROPPED_HEADER`) when anything was.
 * @param {[string, string][]} headers
 * @param {string[]} secretHeaders
 * @returns {[string, string][]}
 */
export function withoutCredentials(headers, secretHeaders) {
  /** @type {string[]} */
  const dropped = [];
  /** @type {[string, string][]} */
  const kept = [];
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === DROPPED_HEADER) dropped.push(...value.split(',').filter(Boolean));
    else if (lower === SEALED_HEADER) dropped.push('(sealed)');
    else if (isSecretHeader(name, secretHeaders)) dropped.push(lower);
    else kept.push([name, value]);
  }
  return dropped.length > 0 ? [...kept, [DROPPED_HEADER, [...new Set(dropped)].join(',')]] : kept;
}

/**
 * A retried dead letter lost its credentials when it settled: the
 * operator's `credentialsFor` may supply fresh ones; otherwise it goes
 * without them (the upstream answers 401 if it needs them), and says so.
 * @param {any} message
 * @param {[string, string][]} headers
 * @param {{ credentialsFor: import('./options.js').RelayOptions['credentialsFor'], log: ReturnType<import('./log.js').createLogger> }} deps
 * @returns {Promise<[string, string][]>}
 */
export async function withFreshCredentials(message, headers, { credentialsFor, log }) {
  const marker = headers.find(([name]) => name.toLowerCase() === DROPPED_HEADER);
  if (!marker) return headers;
  const rest = headers.filter(([name]) => name.toLowerCase() !== DROPPED_HEADER);
  const dropped = marker[1].split(',').filter(Boolean);
  const fresh = credentialsFor ? await credentialsFor({ id: message.id, lane: message.lane, method: message.method, url: message.url, dropped }) : undefined;
  if (!fresh || fresh.length === 0) {
    log.warn('credentials-dropped', { id: message.id, lane: message.lane, dropped, detail: 'a retried dead letter is sent without the credentials it came with (no credentialsFor hook, or it gave none)' });
    return rest;
  }
  return [...rest, ...fresh.map(([name, value]) => /** @type {[string, string]} */ ([String(name), String(value)]))];
}
