/**
 * "Did it arrive?" asked of the server, before a message whose last answer
 * was lost is sent again (option `lookupUrl`, query `lookup=`).
 *
 * A lost answer (a dropped connection, a timeout, a worker stopped while the
 * request was on the wire) leaves the worker unable to know whether the
 * server stored the message. Re-sending with the same `Idempotency-Key` is
 * safe only on a server that deduplicates. With a lookup, the worker asks
 * first: `GET <lookupUrl>` with the message's `Idempotency-Key` and its other
 * headers (its credentials, so the server scopes the key as it scoped the
 * POST; outbox-server's middleware and outbox-relay answer it, docs/server.md):
 *
 *   {"state":"completed","status":201}  stored: the status is the answer (delivered, or refused), nothing is re-sent
 *   {"state":"held"}                    a relay holds it: relayed, nothing is re-sent
 *   {"state":"failed","status":422}     a relay gave up on it: failed with that status
 *   {"state":"in-progress"}             an earlier try is still being handled: wait (transient, as a 409 would be)
 *   {"state":"unknown"}                 never arrived: sent again
 *
 * A lookup that gets no answer at all means the server is still out of
 * reach, and sending would fail alike: the attempt is a transient `network`
 * failure. Any other answer (a 404 from a server without the lookup, a body
 * that is not one of the above) is no knowledge: the message is sent, as
 * without a lookup.
 */
import { outcomeOf, type Outcome } from './classify.js';
import { IDEMPOTENCY_KEY_HEADER, RELAY_HEADER } from './protocol/http.js';

/** The server's answer to a lookup, as far as the worker reads it. */
type LookupAnswer = { state?: unknown; status?: unknown; reason?: unknown } | null;

/**
 * What the server says of the key in `sentWith` (the message's headers): an
 * outcome that replaces the send, or `undefined` to send.
 */
export async function askServer(lookupUrl: string, sentWith: HeadersInit, timeoutMs: number): Promise<Outcome | undefined> {
  const headers = new Headers(sentWith);
  headers.delete('content-type');
  if (!headers.has(IDEMPOTENCY_KEY_HEADER)) return undefined;
  let response: Response;
  try {
    response = await fetch(new URL(lookupUrl, self.location.origin), { headers, cache: 'no-store', redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    return { verdict: 'transient', reason: 'network', detail: 'the lookup got no answer' };
  }
  if (!response.ok) return undefined;
  const answer = (await response.json().catch(() => null)) as LookupAnswer;
  const status = typeof answer?.status === 'number' && answer.status >= 200 && answer.status <= 599 ? answer.status : undefined;
  const origin = self.location.origin;
  switch (answer?.state) {
    case 'completed':
      // The stored answer's status, read as if it had just come back (sent before: a 409 is the server's own conflict).
      return status === undefined ? undefined : outcomeOf(new Response(null, { status }), true, origin);
    case 'held':
      return { verdict: 'delivered', response: new Response(null, { status: 202, headers: { [RELAY_HEADER]: 'queued' } }) };
    case 'failed': {
      const detail = `the relay gave up on it${typeof answer.reason === 'string' ? `: ${answer.reason.slice(0, 200)}` : ''}`;
      return { verdict: 'rejected', response: new Response(null, { status: status ?? 502 }), reason: status !== undefined ? `http-${status}` : 'unreachable', detail };
    }
    case 'in-progress':
      return { verdict: 'transient', reason: 'http-409', detail: 'the server is still handling an earlier try of this message' };
    default:
      return undefined;
  }
}
