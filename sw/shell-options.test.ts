import { expect, test } from '@playwright/test';
import { shellOptionsFromQuery } from './shell-options.js';

test('no `shell` key: no app shell (the ready-made worker behaves as before)', () => {
  expect(shellOptionsFromQuery(new URLSearchParams('api=/api/chat&queue=q'))).toBeUndefined();
});

test('`shell` is comma-separated and repeatable; `shellTimeout` is in ms', () => {
  const query = new URLSearchParams('shell=/,/app.js, /style.css&shell=/client.js&shellTimeout=1500');
  expect(shellOptionsFromQuery(query)).toEqual({ urls: ['/', '/app.js', '/style.css', '/client.js'], networkTimeoutMs: 1500 });
});

test('an empty `shell` is passed on empty, for installAppShell to refuse by name', () => {
  expect(shellOptionsFromQuery(new URLSearchParams('shell='))).toEqual({ urls: [] });
});
