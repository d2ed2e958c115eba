import { expect, test } from '@playwright/test';
import { DEFAULT_OPTIONS, normalizeOptions, optionsFromQuery } from './options.js';

test('defaults fill what is not given; 0 and false are kept, not replaced by a default', () => {
  expect(normalizeOptions()).toEqual(DEFAULT_OPTIONS);
  expect(normalizeOptions({ backgroundSync: false }).backgroundSync).toBe(false);
  expect(() => normalizeOptions({ timeoutMs: 0 })).toThrow(/'timeoutMs' must be a positive number, got 0/);
});

test('bad options are refused with a message naming the option', () => {
  expect(() => normalizeOptions({ apiPaths: [] })).toThrow(/apiPaths/);
  expect(() => normalizeOptions({ apiPaths: ['api/chat'] })).toThrow(/must start with '\/'/);
  expect(() => normalizeOptions({ retentionMinutes: Number.NaN })).toThrow(/retentionMinutes/);
  expect(() => normalizeOptions({ queueName: '' })).toThrow(/queueName/);
  expect(() => normalizeOptions({ retryBaseMs: 5000, retryMaxMs: 1000 })).toThrow(/retryMaxMs/);
});

test('the ready-made worker reads its options from its registration URL', () => {
  const query = new URLSearchParams('api=/api/chat&api=/api/rooms&retention=60&timeout=500&maxBody=2048&sync=0&queue=q&retryBase=100&retryMax=900&lane=/api/chat/:conversation&lanesAtOnce=2');
  expect(normalizeOptions(optionsFromQuery(query))).toEqual({
    apiPaths: ['/api/chat', '/api/rooms'],
    retentionMinutes: 60,
    timeoutMs: 500,
    maxBodyBytes: 2048,
    backgroundSync: false,
    queueName: 'q',
    retryBaseMs: 100,
    retryMaxMs: 900,
    secretHeaders: ['authorization', 'cookie'],
    encrypt: false,
    idempotencyKeyFormat: 'bare',
    setAsideAfterTries: 5,
    setAsideAfterMs: 60_000,
    lane: '/api/chat/:conversation',
    lanesAtOnce: 2,
    debug: false,
  });
  expect(normalizeOptions(optionsFromQuery(new URLSearchParams('key=quoted&debug=1&setAsideTries=2&setAsideMs=5000')))).toMatchObject({
    idempotencyKeyFormat: 'quoted',
    debug: true,
    setAsideAfterTries: 2,
    setAsideAfterMs: 5000,
  });
  expect(() => normalizeOptions(optionsFromQuery(new URLSearchParams('key=curly')))).toThrow(/idempotencyKeyFormat/);
  const privacy = normalizeOptions(optionsFromQuery(new URLSearchParams('encrypt=1&secretHeaders=Authorization,X-CSRF-Token')));
  expect(privacy.encrypt).toBe(true);
  expect(privacy.secretHeaders).toEqual(['authorization', 'x-csrf-token']);
  expect(normalizeOptions(optionsFromQuery(new URLSearchParams('secretHeaders=')))).toMatchObject({ secretHeaders: [] });
  expect(optionsFromQuery(new URLSearchParams(''))).toEqual({});
  expect(optionsFromQuery(new URLSearchParams('sync=1')).backgroundSync).toBe(true);
  // In the words of the key the developer wrote (the option's name, timeoutMs, is not in their URL).
  expect(() => optionsFromQuery(new URLSearchParams('timeout=soon'))).toThrow("outbox: timeout=soon in the worker's URL: timeout takes a number of milliseconds above 0, e.g. timeout=10000");
  expect(() => optionsFromQuery(new URLSearchParams('retention=0'))).toThrow(/retention takes a number of minutes above 0/);
  expect(() => optionsFromQuery(new URLSearchParams('retenton=1440'))).toThrow("did you mean 'retention'?");
  expect(() => optionsFromQuery(new URLSearchParams('Debug=1'))).toThrow("did you mean 'debug'?");
  expect(optionsFromQuery(new URLSearchParams('v=2&ver=3'))).toEqual({});
});
