/**
 * Fixtures and helpers for the outbox end-to-end tests.
 *
 * Each test gets its own demo server (a fresh port, so a fresh origin with its
 * own service worker registration and IndexedDB) and its own browser context
 * with the `background-sync` permission granted (without it
 * `registration.sync.register()` fails silently and no sync event ever comes).
 * The browser itself is launched once per Playwright worker from CHROMIUM_PATH.
 *
 * Facts the tests build on:
 * - `context.setOffline(true)` cuts the service worker's fetches too, and
 *   fires `offline`/`online` in the page (the client listens to `online`).
 * - Chromium fires a pending one-shot sync by itself when the context comes
 *   back online; CDP `ServiceWorker.dispatchSyncEvent` does nothing while
 *   offline emulation is on.
 * - A page reloaded while offline fails to load: to test "survives a reload",
 *   keep the page served and make only the API unreachable
 *   (`server.api.setMode('unreachable')`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test as base, expect, type Browser, type BrowserContext, type CDPSession, type Page, type TestInfo } from '@playwright/test';
// @ts-ignore: plain ESM modules without type declarations
import { startServer } from '../demo/server.mjs';
// @ts-ignore: plain ESM module without type declarations
import { launchArgs } from './chromium.mjs';
import type { Tab } from './engines/driver';

export { expect };

// The library's own types: a spec reading a field the library does not have fails to compile.
import type { MessageStatus, OutboxEvent as ClientOutboxEvent, PendingMessage, SendResult as ClientSendResult } from '../client/index';

export type Status = MessageStatus;

export interface StoredMessage {
  key: string;
  seq: number;
  contentType: string;
  bodyText: string;
  bodyBase64: string;
  headers: Record<string, string>;
  receivedAtMs: number;
}

export interface Attempt {
  key: string;
  receivedAtMs: number;
  outcome: 'stored' | 'duplicate' | 'rejected' | 'dropped' | '503' | 'answer-dropped' | 'unauthorized' | '429';
}

export interface DemoApi {
  stored: StoredMessage[];
  attempts: Attempt[];
  /** `chat-down`: /api/chat drops every connection while /api/health answers. */
  setMode(mode: 'up' | 'unreachable' | 'chat-down' | '503', options?: { retryAfterSeconds?: number }): void;
  dropAnswers(n: number): void;
  delayMs: number;
  /** false: POST /api/chat stores every request, repeats too (no idempotency middleware). */
  deduplicate: boolean;
  /** POST /api/upload: what was stored (once per key), and whether uploads are refused (422). */
  uploads: { key: string; bytes: number; contentType: string; url: string }[];
  refuseUploads: boolean;
  /** POST /api/chat/edits: follow-ups changing a message already sent (once per key). */
  edits: { key: string; messageSeq: unknown; text: unknown }[];
  /** Every GET /api/lookup (the worker's `lookup=`): the key and the state answered. */
  lookups: { key: string; state: 'completed' | 'unknown'; receivedAtMs: number }[];
  /** Bearer tokens the API accepts; empty (default) = no auth check, else other POSTs get 401 (outcome 'unauthorized'). */
  validTokens: Set<string>;
  reset(): void;
}

export interface DemoServer {
  url: string;
  api: DemoApi;
  /** The node:http server (not in the contract; used only to watch raw requests). */
  server: import('node:http').Server;
  close(): Promise<void>;
}

/** What `send` resolves to, as it crosses `page.evaluate` (no `Response`, no body). */
export type SendResult = Omit<ClientSendResult, 'response' | 'body'>;

/** What a listener heard, as the harness records it: with the time it heard it. */
export type OutboxEvent = ClientOutboxEvent & { atMs: number };

export type { PendingMessage };

export interface Cdp {
  session: CDPSession;
  /** Dispatches the outbox queue's sync event through CDP. Does nothing while offline emulation is on. */
  fireSync(lastChance?: boolean, tag?: string): Promise<void>;
  /** Stops every running service worker of the context (ServiceWorker.stopAllWorkers). */
  stopWorkers(): Promise<void>;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is being waited for, for the failure message. */
  message?: string;
}

