// Dependent requests: a photo (a 2 MB FormData upload) and its caption,
// sent `after` it, whose JSON body carries a placeholder for the upload's
// URL. Asserted on what the server stored: the upload once, the caption once,
// after it, with the URL the upload's answer gave.
import type { Page } from '@playwright/test';
import { test, expect, events, list } from '../fixtures';

const WORKER = 'api=/api/chat&api=/api/upload&maxBody=4194304&retryBase=200';
const PHOTO_BYTES = 2 * 1024 * 1024;

type Result = { id: string; status: string; reason?: string; detail?: string; body?: unknown };

/** Sends a 2 MB photo as FormData to /api/upload. */
function sendPhoto(page: Page): Promise<Result> {
  return page.evaluate(async (bytes) => {
    const form = new FormData();
    form.append('photo', new Blob([new Uint8Array(bytes).fill(7)], { type: 'image/jpeg' }), 'photo.jpg');
    const { response: _, ...result } = await (window as any).outbox.send('/api/upload', form);
    return result;
  }, PHOTO_BYTES);
}

/** Sends the caption after `photoId`, with a placeholder for the photo's URL. */
function sendCaption(page: Page, photoId: string, text: string): Promise<Result> {
  return page.evaluate(async ({ photoId, text }) => {
    const body = { text, image: { $outbox: photoId, path: 'url' } };
    const { response: _, ...result } = await (window as any).outbox.send('/api/chat', body, { after: photoId });
    return result;
  }, { photoId, text });
}

const statusOf = async (page: Page, id: string): Promise<string | undefined> => (await events(page)).filter((e) => e.id === id).at(-1)?.status;

test('a photo and its caption queued offline, the worker stopped between the two: delivered after reconnect, the caption carrying the upload\'s URL', async ({ page, context, server, openHarness, cdp, waitFor }) => {
  await openHarness(page, WORKER, { healthMs: 1_000 });
  await context.setOffline(true);
  const photo = await sendPhoto(page);
  expect(photo.status).toBe('queued');
  await (await cdp(page)).stopWorkers();
  const caption = await sendCaption(page, photo.id, 'look at this');
  expect(caption.status).toBe('queued');
  expect((await list(page)).map((m) => [m.id, m.after])).toEqual([[photo.id, undefined], [caption.id, photo.id]]);
  // The upload is stored as a Blob (on disk, read when sent), the caption as bytes.
  const bodies = await page.evaluate(async () =>
    ((await (window as any).queueRecords()) as { requestData: { url: string; body: unknown } }[]).map((r) => [new URL(r.requestData.url).pathname, r.requestData.body instanceof Blob ? 'Blob' : r.requestData.body?.constructor?.name]),
  );
  expect(bodies).toEqual([['/api/upload', 'Blob'], ['/api/chat', 'ArrayBuffer']]);

  await context.setOffline(false);
  await waitFor(() => server.api.stored.length === 1, { timeoutMs: 20_000, message: 'the caption stored after the upload' });
  expect(server.api.uploads.map((u) => [u.key, u.bytes])).toEqual([[photo.id, expect.any(Number)]]);
  expect(server.api.uploads[0]!.bytes).toBeGreaterThan(PHOTO_BYTES);
  expect(server.api.stored.map((m) => [m.key, JSON.parse(m.bodyText)])).toEqual([[caption.id, { text: 'look at this', image: server.api.uploads[0]!.url }]]);
  await waitFor(async () => (await statusOf(page, caption.id)) === 'delivered' && (await statusOf(page, photo.id)) === 'delivered', { message: 'both delivered' });
  expect(await list(page)).toEqual([]);
});

test('a refused photo leaves its caption, and a follow-up sent after the caption, failed (parent-failed); retrying the photo delivers all three, once, in order', async ({ page, server, openHarness, waitFor }) => {
  await openHarness(page, WORKER, { healthMs: 1_000 });
  server.api.refuseUploads = true;
  const photo = await sendPhoto(page);
  expect(photo).toMatchObject({ status: 'failed', reason: 'http-422' });
  const caption = await sendCaption(page, photo.id, 'caption of a refused photo');
  expect(caption, 'the page is told at once, the text kept for a retry').toMatchObject({ status: 'failed', reason: 'parent-failed' });
  // A grandchild: sent after the caption, which waits for the photo.
  const followUp = await page.evaluate(async (after) => {
    const { response: _, ...result } = await (window as any).outbox.send('/api/chat', { text: 'and one more thing' }, { after });
    return result as Result;
  }, caption.id);
  expect(followUp).toMatchObject({ status: 'failed', reason: 'parent-failed' });
  await waitFor(async () => (await statusOf(page, caption.id)) === 'failed', { message: 'the caption set aside with its parent' });
  const listed = await list(page);
  expect(listed.find((m) => m.id === followUp.id)).toMatchObject({ status: 'failed', reason: 'parent-failed', after: caption.id });
  expect(listed.find((m) => m.id === caption.id)).toMatchObject({ status: 'failed', reason: 'parent-failed', after: photo.id, body: { text: 'caption of a refused photo' } });
  expect(server.api.stored).toHaveLength(0);

  server.api.refuseUploads = false;
  await page.evaluate((id) => (window as any).outbox.retry(id), photo.id);
  await waitFor(() => server.api.stored.length === 2, { timeoutMs: 15_000, message: 'the caption and its follow-up stored once the photo was' });
  expect(server.api.uploads.map((u) => u.key)).toEqual([photo.id]);
  expect(server.api.stored.map((m) => [m.key, JSON.parse(m.bodyText).image])).toEqual([[caption.id, server.api.uploads[0]!.url], [followUp.id, undefined]]);
  await waitFor(async () => (await list(page)).length === 0, { message: 'nothing left' });
});

test('cancelling a queued photo cancels its caption; nothing reaches the server', async ({ page, context, server, openHarness, waitFor }) => {
  await openHarness(page, WORKER, { healthMs: 1_000 });
  await context.setOffline(true);
  const photo = await sendPhoto(page);
  const caption = await sendCaption(page, photo.id, 'never mind');
  expect(await page.evaluate((id) => (window as any).outbox.cancel(id), photo.id)).toBe('done');
  await waitFor(async () => (await statusOf(page, caption.id)) === 'discarded', { message: 'the caption discarded with its photo' });
  expect(await list(page)).toEqual([]);
  await context.setOffline(false);
  await page.evaluate(() => (window as any).outbox.flush());
  expect(server.api.uploads).toEqual([]);
  expect(server.api.stored).toEqual([]);
});

test('online: a caption sent after its photo was already delivered takes the URL from the answer; after an unknown id it is refused with its body back', async ({ page, server, openHarness, waitFor }) => {
  await openHarness(page, WORKER, { healthMs: 1_000 });
  const photo = await sendPhoto(page);
  expect(photo.status).toBe('delivered');
  const caption = await sendCaption(page, photo.id, 'sent once the photo was up');
  await waitFor(() => server.api.stored.length === 1, { message: 'the caption stored' });
  expect(server.api.stored.map((m) => [m.key, JSON.parse(m.bodyText).image])).toEqual([[caption.id, server.api.uploads[0]!.url]]);

  const orphan = await sendCaption(page, 'no-such-message', 'orphan');
  expect(orphan).toMatchObject({ status: 'failed', reason: 'invalid', body: { text: 'orphan' } });
  expect(orphan.detail).toContain('no-such-message');
  expect(server.api.stored).toHaveLength(1);
});
