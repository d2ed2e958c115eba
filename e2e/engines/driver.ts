/**
 * The engine-neutral driver the specs in e2e/neutral/ are written against.
 * Each engine implements it with its own automation library:
 *
 * | engine   | library                      | protocol                          |
 * |----------|------------------------------|-----------------------------------|
 * | chromium | Playwright                   | CDP                               |
 * | firefox  | puppeteer-core               | WebDriver BiDi (Debian firefox-esr) |
 * | webkit   | selenium-webdriver 4.46.0    | WebDriver classic (WebKitWebDriver + MiniBrowser) |
 *
 * The interface is what a person does with a browser plus the few knobs a
 * test needs: open a page, run script in it, reload, open another tab, close
 * tabs, go offline, restart the browser on the same profile. What an engine
 * cannot do is `null`, with the reason in `Engine.cannot`, so a spec skips
 * that step there and says why (e2e/engines/fixtures.ts `needs`).
 *
 * What the server stored and its outage modes are not the browser's business:
 * the specs read and switch them on the in-process demo server.
 */

export type EngineName = 'chromium' | 'firefox' | 'webkit';

/** A function run in the page: its source is sent, so it must not close over test variables; pass them as `args`. */
export type PageFunction<A extends unknown[], R> = (...args: A) => R | Promise<R>;

export interface Tab {
  /** Navigates and resolves once the page's `load` fired. */
  goto(url: string): Promise<void>;
  /**
   * Runs `fn(...args)` in the page and resolves with its (awaited) result.
   * Arguments and result cross as JSON in every engine (WebDriver would
   * otherwise turn a Response or an Error into a bag of empty objects), so
   * `undefined` inside objects is dropped and a Date arrives as a string.
   */
  evaluate<A extends unknown[], R>(fn: PageFunction<A, R>, ...args: A): Promise<R>;
  reload(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Offline emulation of the session's pages: their `navigator.onLine` and
 * their `online`/`offline` events. It never reaches the service worker: its
 * fetches still go out, in every engine (Firefox's BiDi emulation is per page;
 * Chromium's is kept to the pages too, see chromium.ts). An outage of the API
 * is the demo server's mode, not this.
 */
export interface Network {
  setOffline(offline: boolean): Promise<void>;
}

/** One browser profile: tabs share its service workers, IndexedDB and cookies. */
export interface Session {
  newTab(): Promise<Tab>;
  /** Offline emulation, or null where the engine has none. */
  network: Network | null;
  /** Stops every running service worker of the session, or null where the engine cannot. */
  stopWorkers: (() => Promise<void>) | null;
  /** Ends the session: the browser (or its profile) is closed, its tabs with it. */
  close(): Promise<void>;
}

export interface SessionOptions {
  /**
   * A profile directory kept on disk: a session closed and opened again on it
   * is a browser restart. Only where `Engine.persistentProfiles` is true.
   */
  profileDir?: string;
}

/** Steps that an engine may be unable to do, each with why. */
export type Step = 'offline' | 'stop-workers' | 'restart';

export interface Engine {
  name: EngineName;
  /** Browser name and version, for the report. */
  version: string;
  /** A fresh, empty profile, or a persistent one (`profileDir`). */
  newSession(options?: SessionOptions): Promise<Session>;
  /** Why the engine cannot do a step; steps it can do are absent. */
  cannot: Partial<Record<Step, string>>;
  /** Whether the engine has Background Sync (SyncManager) at all. */
  backgroundSync: boolean;
  close(): Promise<void>;
}

/**
 * The script every adapter evaluates: calls `fn` with `args`, awaits it, and
 * hands back JSON (`{"value": …}`, so `undefined` survives as a missing key).
 */
export function evaluationScript(fn: PageFunction<any[], unknown>, args: unknown[]): string {
  return `(async () => JSON.stringify({ value: await (${fn.toString()})(...${JSON.stringify(args)}) }))()`;
}

/** The inverse of `evaluationScript`'s wrapping. */
export function evaluationResult<R>(json: unknown): R {
  if (typeof json !== 'string') throw new Error(`evaluate: expected the page's JSON answer, got ${typeof json}`);
  return (JSON.parse(json) as { value?: R }).value as R;
}
