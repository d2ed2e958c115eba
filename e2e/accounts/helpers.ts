/**
 * Helpers for the accounts specs (e2e/accounts/*.spec.ts in Chromium and
 * e2e/neutral/accounts.spec.ts in every engine): sending as the page's user,
 * switching users, and reading what the server and IndexedDB hold. Each takes
 * a Playwright page or an engine-neutral tab (e2e/engines/driver.ts).
 */
import { expect, describeServer, events, inPage as run, list, textOf, type DemoServer, type InPage, type PendingMessage, type SendResult, type WaitOptions } from '../fixtures';

export const bearer = (token: string) => `Bearer ${token}`;

/**
 * outbox.send with the page's live `Authorization` (the current token), as a
 * site using bearer tokens does: the first attempt carries the page's own headers.
 */
export function sendAs(page: InPage, texts: string[]): Promise<SendResult[]> {
  return run(page, async (list: string[]) => {
    const w = window as any;
    const results = [];
    for (const text of list) {
      const headers: Record<string, string> = w.currentToken ? { Authorization: `Bearer ${w.currentToken}` } : {};
      const { response, ...result } = await w.outbox.send('/api/chat', { text }, { headers });
      results.push(result);
    }
    return results;
  }, texts);
}

/** Signs the page in as `ns` with `token` (outbox.setNamespace), without purging the previous user. */
export function switchUser(page: InPage, ns: string, token: string): Promise<void> {
  return run(page, async ([n, t]: readonly [string, string]) => {
    const w = window as any;
    w.currentToken = t;
    await w.outbox.setNamespace(n, w.bearer(t));
  }, [ns, token] as const);
}

/** outbox.purge(ns?) → how many messages it removed. */
export function purge(page: InPage, ns?: string): Promise<number> {
  return run(page, (n: string | null) => (n === null ? (window as any).outbox.purge() : (window as any).outbox.purge(n)), ns ?? null);
}

export function namespaceOf(page: InPage): Promise<string> {
  return run(page, () => (window as any).outbox.namespace, null);
}

/** Another namespace's list, asked of the worker directly (the page does not become that user). */
export async function listOf(page: InPage, ns: string): Promise<PendingMessage[]> {
  const reply = await run(page, (n: string) => (window as any).rawCommand({ type: 'list', namespace: n }), ns);
  expect(reply.ok, JSON.stringify(reply)).toBe(true);
  return reply.value;
}

/** The raw queue entries (Workbox's store) of a namespace. */
export async function queueEntriesOf(page: InPage, ns: string): Promise<any[]> {
  const records: any[] = await run(page, () => (window as any).queueRecords(), null);
  return records.filter((r) => (r.metadata?.namespace ?? '') === ns);
}

/** Ledger records (database `outbox`) of a namespace. */
export async function ledgerOf(page: InPage, ns: string): Promise<any[]> {
  const dump: any[] = await run(page, () => (window as any).idbDump(), null);
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

/** Attempts of these keys that reached the server at or after `sinceMs`. */
export function attemptsSince(server: DemoServer, keys: string[], sinceMs: number) {
  return attemptsFor(server, keys).filter((a) => a.receivedAtMs >= sinceMs);
}

/**
 * With the API cut, each of two users' tabs sends two messages, interleaved:
 * all `queued`, and each tab lists only its own user's. Resolves with the ids.
 */
export async function queueForTwoUsers(server: DemoServer, tabA: InPage, tabB: InPage, namespaceA: string): Promise<{ idsA: string[]; idsB: string[] }> {
  server.api.setMode('unreachable');
  const a1 = await sendAs(tabA, ['alice in tab 1: one']);
  const b1 = await sendAs(tabB, ['bob in tab 2: one']);
  const a2 = await sendAs(tabA, ['alice in tab 1: two']);
  const b2 = await sendAs(tabB, ['bob in tab 2: two']);
  const idsA = [a1[0]!.id, a2[0]!.id];
  const idsB = [b1[0]!.id, b2[0]!.id];
  for (const r of [...a1, ...a2, ...b1, ...b2]) expect(r.status).toBe('queued');
  expect((await list(tabA)).map((m) => m.id), 'tab 1 lists A\'s only').toEqual(idsA);
  expect((await list(tabB)).map((m) => m.id), 'tab 2 lists B\'s only').toEqual(idsB);
  for (const m of await list(tabA)) expect(m.namespace).toBe(namespaceA);
  return { idsA, idsB };
}

/** One signed-in user's tab and the messages it sent, with the token they carry. */
export interface UserTab {
  tab: InPage;
  ids: string[];
  token: string;
}

/**
 * Two users' messages delivered once the API is back: both lists empty, the
 * first tab hears its user's deliveries, each message went out with its own
 * user's `Authorization`, each user's in order, and each tab heard only its
 * own user's statuses. Shared by accounts/switch (worker stopped between) and
 * neutral/accounts (every engine).
 */
export async function expectDeliveredPerUser(
  server: DemoServer,
  waitFor: <T>(predicate: () => T | Promise<T>, options?: WaitOptions) => Promise<unknown>,
  [a, b]: [UserTab, UserTab],
): Promise<void> {
  await waitFor(async () => (await list(a.tab)).length === 0 && (await list(b.tab)).length === 0, { message: 'both lists empty' });
  await waitFor(async () => {
    const seenA = await events(a.tab);
    return a.ids.every((id) => seenA.some((e) => e.id === id && e.status === 'delivered'));
  }, { message: 'tab 1 hears A\'s delivered' });
  const byKey = new Map(storedWithAuth(server).map((m) => [m.key, m]));
  for (const id of a.ids) expect(byKey.get(id)?.authorization, serverState(server)).toBe(bearer(a.token));
  for (const id of b.ids) expect(byKey.get(id)?.authorization, serverState(server)).toBe(bearer(b.token));
  expect(server.api.stored).toHaveLength(a.ids.length + b.ids.length);
  // FIFO within each user.
  const order = server.api.stored.map((m) => m.key);
  expect(order.filter((k) => a.ids.includes(k)), 'A\'s in order').toEqual(a.ids);
  expect(order.filter((k) => b.ids.includes(k)), 'B\'s in order').toEqual(b.ids);
  const heardA = new Set((await events(a.tab)).map((e) => e.id));
  const heardB = new Set((await events(b.tab)).map((e) => e.id));
  expect(b.ids.filter((id) => heardA.has(id)), 'tab 1 heard B\'s messages').toEqual([]);
  expect(a.ids.filter((id) => heardB.has(id)), 'tab 2 heard A\'s messages').toEqual([]);
}