export interface HarnessOptions {
  /** `probe: false` creates the outbox without `health` (no probe). */
  probe?: boolean;
  /** healthIntervalMs for the client. */
  healthMs?: number;
  /** `online: false` stops the page's `online` event before the client sees it. */
  online?: boolean;
  /** createOutbox({ namespace }) (harness `ns`). */
  ns?: string;
  /** credentials `{ authorization: 'Bearer <token>' }` (put in the URL's hash). */
  token?: string;
  /** `'fn'`: credentials as a function of `window.currentToken`. */
  creds?: 'fn';
  /** Sets `document.cookie = 'sid=<cookie>'` before the outbox starts (put in the URL's hash). */
  cookie?: string;
}

type Fixtures = {
  server: DemoServer;
  context: BrowserContext;
  openHarness: (page: Page, swQuery?: string, options?: HarnessOptions) => Promise<void>;
  cdp: (page: Page) => Promise<Cdp>;
  waitFor: <T>(predicate: () => T | Promise<T>, options?: WaitOptions) => Promise<Truthy<T>>;
  waitForStored: (count: number, options?: WaitOptions) => Promise<StoredMessage[]>;
  browserLog: string[];
};

type WorkerFixtures = {
  browser: Browser;
};

export const SYNC_TAG = 'workbox-background-sync:outbox';
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A short description of what the server saw, for failure messages. */
export function describeServer(server: DemoServer, maxAttempts = 60): string {
  const t0 = server.api.attempts[0]?.receivedAtMs ?? 0;
  const stored = server.api.stored.map((m) => `${m.seq}:${m.key.slice(0, 8)} ${truncate(m.bodyText, 40)}`);
  const attempts = server.api.attempts.map((a) => `+${a.receivedAtMs - t0}ms ${a.key.slice(0, 8)} ${a.outcome}`);
  return (
    `server stored ${stored.length}: [${stored.join(', ')}]\n` +
    `server attempts ${attempts.length}: [${attempts.slice(-maxAttempts).join(', ')}]`
  );
}

function truncate(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n)}…` : text;
}

/** Attaches text as a file in the test's output folder (the terminal shows its path; inline bodies are cut short). */
export async function attachText(testInfo: TestInfo, name: string, text: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.txt`);
  await writeFile(file, `${text}\n`);
  await testInfo.attach(name, { path: file, contentType: 'text/plain' });
}

/** What a truthy check returned: `poll` never resolves with a falsy value. */
export type Truthy<T> = Exclude<T, undefined | null | false | 0 | ''>;

