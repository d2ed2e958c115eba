/**
 * The app shell: the page and its files, served network-first with a cache
 * fallback, so a reload with the network gone still shows the chat (and the
 * outbox's queue in it). Opt-in: the ready-made worker loads this, as its own
 * bundle `dist/sw-shell.js`, only when the registration URL has `shell=`.
 *
 * Workbox does the work: `NetworkFirst` (workbox-strategies) with a short
 * network timeout, on routes (workbox-routing) for navigations and the listed
 * same-origin GETs; the listed URLs are fetched into the cache at install, so
 * the first offline reload works even though the first visit's page loaded
 * before any worker controlled it.
 *
 * Not network-first but *network-only*, always: the chat API's GETs (a stale
 * history that looks fresh is worse than an error the page can show), unless
 * the site lists an API URL itself; and every other method.
 */
import { registerRoute } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';
import type { WorkboxPlugin } from 'workbox-core/types.js';

export interface AppShellOptions {
  /**
   * Same-origin URLs (paths, or absolute URLs of this origin) to keep for
   * offline: the page (`/`) and the files it loads. Fetched into the cache at
   * install, then served network-first. Navigations are served network-first
   * too, listed or not; an offline navigation with no copy of its own gets the
   * first listed page (same path without the query, else the first HTML entry).
   */
  urls: readonly string[];
  /**
   * How long a navigation or a listed GET waits for the network before the
   * cached copy is served (it is still updated when the network answers later).
   * @default 3000
   */
  networkTimeoutMs?: number;
  /**
   * The outbox's queue name: part of the cache's name, so two outboxes on one
   * origin keep apart, and an update cleans up only its own older caches.
   * @default 'outbox'
   */
  queueName?: string;
  /**
   * The chat API's path prefixes: never cached or served from cache, unless a
   * URL under them is listed in `urls` (the site asks for it).
   * @default ['/api/chat']
   */
  apiPaths?: readonly string[];
}

export interface AppShell {
  /** The Cache Storage name this version uses: `outbox-shell:<queue>:<version>`. */
  readonly cacheName: string;
  /** The absolute URLs kept. */
  readonly urls: readonly string[];
}

export const DEFAULT_SHELL_TIMEOUT_MS = 3_000;
/** Bumped when what the cache holds changes meaning, so an update starts a fresh cache. */
const SHELL_FORMAT = 1;
const CACHE_PREFIX = 'outbox-shell:';

/** `outbox-shell:<queue>:` : every version of this queue's shell cache starts so. */
export function shellCachePrefix(queueName: string): string {
  return `${CACHE_PREFIX}${encodeURIComponent(queueName)}:`;
}

/**
 * Keeps the page and its files for offline, network-first. Call it once, at
 * the top level of the worker script, after `installOutbox` (its POST route
 * must be first; this one only answers GETs).
 *
 * @example
 * import { installOutbox, installAppShell } from 'outbox/sw';
 * const { queueName } = installOutbox({ apiPaths: ['/api/chat'] });
 * installAppShell({ urls: ['/', '/app.js', '/style.css'], queueName, apiPaths: ['/api/chat'] });
 */
export function installAppShell(options: AppShellOptions): AppShell {
  const scope = self as unknown as ServiceWorkerGlobalScope;
  const origin = scope.location.origin;
  const queueName = options.queueName ?? 'outbox';
  const apiPaths = options.apiPaths ?? ['/api/chat'];
  const networkTimeoutMs = options.networkTimeoutMs ?? DEFAULT_SHELL_TIMEOUT_MS;
  if (!Array.isArray(options.urls) || options.urls.length === 0) {
    throw new TypeError(`outbox: the app shell needs at least one URL (e.g. shell=/,/app.js,/style.css)`);
  }
  if (!(Number.isFinite(networkTimeoutMs) && networkTimeoutMs > 0)) {
    throw new TypeError(`outbox: the app shell's network timeout must be a positive number of ms, got ${JSON.stringify(options.networkTimeoutMs)}`);
  }
  const urls = [...new Set(options.urls.map((url) => shellUrl(url, scope.location.href, origin)))];
  const listed = new Set(urls);
  const isApi = (url: URL): boolean =>
    apiPaths.some((path) => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`));

  const prefix = shellCachePrefix(queueName);
  const cacheName = `${prefix}${versionOf(urls)}`;
  const strategy = new NetworkFirst({
    cacheName,
    // Workbox counts in seconds; a fraction is fine (setTimeout takes ms).
    networkTimeoutSeconds: networkTimeoutMs / 1000,
    plugins: [offlineFallback(cacheName, urls)],
  });

  registerRoute(({ request, url, sameOrigin }) => {
    if (!sameOrigin) return false;
    if (listed.has(url.href)) return true;
    return request.mode === 'navigate' && !isApi(url);
  }, strategy);

  scope.addEventListener('install', (event) => {
    event.waitUntil(
      Promise.all(
        urls.map(async (url) => {
          try {
            // handleAll's second promise settles once the copy is in the cache.
            await strategy.handleAll({ event, request: new Request(url, { cache: 'reload' }) })[1];
          } catch (error) {
            // A broken entry must not keep the outbox from installing: it only
            // means that URL has no offline copy. Said loudly, so it is fixed.
            console.error(`outbox: the app shell could not keep ${url} for offline (${String(error)})`);
          }
        }),
      ),
    );
  });

  // A new version (other URLs, another format) starts its own cache; the old
  // ones of this queue go once it takes over. Other queues' and sites' caches stay.
  scope.addEventListener('activate', (event) => {
    event.waitUntil(
      caches.keys().then((names) =>
        Promise.all(names.filter((name) => name.startsWith(prefix) && name !== cacheName).map((name) => caches.delete(name))),
      ),
    );
  });

  return { cacheName, urls };
}

/** An absolute same-origin URL without its fragment, or a clear error. */
function shellUrl(raw: string, base: string, origin: string): string {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new TypeError(`outbox: app shell URL ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.origin !== origin) {
    throw new TypeError(`outbox: app shell URL ${JSON.stringify(raw)} is not of this origin (${origin}); only same-origin files can be kept`);
  }
  url.hash = '';
  return url.href;
}

/**
 * For a navigation the cache has no copy of (a new query, another route of a
 * single-page app) when the network failed or timed out: the same path
 * without its query, else the first listed HTML page. Only for navigations; a
 * missing file stays a miss. On the cache read rather than on the error, so
 * the timeout path gets it too (NetworkFirst waits on the network when its
 * timeout finds nothing in the cache).
 */
function offlineFallback(cacheName: string, urls: readonly string[]): WorkboxPlugin {
  return {
    cachedResponseWillBeUsed: async ({ request, cachedResponse }) => {
      if (cachedResponse || request.mode !== 'navigate') return cachedResponse ?? null;
      const cache = await caches.open(cacheName);
      const samePath = await cache.match(request.url, { ignoreSearch: true });
      if (samePath) return samePath;
      for (const url of urls) {
        const copy = await cache.match(url);
        if (copy?.headers.get('Content-Type')?.includes('html')) return copy;
      }
      return null;
    },
  };
}

/** A short, stable name for this list of URLs (FNV-1a), so a changed list gets a fresh cache. */
function versionOf(urls: readonly string[]): string {
  let hash = 0x811c9dc5;
  for (const char of `${SHELL_FORMAT}\n${urls.join('\n')}`) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `v${SHELL_FORMAT}-${hash.toString(36)}`;
}
