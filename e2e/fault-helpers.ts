/**
 * Helpers for the fault-injection specs (outages, restarts, storage faults, tabs at once). Kept apart
 * from fixtures.ts so the two can change independently; they only add to it.
 */
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// @ts-ignore: plain ESM module without type declarations
import { launchArgs } from './chromium.mjs';
import type { DemoServer, OutboxEvent, Status } from './fixtures';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The demo API's modes, with the '429' one added for these specs. */
export type ApiMode = 'up' | 'unreachable' | 'chat-down' | '503' | '429';

export function setMode(server: DemoServer, mode: ApiMode, options: { retryAfterSeconds?: number } = {}): void {
  (server.api.setMode as (mode: string, options?: { retryAfterSeconds?: number }) => void)(mode, options);
}

// ---- the server's view of concurrency ----

export interface InFlight {
  key: string;
  startMs: number;
  endMs?: number;
  /** False when the socket closed before the server answered (the sender gave up, or was stopped). */
  answered?: boolean;
}

export interface InFlightWatch {
  readonly requests: InFlight[];
  /**
   * The most answered POSTs to /api/chat the server was handling at one time.
   * A request whose sender gave up (its worker was stopped, or it timed out)
   * is left out: the server notices the closed socket a moment after the
   * sender let go, so it may seem to overlap the next one.
   */
  max(): number;
  /** Pairs of answered requests whose handling overlapped, for failure messages. */
  overlaps(): string[];
  /** Requests the sender abandoned before the answer. */
  abandoned(): InFlight[];
  stop(): void;
}

/**
 * Records, for every POST /api/chat, when the server got it and when its
 * answer went out (or its socket closed). Two drains running side by side
 * show as overlapping answered requests.
 */
export function watchInFlight(server: DemoServer): InFlightWatch {
  const requests: InFlight[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'POST' || !req.url?.startsWith('/api/chat')) return;
    const entry: InFlight = { key: String(req.headers['idempotency-key'] ?? ''), startMs: Date.now() };
    requests.push(entry);
    res.once('finish', () => {
      entry.answered = true;
    });
    res.once('close', () => {
      entry.endMs = Date.now();
      entry.answered ??= false;
    });
  };
  server.server.on('request', onRequest);
  const answered = () => requests.filter((r) => r.answered !== false).sort((a, b) => a.startMs - b.startMs);
  return {
    requests,
    max() {
      let max = 0;
      const list = answered();
      for (const r of list) {
        const at = r.startMs;
        const open = list.filter((o) => o.startMs <= at && (o.endMs === undefined || o.endMs > at)).length;
        max = Math.max(max, open);
      }
      return max;
    },
    overlaps() {
      const list = answered();
      const out: string[] = [];
      for (let i = 1; i < list.length; i += 1) {
        const prev = list[i - 1]!;
        const next = list[i]!;
        if (prev.endMs === undefined || next.startMs < prev.endMs) {
          out.push(`${prev.key.slice(0, 8)} [${prev.startMs}..${prev.endMs ?? '?'}] overlaps ${next.key.slice(0, 8)} [${next.startMs}..${next.endMs ?? '?'}]`);
        }
      }
      return out;
    },
    abandoned() {
      return requests.filter((r) => r.answered === false);
    },
    stop() {
      server.server.off('request', onRequest);
    },
  };
}

/**
 * Switches the API between modes on a fixed rhythm until stopped; ends in
 * `up`. Returns how many switches happened.
 */
export function flap(server: DemoServer, steps: Array<{ mode: ApiMode; ms: number }>): { stop(): number } {
  let i = 0;
  let switches = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const next = () => {
    const step = steps[i % steps.length]!;
    i += 1;
    setMode(server, step.mode);
    switches += 1;
    timer = setTimeout(next, step.ms);
  };
  next();
  return {
    stop() {
      clearTimeout(timer);
      setMode(server, 'up');
      return switches;
    },
  };
}

// ---- a browser with a profile on disk (for restarts) ----

export interface Profile {
  dir: string;
  launch(origin: string): Promise<BrowserContext>;
  remove(): void;
}

/** A temporary user-data dir; each `launch` starts Chromium on it (headless) with background-sync granted. */
export function tempProfile(): Profile {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'outbox-profile-'));
  return {
    dir,
    async launch(origin: string) {
      const executablePath = process.env.CHROMIUM_PATH;
      if (!executablePath) throw new Error('CHROMIUM_PATH is not set: run the suite with `npm test` (node e2e/run.mjs)');
      const context = await chromium.launchPersistentContext(dir, { executablePath, args: launchArgs, headless: true });
      await context.grantPermissions(['background-sync'], { origin });
      return context;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  };
}

// ---- talking to the worker without the client ----

export interface RawReply {
  answered: boolean;
  reply?: { ok: boolean; value?: unknown; error?: { name: string; message: string } };
}

/**
 * Posts `messages` to the page's controlling worker, each with its own reply
 * port (unless `withPort` is false), then one well-formed `hello` as a marker.
 * Returns what each message got by the time the marker was answered (the
 * worker handles its messages in order and answers malformed ones at once, so
 * an answer not there by then is not coming), and the marker's own answer.
 */