/** Calls `predicate` every `intervalMs` until it returns something truthy; fails after `timeoutMs` with `describe()`. */
export async function poll<T>(
  predicate: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 100, message = 'condition' }: WaitOptions,
  describe: () => string,
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value as Truthy<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  const why = lastError instanceof Error ? `\nlast check threw: ${lastError.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${message}${why}\n${describe()}`);
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  browser: [
    async ({ playwright }, use) => {
      const executablePath = process.env.CHROMIUM_PATH;
      if (!executablePath) throw new Error('CHROMIUM_PATH is not set: run the suite with `npm test` (node e2e/run.mjs)');
      const browser = await playwright.chromium.launch({ executablePath, args: launchArgs, headless: true });
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],

  server: async ({}, use, testInfo) => {
    const server: DemoServer = await startServer({
      port: 0,
      quiet: true,
      staticDirs: [{ prefix: '/test/', dir: 'e2e/pages' }],
    });
    await use(server);
    if (testInfo.status !== testInfo.expectedStatus) {
      await attachText(testInfo, 'server-state', describeServer(server, Infinity));
    }
    await server.close();
  },

  browserLog: async ({}, use) => {
    await use([]);
  },

  context: async ({ browser, server, browserLog }, use, testInfo) => {
    const context = await browser.newContext();
    await context.grantPermissions(['background-sync'], { origin: server.url });
    const t0 = Date.now();
    const log = (line: string) => browserLog.push(`+${Date.now() - t0}ms ${line}`);
    context.on('console', (msg) => {
      const worker = (msg as unknown as { worker?: () => unknown }).worker?.() ? 'sw' : 'page';
      log(`[${worker} ${msg.type()}] ${msg.text()}`);
    });
    context.on('weberror', (err) => log(`[page error] ${err.error().message}`));
    context.on('serviceworker', (worker) => log(`[service worker started] ${worker.url()}`));
    await use(context);
    if (testInfo.status !== testInfo.expectedStatus && browserLog.length > 0) {
      await attachText(testInfo, 'browser-log', browserLog.join('\n'));
    }
    await context.close();
  },

  openHarness: async ({ server }, use) => {
    await use(async (page, swQuery = 'api=/api/chat', options = {}) => {
      await page.goto(harnessUrl(server.url, `/sw.js?${swQuery}`, options));
      await waitForHarness(page);
    });
  },

  cdp: async ({ server }, use) => {
    const sessions = new Map<Page, Promise<Cdp>>();
    await use((page) => {
      let cdp = sessions.get(page);
      if (!cdp) {
        cdp = makeCdp(page, server.url);
        sessions.set(page, cdp);
      }
      return cdp;
    });
    for (const cdp of sessions.values()) {
      await cdp.then((c) => c.session.detach()).catch(() => {});
    }
  },

  waitFor: async ({ server }, use) => {
    await use((predicate, options = {}) => poll(predicate, options, () => describeServer(server)));
  },

  waitForStored: async ({ server }, use) => {
    await use(async (count, options = {}) => {
      await poll(
        () => server.api.stored.length >= count,
        { timeoutMs: 20_000, message: `${count} messages stored on the server`, ...options },
        () => describeServer(server),
      );
      return server.api.stored;
    });
  },
});

/**
 * Bundles a test page's module (esbuild, ESM, as a site's bundler would) into
 * `dir` and writes the index.html that loads it: the shape of every built-site
 * spec (React, Vue, Svelte). `/client.js` stays a URL import, served by the test server.
 */
export async function bundlePage(dir: string, entry: string, options: import('esbuild').BuildOptions = {}): Promise<void> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [entry],
    outfile: path.join(dir, 'bundle.js'),
    bundle: true,
    format: 'esm',
    target: 'es2022',
    logLevel: 'error',
    external: ['/client.js'],
    ...options,
    define: { 'process.env.NODE_ENV': '"production"', ...options.define },
  });
  await writeFile(path.join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><div id="root"></div><script type="module" src="./bundle.js"></script>\n');
}

/**
 * The fixtures of a spec that serves files it builds (a React page, an own
 * worker): `build` fills a temporary folder once per Playwright worker, and
 * each test's demo server (a fresh origin, as everywhere) serves it under
 * `prefix`, which is also the scope of a worker built into it.
 */
export function testWithBuiltSite(prefix: string, build: (dir: string) => Promise<void>) {
  return test.extend<{ server: DemoServer }, { siteDir: string }>({
    siteDir: [
      async ({}, use) => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'outbox-site-'));
        try {
          await build(dir);
          await use(dir);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
      { scope: 'worker' },
    ],
    server: async ({ siteDir }, use) => {
      const server: DemoServer = await startServer({ port: 0, quiet: true, staticDirs: [{ prefix, dir: siteDir }] });
      await use(server);
      await server.close();
    },
  });
}

/**
 * The harness page's URL (e2e/pages/harness.js) for a worker script URL and
 * options. Secrets go in the hash: never sent to the server, never part of a
 * stored Referer.
 */
export function harnessUrl(origin: string, workerUrl: string, options: HarnessOptions = {}): string {
  const params = new URLSearchParams();
  params.set('sw', workerUrl);
  if (options.probe === false) params.set('probe', '0');
  if (options.healthMs != null) params.set('healthMs', String(options.healthMs));
  if (options.online === false) params.set('online', '0');
  if (options.ns != null) params.set('ns', options.ns);
  if (options.creds != null) params.set('creds', options.creds);
  const secrets = new URLSearchParams();
  if (options.token != null) secrets.set('token', options.token);
  if (options.cookie != null) secrets.set('cookie', options.cookie);
  const hash = secrets.toString() !== '' ? `#${secrets}` : '';
  return `${origin}/test/harness.html?${params}${hash}`;
}

