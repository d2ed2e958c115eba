// Long queues: what a page pays to start (`createOutbox()`) and to read the
// queue (`list()`) with 10,000 queued messages of 16 kB, against the same
// calls on an empty queue in the same run (the reference). Bodies are written
// straight into Workbox's store in the worker's format (sending 10,000 through
// the worker would measure the enqueue, which the main bench does); the API
// answers 503 meanwhile, so the worker's own drain backs off instead of
// emptying the queue under the measurement.
import { performance } from 'node:perf_hooks';
import { startBenchServer } from './server.mjs';

/** @param {unknown[]} a */
const log = (...a) => console.error('[bench]', ...a);

/**
 * Fills Workbox's store (database created by the worker) with `n` entries of `bodyBytes`, in batches.
 * @param {import('playwright-core').Page} page @param {number} n @param {number} bodyBytes
 */
async function fill(page, n, bodyBytes) {
  return page.evaluate(
    async ({ count, size }) => {
      const db = await new Promise((resolve, reject) => {
        // No version: the worker created it at version 3; any other version would break every queue.
        const open = indexedDB.open('workbox-background-sync');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const text = JSON.stringify({ text: 'x'.repeat(size - 12) });
      const body = new TextEncoder().encode(text).buffer;
      const nowMs = Date.now();
      for (let start = 0; start < count; start += 500) {
        await new Promise((resolve, reject) => {
          const tx = db.transaction('requests', 'readwrite');
          const store = tx.objectStore('requests');
          for (let i = start; i < Math.min(count, start + 500); i += 1) {
            const id = `long-${i}`;
            store.add({
              queueName: 'outbox',
              timestamp: nowMs,
              requestData: { url: `${location.origin}/api/chat`, method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': id }, body: body.slice(0), mode: 'same-origin', credentials: 'same-origin' },
              metadata: { v: 1, id, createdAtMs: nowMs },
            });
          }
          tx.oncomplete = resolve;
          tx.onerror = () => reject(tx.error);
        });
      }
      db.close();
      return count;
    },
    { count: n, size: bodyBytes },
  );
}

/**
 * createOutbox() in a fresh page, then list(): ms each, median of `reps`.
 * @param {import('playwright-core').BrowserContext} context @param {string} url @param {number} reps
 */
async function measure(context, url, reps) {
  /** @type {number[]} */
  const createMs = [];
  /** @type {number[]} */
  const listMs = [];
  /** @type {number[]} */
  const rawMs = [];
  let listed = 0;
  for (let r = 0; r < reps; r += 1) {
    const page = await context.newPage();
    await page.goto(`${url}/bench.html`);
    const t = await page.evaluate(async () => {
      const { createOutbox } = await import('/client.js');
      const t0 = performance.now();
      // list() of a long queue outlasts the client's default 10 s answer timeout: measured, not failed.
      const outbox = await createOutbox({ serviceWorker: '/sw.js?api=/api/chat', requestTimeoutMs: 300_000 });
      const t1 = performance.now();
      const messages = await outbox.list();
      const t2 = performance.now();
      // The same records read raw from the page: what IndexedDB alone costs.
      const raw = await new Promise((resolve, reject) => {
        const open = indexedDB.open('workbox-background-sync');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const request = open.result.transaction('requests').objectStore('requests').getAll();
          request.onsuccess = () => {
            open.result.close();
            resolve(request.result.length);
          };
          request.onerror = () => reject(request.error);
        };
      });
      const t3 = performance.now();
      return { create: t1 - t0, list: t2 - t1, raw: t3 - t2, rawCount: raw, listed: messages.length };
    });
    createMs.push(t.create);
    listMs.push(t.list);
    rawMs.push(t.raw);
    listed = t.listed;
    await page.close();
  }
  /** @param {number[]} a */
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? NaN; // NaN: no rep ran
  return { createMs: Math.round(median(createMs)), listMs: Math.round(median(listMs)), rawGetAllMs: Math.round(median(rawMs)), listed };
}

/**
 * Runs in its own context of `browser`, against its own server (its own origin).
 * @param {import('playwright-core').Browser} browser
 * @param {{ swFile: string, clientFile?: string, n?: number, bodyBytes?: number, reps?: number }} options
 */
export async function benchLongQueue(browser, { swFile, clientFile, n = 10_000, bodyBytes = 16 * 1024, reps = 3 }) {
  const server = await startBenchServer({ swFile, clientFile, label: 'long-queue' });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/bench.html`);
    await page.evaluate(async () => {
      const { createOutbox } = await import('/client.js');
      await createOutbox({ serviceWorker: '/sw.js?api=/api/chat' });
    });
    await page.close();
    server.api.setMode('503');
    const empty = await measure(context, server.url, reps);
    const filler = await context.newPage();
    await filler.goto(`${server.url}/bench.html`);
    const t0 = performance.now();
    await fill(filler, n, bodyBytes);
    log(`long queue: ${n} x ${bodyBytes} B written in ${Math.round(performance.now() - t0)} ms`);
    await filler.close();
    const full = await measure(context, server.url, reps);
    return { n, bodyBytes, reps, empty, full, createRatio: full.createMs / Math.max(1, empty.createMs), targetCreateMs: 1000, met: full.createMs < 1000 };
  } finally {
    await context.close();
    await server.close();
  }
}
