// A photo and its caption, sent without awaiting the first (what a chat
// does): the worker reads the photo's body for longer than the caption's, but
// the queue position is taken when each request arrives, so the server stores
// the photo first, online and offline, for FormData with a file and for Blobs.
import { test, expect } from '../fixtures';
import type { Page } from '@playwright/test';

type Kind = 'formdata' | 'blob';

/** Sends a ~900 kB photo then a JSON caption, without awaiting the first; resolves both results. */
function photoThenCaption(page: Page, kind: Kind, caption: string) {
  return page.evaluate(
    async ([k, text]) => {
      const outbox = (window as any).outbox;
      const bytes = new Uint8Array(900_000).map((_, i) => i % 251);
      const file = new File([bytes], 'photo.jpg', { type: 'image/jpeg' });
      let photo: Promise<any>;
      if (k === 'formdata') {
        const form = new FormData();
        form.append('photo', file);
        photo = outbox.send('/api/chat', form);
      } else {
        photo = outbox.send('/api/chat', file);
      }
      const captionSent = outbox.send('/api/chat', { text });
      const [p, c] = await Promise.all([photo, captionSent]);
      return { photo: { id: p.id, status: p.status }, caption: { id: c.id, status: c.status } };
    },
    [kind, caption] as const,
  );
}

for (const kind of ['formdata', 'blob'] as const) {
  test(`${kind} photo then caption, online: stored in the order sent`, async ({ page, server, openHarness, waitForStored }) => {
    await openHarness(page);
    const sent = await photoThenCaption(page, kind, `caption of the ${kind}`);
    const stored = await waitForStored(2);
    expect(stored.map((m) => m.key), 'the photo is stored before its caption').toEqual([sent.photo.id, sent.caption.id]);
    expect(stored[0]!.contentType).toMatch(kind === 'formdata' ? /^multipart\/form-data/ : /^image\/jpeg/);
    expect(server.api.stored).toHaveLength(2);
  });

  test(`${kind} photo then caption, offline: queued and replayed in the order sent`, async ({ page, context, server, openHarness, waitForStored }) => {
    await openHarness(page);
    await context.setOffline(true);
    const sent = await photoThenCaption(page, kind, `offline caption of the ${kind}`);
    expect(sent.photo.status).toBe('queued');
    expect(sent.caption.status).toBe('queued');
    const listed = await page.evaluate(() => (window as any).outbox.list());
    expect(listed.map((m: { id: string }) => m.id), 'the queue holds the photo first').toEqual([sent.photo.id, sent.caption.id]);
    await context.setOffline(false);
    const stored = await waitForStored(2);
    expect(stored.map((m) => m.key)).toEqual([sent.photo.id, sent.caption.id]);
    expect(server.api.stored).toHaveLength(2);
  });
}
