import { expect, test } from '@playwright/test';
import { rebuildError, serializeError, UnknownMessageError, isOutboxError } from './errors.js';
import { PROTOCOL, envelopeProblem, isOutboxMessage } from './messages.js';

test('well-formed commands pass; malformed ones are named', () => {
  const ok = (command: unknown) => envelopeProblem({ protocol: PROTOCOL, command });
  expect(ok({ type: 'list', namespace: '' })).toBeUndefined();
  expect(ok({ type: 'retry', id: 'abc', namespace: 'alice' })).toBeUndefined();
  expect(ok({ type: 'session', namespace: 'alice', credentials: { authorization: 'Bearer x' } })).toBeUndefined();
  expect(ok({ type: 'purge', namespace: 'alice' })).toBeUndefined();
  expect(ok({ type: 'list' })).toMatch(/list needs a namespace/);
  expect(ok({ type: 'session', namespace: 'alice', credentials: { authorization: 42 } })).toMatch(/credentials must be/);
  expect(ok({ type: 'flush', trigger: 'online' })).toBeUndefined();
  expect(ok({ type: 'retry', namespace: '' })).toMatch(/retry needs an id/);
  expect(ok({ type: 'discard', id: 'x'.repeat(201), namespace: '' })).toMatch(/discard needs an id/);
  expect(ok({ type: 'flush', trigger: 'sync' })).toMatch(/flush needs a trigger/);
  expect(ok({ type: 'edit', id: 'm1', namespace: '', body: new ArrayBuffer(2), contentType: 'application/json' })).toBeUndefined();
  expect(ok({ type: 'edit', id: 'm1', namespace: '', body: '{}', contentType: 'application/json' })).toMatch(/edit needs a body/);
  expect(ok({ type: 'edit', id: 'm1', namespace: '', body: new ArrayBuffer(2) })).toMatch(/edit needs a contentType/);
  expect(ok({ type: 'cancel', namespace: '' })).toMatch(/cancel needs an id/);
  expect(ok({ type: 'cancel', id: 'm1', namespace: 'bob' })).toBeUndefined();
  expect(ok({ type: 'trace', on: true })).toBeUndefined();
  expect(ok({ type: 'trace', on: 'yes' })).toMatch(/trace needs on: true or false/);
  expect(ok({ type: 'drop-tables' })).toMatch(/unknown command type "drop-tables"/);
  expect(ok(null)).toMatch(/command must be an object/);
  expect(envelopeProblem('list')).toMatch(/must be an object/);
  expect(envelopeProblem({ protocol: 'outbox/0', command: { type: 'list' } })).toMatch(/protocol must be/);
});

test('only messages that carry our protocol tag are ours to answer', () => {
  expect(isOutboxMessage({ protocol: PROTOCOL })).toBe(true);
  expect(isOutboxMessage({ type: 'SKIP_WAITING' })).toBe(false);
  expect(isOutboxMessage(undefined)).toBe(false);
});

test('a named error survives the trip through postMessage', () => {
  const wire = structuredClone(serializeError(new UnknownMessageError('m1', 'retry')));
  const rebuilt = rebuildError(wire);
  expect(rebuilt).toBeInstanceOf(UnknownMessageError);
  expect(rebuilt.name).toBe('UnknownMessageError');
  expect(rebuilt.message).toBe("Cannot retry message 'm1': the outbox holds no such message");
  expect(isOutboxError(rebuilt, 'UnknownMessageError')).toBe(true);
  expect(rebuildError({ name: 'TypeError', message: 'x' }).name).toBe('TypeError');
});