/** Waits until the harness page created its outbox (window.outboxReady), or fails with the page's error. */
export async function waitForHarness(page: Page): Promise<void> {
  const handle = await page.waitForFunction(
    () => (window as any).outboxReady === true || (window as any).outboxError,
    null,
    { timeout: 20_000 },
  );
  const error = await handle.jsonValue();
  if (error !== true) throw new Error(`the harness page failed to create its outbox: ${error}`);
}

async function makeCdp(page: Page, origin: string): Promise<Cdp> {
  const session = await page.context().newCDPSession(page);
  const registrations = new Map<string, { registrationId: string; scopeURL: string; isDeleted: boolean }>();
  session.on('ServiceWorker.workerRegistrationUpdated', (event: any) => {
    for (const r of event.registrations) {
      if (r.isDeleted) registrations.delete(r.registrationId);
      else registrations.set(r.registrationId, r);
    }
  });
  await session.send('ServiceWorker.enable');

  async function registrationId(): Promise<string> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const mine = [...registrations.values()].filter((r) => r.scopeURL.startsWith(`${origin}/`));
      if (mine.length > 0) return mine[mine.length - 1]!.registrationId;
      if (Date.now() > deadline) {
        throw new Error(`no service worker registration for ${origin} reported by CDP (saw: ${[...registrations.values()].map((r) => r.scopeURL).join(', ') || 'none'})`);
      }
      await sleep(50);
    }
  }

  return {
    session,
    async fireSync(lastChance = false, tag = SYNC_TAG) {
      const id = await registrationId();
      await session.send('ServiceWorker.dispatchSyncEvent', { origin, registrationId: id, tag, lastChance });
    },
    async stopWorkers() {
      await session.send('ServiceWorker.stopAllWorkers');
    },
  };
}

// ---- page helpers: thin wrappers around window.outbox in the harness ----
// list, events, flush, statusesOf, sawStatus and heardAll take a Playwright
// page or an engine-neutral tab (e2e/engines/), the one set for both suites.
// send and sendAll stay per suite: a tab's answers cross as JSON, so the
// neutral ones (e2e/engines/fixtures.ts) drop the Response first.

/** A Playwright page or an engine-neutral tab (e2e/engines/driver.ts). */
export type InPage = Page | Tab;

/**
 * Runs `fn(arg)` in the page. Both kinds take a function and one argument; a
 * tab's answer crosses as JSON, a page's as Playwright's clone, so helpers
 * built on this answer only plain data.
 */
export function inPage<A, R>(where: InPage, fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
  return (where as Tab).evaluate(fn, arg);
}

export type Body = { text: string } | Record<string, unknown>;

/** outbox.send(url, body) in the page. */
export function send(page: Page, body: Body | string, url = '/api/chat'): Promise<SendResult> {
  const payload = typeof body === 'string' ? { text: body } : body;
  return page.evaluate(([u, b]) => (window as any).outbox.send(u, b), [url, payload] as const);
}

/** Sends each text in turn (each send awaited before the next), returning the results in order. */
export function sendAll(page: Page, texts: string[], url = '/api/chat'): Promise<SendResult[]> {
  return page.evaluate(
    async ([u, list]) => {
      const results = [];
      for (const text of list) results.push(await (window as any).outbox.send(u, { text }));
      return results;
    },
    [url, texts] as const,
  );
}

export function list(page: InPage): Promise<PendingMessage[]> {
  return inPage(page, () => (window as any).outbox.list(), null);
}

export function events(page: InPage): Promise<OutboxEvent[]> {
  return inPage(page, () => (window as any).events.slice(), null);
}

export function flush(page: InPage): Promise<unknown> {
  return inPage(page, () => (window as any).outbox.flush(), null);
}

