/**
 * Helpers for the specs of issue 9 (redirects, 409s, clock steps, hooks, updates, the decision log): the promise as
 * real deployments meet it. They add routes to the per-test demo server (a
 * sign-in redirect, a second origin, a draft-like idempotency server, test-only
 * worker scripts) without changing the demo itself, open the harness on any
 * worker script, and read the worker's console over CDP.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Browser, CDPSession, Page } from '@playwright/test';
import { waitForHarness, type DemoServer } from './fixtures';

/** Handles a request first; returns true when it answered it, false to leave it to the demo server. */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

/** Puts `route` in front of the demo server's own handler. */
export function addRoute(server: DemoServer, route: Route): void {
  const demo = server.server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.server.removeAllListeners('request');
  server.server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    try {
      if (await route(req, res, new URL(req.url ?? '/', server.url))) return;
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      return;
    }
    for (const listener of demo) listener.call(server.server, req, res);
  });
}

/** Serves `body` as a classic worker script at `path` (root scope: the same registration as /sw.js). */
export function serveWorker(server: DemoServer, path: string, body: string): void {
  addRoute(server, (req, res, url) => {
    if (url.pathname !== path) return false;
    res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-store' }).end(body);
    return true;
  });
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A second origin (another port on 127.0.0.1), for redirects elsewhere. Closed by `close()`. */
export async function otherOrigin(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const other = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  const { port } = other.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        other.close(() => resolve());
        other.closeAllConnections();
      }),
  };
}

/** Opens the harness page with any worker script URL (the fixture's `openHarness` always uses /sw.js). */
export async function openWith(page: Page, server: DemoServer, sw: string, params: Record<string, string> = {}, hash = ''): Promise<void> {
  const query = new URLSearchParams({ sw, ...params });
  await page.goto(`${server.url}/test/harness.html?${query}${hash}`);
  await waitForHarness(page);
}

/** outbox.send(url, body, init) in the page, with `init.headers` as a plain object. */
export function sendWith(page: Page, text: string, init: { headers?: Record<string, string> } = {}, url = '/api/chat') {
  return page.evaluate(([u, t, i]) => (window as any).outbox.send(u, { text: t }, i), [url, text, init] as const);
}

/**
 * The worker's console, read over CDP: a browser-level session attaches to
 * the origin's service worker target (not flattened, so Playwright's session
 * carries its messages) and collects `Runtime.consoleAPICalled`.
 */
export async function workerConsole(browser: Browser, origin: string): Promise<{ lines: string[]; close(): Promise<void> }> {
  const cdp: CDPSession = await browser.newBrowserCDPSession();
  const lines: string[] = [];
  const attached = new Set<string>();
  cdp.on('Target.receivedMessageFromTarget', (event: { message: string }) => {
    const message = JSON.parse(event.message) as { method?: string; params?: { args?: Array<{ value?: unknown }> } };
    if (message.method === 'Runtime.consoleAPICalled') lines.push((message.params?.args ?? []).map((arg) => String(arg.value)).join(' '));
  });
  const attach = async (targetId: string): Promise<void> => {
    if (attached.has(targetId)) return;
    attached.add(targetId);
    const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: false })) as { sessionId: string };
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.enable' }) });
  };
  cdp.on('Target.targetCreated', (event: { targetInfo: { targetId: string; type: string; url: string } }) => {
    const { targetId, type, url } = event.targetInfo;
    if (type === 'service_worker' && url.startsWith(origin)) void attach(targetId).catch(() => undefined);
  });
  await cdp.send('Target.setDiscoverTargets', { discover: true });
  const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: Array<{ targetId: string; type: string; url: string }> };
  for (const target of targetInfos) if (target.type === 'service_worker' && target.url.startsWith(origin)) await attach(target.targetId);
  return { lines, close: () => cdp.detach().catch(() => undefined) };
}
