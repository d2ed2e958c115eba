// Bodies of every kind, queued offline and replayed later, reach the server
// byte for byte with their content type: JSON, text (non-ASCII), FormData
// with a file part, binary (bytes 0..255 as a Blob and as an ArrayBuffer),
// URL-encoded, and empty bodies.
import { test, expect, list } from '../fixtures';

const ALL_BYTES_B64 = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('base64');

interface Sent {
  name: string;
  id: string;
  status: string;
  /** What the page sent, as the browser serialised it (for FormData: null; checked by parsing). */
  expectedBase64: string | null;
  expectedType: string | null;
}

/** Sends one body of each kind from the page, in order; returns what the server should receive for each. */
function sendEveryKind(page: import('@playwright/test').Page): Promise<Sent[]> {
  return page.evaluate(async () => {
    const outbox = (window as any).outbox;
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
    const utf8 = (text: string) => b64(new TextEncoder().encode(text));
    const allBytes = new Uint8Array(256).map((_, i) => i);
    const out: Array<Record<string, unknown>> = [];
    const go = async (name: string, body: unknown, init: RequestInit | undefined, expectedBase64: string | null, expectedType: string | null) => {
      const result = await outbox.send('/api/chat', body, init);
      out.push({ name, id: result.id, status: result.status, expectedBase64, expectedType });
    };
    await go('json', { text: 'héllo ✓ 🚀', n: 1 }, undefined, utf8(JSON.stringify({ text: 'héllo ✓ 🚀', n: 1 })), 'application/json');
    await go('text', 'plain text, ünïcödé ✓\nsecond line', { headers: { 'Content-Type': 'text/plain;charset=utf-8' } }, utf8('plain text, ünïcödé ✓\nsecond line'), 'text/plain;charset=utf-8');
    const form = new FormData();
    form.append('text', 'with a file');
    form.append('file', new File([allBytes], 'bytes.bin', { type: 'application/octet-stream' }));
    await go('formdata', form, undefined, null, null);
    await go('blob', new Blob([allBytes], { type: 'application/octet-stream' }), undefined, b64(allBytes), 'application/octet-stream');
    await go('arraybuffer', allBytes.buffer.slice(0), { headers: { 'Content-Type': 'application/x-custom-binary' } }, b64(allBytes), 'application/x-custom-binary');
    await go('urlencoded', new URLSearchParams({ text: 'a&b=c d', x: 'é' }), undefined, utf8(new URLSearchParams({ text: 'a&b=c d', x: 'é' }).toString()), 'application/x-www-form-urlencoded;charset=UTF-8');
    await go('empty text', '', { headers: { 'Content-Type': 'text/plain' } }, '', 'text/plain');
    await go('no body', null, { headers: { 'Content-Type': 'application/x-nothing' } }, '', 'application/x-nothing');
    return out as unknown as Sent[];
  });
}

/** The parts of a multipart/form-data body. */
function parseMultipart(body: Buffer, contentType: string) {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  expect(boundary, `a boundary in ${contentType}`).not.toBeNull();
  const delimiter = Buffer.from(`--${boundary![1] ?? boundary![2]}`);
  const parts: Array<{ headers: string; data: Buffer }> = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const split = part.indexOf('\r\n\r\n');
    parts.push({ headers: part.subarray(0, split).toString(), data: part.subarray(split + 4) });
    at = next;
  }
  return parts;
}

test('every kind of body is replayed byte for byte with its content type (JSON, text, FormData with a file, Blob, ArrayBuffer, URL-encoded, empty)', async ({ page, context, server, openHarness, waitFor, waitForStored }) => {
  await openHarness(page);
  await context.setOffline(true);
  const sent = await sendEveryKind(page);
  expect(sent.map((s) => `${s.name}: ${s.status}`)).toEqual(sent.map((s) => `${s.name}: queued`));
  const pending = await list(page);
  expect(pending.map((m) => m.id)).toEqual(sent.map((s) => s.id));

  await context.setOffline(false);
  await waitForStored(sent.length);
  expect(server.api.stored.map((m) => m.key), 'each once, in order').toEqual(sent.map((s) => s.id));

  for (const [i, s] of sent.entries()) {
    const stored = server.api.stored[i]!;
    if (s.expectedBase64 !== null) {
      expect(stored.bodyBase64, `${s.name}: the bytes`).toBe(s.expectedBase64);
      expect(stored.contentType, `${s.name}: the content type`).toBe(s.expectedType);
    }
  }
  const binary = sent.findIndex((s) => s.name === 'blob');
  expect(server.api.stored[binary]!.bodyBase64, 'bytes 0..255').toBe(ALL_BYTES_B64);

  // FormData: the boundary in the header matches the body, and the parts are intact.
  const formAt = sent.findIndex((s) => s.name === 'formdata');
  const form = server.api.stored[formAt]!;
  expect(form.contentType).toMatch(/^multipart\/form-data; boundary=/);
  const parts = parseMultipart(Buffer.from(form.bodyBase64, 'base64'), form.contentType);
  expect(parts).toHaveLength(2);
  expect(parts[0]!.headers).toContain('name="text"');
  expect(parts[0]!.data.toString()).toBe('with a file');
  expect(parts[1]!.headers).toContain('name="file"; filename="bytes.bin"');
  expect(parts[1]!.headers).toContain('Content-Type: application/octet-stream');
  expect(parts[1]!.data.toString('base64'), 'the file part: bytes 0..255').toBe(ALL_BYTES_B64);

  await waitFor(async () => (await list(page)).length === 0, { message: 'list() empty' });
  expect(server.api.attempts.every((a) => a.outcome === 'stored')).toBe(true);
});

test('a body sent online (no queueing) is passed through byte for byte as well', async ({ page, server, openHarness }) => {
  await openHarness(page);
  const sent = await sendEveryKind(page);
  expect(sent.map((s) => `${s.name}: ${s.status}`)).toEqual(sent.map((s) => `${s.name}: delivered`));
  expect(server.api.stored.map((m) => m.key)).toEqual(sent.map((s) => s.id));
  for (const [i, s] of sent.entries()) {
    if (s.expectedBase64 === null) continue;
    expect(server.api.stored[i]!.bodyBase64, `${s.name}: the bytes`).toBe(s.expectedBase64);
    expect(server.api.stored[i]!.contentType, `${s.name}: the content type`).toBe(s.expectedType);
  }
});