/** The statuses the page heard for one message, in order. */
export async function statusesOf(page: InPage, id: string): Promise<OutboxEvent['status'][]> {
  return (await events(page)).filter((e) => e.id === id).map((e) => e.status);
}

/** True once the page heard `status` for every id. */
export async function heardAll(page: InPage, ids: string[], status: Status): Promise<boolean> {
  const seen = await events(page);
  return ids.every((id) => seen.some((e) => e.id === id && e.status === status));
}

/** Calls outbox[method](...args) and returns `{ ok, value }` or `{ ok: false, name, message }` instead of throwing. */
export function call(page: Page, method: 'retry' | 'discard' | 'flush' | 'list', ...args: unknown[]) {
  return page.evaluate(
    async ([m, a]) => {
      try {
        return { ok: true as const, value: await (window as any).outbox[m as string](...(a as unknown[])) };
      } catch (err: any) {
        return { ok: false as const, name: String(err?.name), message: String(err?.message) };
      }
    },
    [method, args] as const,
  );
}

/** True once the page has seen an event `status` for `id`. */
export async function sawStatus(page: InPage, id: string, status: Status): Promise<boolean> {
  return (await events(page)).some((e) => e.id === id && e.status === status);
}

/**
 * Asserts the server stored exactly these messages, each once, in this order:
 * by key (= message id) and by body text, so a copy re-sent under a new key is caught too.
 */
export function expectStoredExactly(server: DemoServer, ids: string[], texts: string[]): void {
  const stored = server.api.stored;
  const keys = stored.map((m) => m.key);
  const bodies = stored.map((m) => textOf(m.bodyText));
  const detail = `\n${describeServer(server)}`;
  expect(new Set(keys).size, `duplicate keys on the server${detail}`).toBe(keys.length);
  expect(new Set(bodies).size, `duplicate bodies on the server${detail}`).toBe(bodies.length);
  expect(keys, `stored keys, in arrival order${detail}`).toEqual(ids);
  expect(bodies, `stored texts, in arrival order${detail}`).toEqual(texts);
}

/** The `text` of a stored JSON chat body, or the body itself. */
export function textOf(bodyText: string): string {
  try {
    const parsed = JSON.parse(bodyText);
    return typeof parsed?.text === 'string' ? parsed.text : bodyText;
  } catch {
    return bodyText;
  }
}

/** `n` distinct texts with a prefix, so bodies differ and order can be read off them. */
export function texts(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix} #${String(i + 1).padStart(2, '0')}`);
}

/**
 * The transient failures of one message as the worker saw them, oldest first:
 * the server's dropped/503 attempts of that key, where an attempt within 40 ms
 * of the previous one is the same failure. Chromium's network stack resends a
 * POST by itself, once and at once, when a reused keep-alive connection closes
 * without an answer, so one failed fetch of the worker can reach the server
 * twice. The worker's own retries are at least retryBase/2 apart (>= 50 ms in
 * these tests), so they are never merged.
 */
export function workerFailures(server: DemoServer, key: string): Attempt[] {
  const failures: Attempt[] = [];
  for (const a of server.api.attempts) {
    if (a.key !== key || (a.outcome !== 'dropped' && a.outcome !== '503')) continue;
    const previous = failures.at(-1);
    if (previous && a.receivedAtMs - previous.receivedAtMs < 40) continue;
    failures.push(a);
  }
  return failures;
}

/**
 * The earliest the worker's own backoff timer can try again after `failures`
 * transient failures in a row: half the step (the worker uses "equal jitter":
 * a wait between step/2 and step, step = retryBase * 2^(failures-1) capped at retryMax).
 * A delivery sooner than that after the last failure came from something else
 * (health probe, sync event, online).
 */
export function minTimerDelayMs(failures: number, retryBaseMs: number, retryMaxMs: number): number {
  return Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, failures - 1)) / 2;
}

export type { TestInfo, Page, BrowserContext };

/** Old name of `workerFailures` (kept for specs that import it). */
export const failedAttempts = workerFailures;
