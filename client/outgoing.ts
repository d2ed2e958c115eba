/**
 * The send path's steps that need no state of the `Outbox`: checking and
 * shaping a message into the POST the worker takes, posting it, and reading
 * the worker's (or the server's) answer into a `SendResult`.
 */
import { InvalidMessageError } from '../sw/protocol/errors.js';
import {
  AFTER_HEADER,
  IDEMPOTENCY_KEY_HEADER,
  idProblem,
  isUnderApi,
  NAMESPACE_HEADER,
  namespaceToHeader,
  OUTBOX_STATUS_HEADER,
  RELAY_HEADER,
} from '../sw/protocol/http.js';
import { type Reason } from '../sw/protocol/statuses.js';
import { type OutboxAnswer } from '../sw/protocol/messages.js';
import { readDetail } from '../shared/detail.js';
import type { Body, SendInit, SendResult } from './types.js';

/** Who sends: the worker's api paths (`undefined`: a worker too old to say) and the page's namespace. */
export interface Sender {
  apiPaths: readonly string[] | undefined;
  namespace: string;
}

/** A message checked and shaped: its id and the `fetch` init that carries it to the worker. */
export interface Outgoing {
  id: string;
  init: RequestInit;
}

/**
 * Checks a message and shapes it as the worker takes it. Throws
 * `InvalidMessageError`, before anything is stored or sent, for a message no
 * worker would keep as it is.
 */
export function shape(url: string, body: Body, { after, ...init }: SendInit, sender: Sender): Outgoing {
  const headers = new Headers(init.headers);
  const id = headers.get(IDEMPOTENCY_KEY_HEADER) ?? crypto.randomUUID();
  // The worker would refuse it (never swap it: the page would follow an id nobody sends).
  const badId = idProblem(id);
  if (badId !== undefined) throw new InvalidMessageError(`send: ${badId}`);
  // Outside the worker's api nothing keeps the message: a 503 there could never be retried.
  const target = new URL(url, location.href);
  if (sender.apiPaths !== undefined && !isUnderApi(target, location.origin, sender.apiPaths)) {
    throw new InvalidMessageError(`send: ${target.href} is not under the worker's api (${sender.apiPaths.join(', ')}); nothing would keep it`);
  }
  headers.set(IDEMPOTENCY_KEY_HEADER, id);
  if (after !== undefined) {
    const badAfter = idProblem(after);
    if (badAfter !== undefined) throw new InvalidMessageError(`send: after: ${badAfter}`);
    headers.set(AFTER_HEADER, after);
  }
  if (sender.namespace !== '') headers.set(NAMESPACE_HEADER, namespaceToHeader(sender.namespace));
  let payload = body as BodyInit | null | undefined;
  if (isJsonValue(body)) {
    payload = JSON.stringify(body);
    if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
  }
  // The page's signal is not passed on: once sent, the message is the outbox's (see `Outbox.send`).
  return { id, init: { ...init, method: 'POST', headers, body: payload ?? null, signal: null } };
}

/**
 * Posts a shaped message. The worker answers every request it takes, so a
 * rejection means it was stopped mid-request; the same key makes the second
 * try safe. `undefined` and the error when neither try got an answer.
 */
export async function post(url: string, init: RequestInit): Promise<Response | { error: unknown }> {
  let error: unknown;
  for (let tries = 0; tries < 2; tries += 1) {
    try {
      return await fetch(url, init);
    } catch (caught) {
      error = caught;
    }
  }
  return { error };
}

/** What an answer says of message `id`: the worker's own (its status header), or the server's passed through. */
export async function readAnswer(id: string, response: Response): Promise<SendResult<never>> {
  if (response.headers.has(OUTBOX_STATUS_HEADER)) {
    const answer = (await response.json()) as OutboxAnswer;
    return withOptional({ id, status: answer.status }, answer.reason, answer.detail);
  }
  // A relay's own 202 carries its marker: off this device, not yet at the API.
  if (response.ok) return { id, status: response.headers.has(RELAY_HEADER) ? 'relayed' : 'delivered', response };
  // The worker passes a refusal through; a 5xx here means no worker took it.
  return withOptional({ id, status: 'failed', response }, `http-${response.status}`, await readDetail(response));
}

/** An edit's new body as the worker takes it: bytes and their type (JSON for a plain object or array, as `send`). */
export async function encodeBody(body: Body): Promise<{ body: ArrayBuffer; contentType: string }> {
  const json = isJsonValue(body);
  const request = new Request(location.href, {
    method: 'POST',
    body: json ? JSON.stringify(body) : ((body as BodyInit | null | undefined) ?? null),
    headers: json ? { 'Content-Type': 'application/json' } : {},
  });
  return { body: await request.arrayBuffer(), contentType: request.headers.get('Content-Type') ?? '' };
}

function isJsonValue(body: unknown): body is Record<string, unknown> | unknown[] {
  if (typeof body !== 'object' || body === null) return false;
  const proto = Object.getPrototypeOf(body) as unknown;
  // An array or a plain object; a FormData, Blob or URLSearchParams has a prototype of its own.
  return Array.isArray(body) || proto === Object.prototype || proto === null;
}

function withOptional(result: SendResult<never>, reason: Reason | undefined, detail: string | undefined): SendResult<never> {
  if (reason !== undefined) result.reason = reason;
  if (detail !== undefined) result.detail = detail;
  return result;
}
