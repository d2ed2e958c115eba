import { expect, test } from '@playwright/test';
import { laneFromRequest, sideBySide } from './lanes.js';

const post = (url: string, headers: Record<string, string> = {}, body?: string) => new Request(url, { method: 'POST', headers, body: body ?? null });

test('a path pattern takes the :name segments of a URL that starts with it; any other URL is the default lane', async () => {
  const rule = '/api/chat/:conversation';
  expect(await laneFromRequest(rule, post('https://chat.example/api/chat/42'))).toBe('42');
  expect(await laneFromRequest(rule, post('https://chat.example/api/chat/42/messages?x=1'))).toBe('42');
  expect(await laneFromRequest(rule, post('https://chat.example/api/chat'))).toBe('');
  expect(await laneFromRequest(rule, post('https://chat.example/api/chat/'))).toBe('');
  expect(await laneFromRequest(rule, post('https://chat.example/api/other/42'))).toBe('');
  expect(await laneFromRequest('/api/:team/chat/:room', post('https://chat.example/api/t1/chat/r2'))).toBe('t1/r2');
});

test('a header name takes its value; a function its answer (it may read the body); none: the default lane; cut at 200 characters', async () => {
  expect(await laneFromRequest('Outbox-Lane', post('https://chat.example/api/chat', { 'Outbox-Lane': 'room-7' }))).toBe('room-7');
  expect(await laneFromRequest('Outbox-Lane', post('https://chat.example/api/chat'))).toBe('');
  const byBody = async (request: Request) => (await request.json()).room as string;
  expect(await laneFromRequest(byBody, post('https://chat.example/api/chat', {}, '{"room":"r9"}'))).toBe('r9');
  expect(await laneFromRequest(() => undefined, post('https://chat.example/api/chat'))).toBe('');
  expect(await laneFromRequest(undefined, post('https://chat.example/api/chat/42', { 'Outbox-Lane': 'x' }))).toBe('');
  expect(await laneFromRequest('Outbox-Lane', post('https://chat.example/api/chat', { 'Outbox-Lane': 'x'.repeat(300) }))).toHaveLength(200);
});

test('side by side: at most `limit` jobs at once; after a job throws no new one starts, and the error comes out once the running ones end', async () => {
  let running = 0;
  let most = 0;
  const done: number[] = [];
  await sideBySide([1, 2, 3, 4, 5, 6], 2, async (n) => {
    most = Math.max(most, ++running);
    await new Promise((resolve) => setTimeout(resolve, 5 * n));
    running -= 1;
    done.push(n);
  });
  expect(most).toBe(2);
  expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6]);

  const started: number[] = [];
  let slowEnded = false;
  const failing = sideBySide([1, 2, 3, 4], 2, async (n) => {
    started.push(n);
    if (n === 1) throw new Error('IndexedDB threw');
    await new Promise((resolve) => setTimeout(resolve, 20));
    slowEnded = true;
  });
  await expect(failing).rejects.toThrow('IndexedDB threw');
  expect(slowEnded, 'the running job ended before the error came out').toBe(true);
  expect(started, 'nothing started after the throw').toEqual([1, 2]);
});