export function postRaw(page: Page, messages: unknown[], { withPort = true, timeoutMs = 5_000 } = {}): Promise<{ replies: RawReply[]; marker: RawReply }> {
  return page.evaluate(
    async ([list, port, timeout]) => {
      const worker = navigator.serviceWorker.controller;
      if (!worker) throw new Error('no controller');
      const replies = list.map(() => ({ answered: false }) as { answered: boolean; reply?: unknown });
      list.forEach((data, i) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = ({ data: reply }) => {
          replies[i] = { answered: true, reply };
        };
        worker.postMessage(data, port ? [channel.port2] : []);
      });
      const ask = () =>
        new Promise<{ answered: boolean; reply?: unknown }>((resolve) => {
          const channel = new MessageChannel();
          const timer = setTimeout(() => resolve({ answered: false }), timeout);
          channel.port1.onmessage = ({ data: reply }) => {
            clearTimeout(timer);
            resolve({ answered: true, reply });
          };
          worker.postMessage({ protocol: 'outbox/1', command: { type: 'hello' } }, [channel.port2]);
        });
      const marker = await ask();
      // A second round trip, so any reply posted before the marker's has been delivered too.
      await ask();
      return { replies: replies.map((r) => ({ ...r })), marker };
    },
    [messages, withPort, timeoutMs] as const,
  ) as Promise<{ replies: RawReply[]; marker: RawReply }>;
}

// ---- the queue's storage, read and written the way another program would ----

export const QUEUE_DB = 'workbox-background-sync';
export const QUEUE_DB_VERSION = 3;

export interface RawEntry {
  id: number;
  queueName?: string;
  timestamp?: number;
  metadata?: { id?: string; createdAtMs?: number; v?: number };
  requestData?: { url?: string; method?: string; headers?: Record<string, string>; body?: string /* base64 here */ };
}

/** Every record of Workbox's `requests` store (bodies as base64), straight from IndexedDB in the page. */
export function rawQueue(page: Page): Promise<RawEntry[]> {
  return page.evaluate(async ([name, version]) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(name, version);
      open.onupgradeneeded = () => open.transaction?.abort(); // not created yet: do not create it here
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    }).catch(() => undefined);
    if (!db) return [];
    try {
      const all = await new Promise<any[]>((resolve, reject) => {
        const request = db.transaction('requests').objectStore('requests').getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      return all.map((entry) => {
        const body = entry.requestData?.body;
        const copy = { ...entry, requestData: entry.requestData ? { ...entry.requestData } : undefined };
        if (body instanceof ArrayBuffer && copy.requestData) {
          // In chunks: spreading a 1 MiB body into one call overflows the stack.
          const bytes = new Uint8Array(body);
          let binary = '';
          for (let at = 0; at < bytes.length; at += 0x8000) binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
          copy.requestData.body = btoa(binary);
        }
        return copy;
      });
    } finally {
      db.close();
    }
  }, [QUEUE_DB, QUEUE_DB_VERSION] as const);
}

/** Every record of the ledger (database `outbox`, store `messages`). */
export function rawLedger(page: Page): Promise<Array<{ id: string; status: string; reason?: string }>> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('outbox', 1);
      open.onupgradeneeded = () => open.transaction?.abort();
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    }).catch(() => undefined);
    if (!db) return [];
    try {
      return await new Promise<any[]>((resolve, reject) => {
        const request = db.transaction('messages').objectStore('messages').getAll();
        request.onsuccess = () => resolve(request.result.map((r: any) => ({ id: r.id, status: r.status, reason: r.reason })));
        request.onerror = () => reject(request.error);
      });
    } finally {
      db.close();
    }
  });
}

/**
 * Adds records to Workbox's `requests` store as another program (an older
 * worker, the plain recipe) would. `bodyText` becomes an ArrayBuffer body.
 * Resolves with the keys the store gave them, in order.
 */
export function writeRawEntries(page: Page, entries: Array<Record<string, unknown> & { bodyText?: string }>): Promise<number[]> {
  return page.evaluate(
    async ([list, name, version]) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(name, version);
        open.onupgradeneeded = () => {
          open.transaction?.abort();
        };
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(new Error(`the queue database does not exist yet: ${open.error}`));
      });
      try {
        const tx = db.transaction('requests', 'readwrite');
        const store = tx.objectStore('requests');
        const keys: number[] = [];
        for (const { bodyText, ...entry } of list) {
          const record: any = entry;
          if (bodyText !== undefined) {
            record.requestData = { ...(record.requestData ?? {}), body: new TextEncoder().encode(bodyText).buffer };
          }
          const request = store.add(record);
          request.onsuccess = () => keys.push(request.result as number);
        }
        await new Promise<void>((resolve, reject) => {
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
          tx.onabort = () => reject(tx.error);
        });
        return keys;
      } finally {
        db.close();
      }
    },
    [entries, QUEUE_DB, QUEUE_DB_VERSION] as const,
  );
}

// ---- events seen by a page ----

/** The statuses a page saw for one message, in order. */
export function statusesIn(seen: OutboxEvent[], id: string): OutboxEvent['status'][] {
  return seen.filter((e) => e.id === id).map((e) => e.status);
}
