/**
 * Helpers for the accounts specs (e2e/accounts/*.spec.ts and e2e/neutral/accounts.spec.ts): sending as the
 * page's user, switching users, and reading what the server and IndexedDB hold.
 */
import { expect, describeServer, textOf, type DemoServer, type Page, type PendingMessage, type SendResult } from '../fixtures';

export const bearer = (token: string) => `Bearer ${token}`;

/**
 * outbox.send with the page's live `Authorization` (the current token), as a
 * site using bearer tokens does: the first attempt carries the page's own headers.
 */
export function sendAs(page: Page, texts: string[]): Promise<SendResult[]> {
  return page.evaluate(async (list) => {
    const w = window as any;
    const results = [];
    for (const text of list) {
      const headers: Record<string, string> = w.currentToken ? { Authorization: `Bearer ${w.currentToken}` } : {};
      results.push(await w.outbox.send('/api/chat', { text }, { headers }));
    }
    return results;
  }, texts);
}

/** Signs the page in as `ns` with `token` (outbox.setNamespace), without purging the previous user. */
export function switchUser(page: Page, ns: string, token: string): Promise<void> {
  return page.evaluate(
    async ([n, t]) => {
      const w = window as any;
      w.currentToken = t;
      await w.outbox.setNamespace(n, w.bearer(t));
    },
    [ns, token] as const,
  );
}

/** outbox.purge(ns?) → how many messages it removed. */
export function purge(page: Page, ns?: string): Promise<number> {
  return page.evaluate((n) => (n === undefined ? (window as any).outbox.purge() : (window as any).outbox.purge(n)), ns);
}

export function namespaceOf(page: Page): Promise<string> {
  return page.evaluate(() => (window as any).outbox.namespace);
}

/** Another namespace's list, asked of the worker directly (the page does not become that user). */
export async function listOf(page: Page, ns: string): Promise<PendingMessage[]> {
  const reply = await page.evaluate((n) => (window as any).rawCommand({ type: 'list', namespace: n }), ns);
  expect(reply.ok, JSON.stringify(reply)).toBe(true);
  return reply.value;
}

/** The raw queue entries (Workbox's store) of a namespace. */
export async function queueEntriesOf(page: Page, ns: string): Promise<any[]> {
  const records: any[] = await page.evaluate(() => (window as any).queueRecords());
  return records.filter((r) => (r.metadata?.namespace ?? '') === ns);
}

/** Ledger records (database `outbox`) of a namespace. */
export async function ledgerOf(page: Page, ns: string): Promise<any[]> {
  const dump: any[] = await page.evaluate(() => (window as any).idbDump());
  return dump.filter((r) => r.db === 'outbox' && (r.value?.namespace ?? '') === ns);
}

/** What the server stored, as `{ key, text, authorization, cookie }`, in arrival order. */
export function storedWithAuth(server: DemoServer) {
  return server.api.stored.map((m) => ({
    key: m.key,
    text: textOf(m.bodyText),
    authorization: m.headers.authorization,
    cookie: m.headers.cookie,
  }));
}

/** Every POST that reached the server for one of these keys (whatever its outcome). */
export function attemptsFor(server: DemoServer, keys: string[]) {
  const set = new Set(keys);
  return server.api.attempts.filter((a) => set.has(a.key));
}

export function serverState(server: DemoServer): string {
  return `\n${describeServer(server)}\nauth: ${JSON.stringify(storedWithAuth(server).map((m) => [m.text, m.authorization]))}`;
}


export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
