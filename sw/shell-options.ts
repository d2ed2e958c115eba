/**
 * The app shell's settings in the ready-made worker's registration URL:
 * `/sw.js?shell=/,/app.js,/style.css&shellTimeout=3000` (`shell` repeatable
 * and comma-separated). Read by `dist/sw-shell.js` itself, so `dist/sw.js`
 * only has to know that `shell` is there.
 */
import type { AppShellOptions } from './shell.js';

/** The query key whose presence makes `dist/sw.js` load `dist/sw-shell.js`. */
export const SHELL_QUERY_KEY = 'shell';

/**
 * Where `dist/sw.js` leaves the outbox's queue name and api paths, resolved
 * and checked, for `dist/sw-shell.js` (the shell's cache is named after the
 * queue and never caches the api). Handed over, not parsed from the query
 * again: the shell's bundle then carries none of options.ts, and a query the
 * outbox refused leaves nothing here, so the shell stands aside instead of
 * throwing while the worker evaluates (the page gets the outbox's error).
 */
export const SHELL_HANDOFF = Symbol.for('outbox.shell-handoff');

export interface ShellHandoff {
  queueName: string;
  apiPaths: readonly string[];
}

/** The shell's options from the worker's query; `undefined` when the site did not opt in. */
export function shellOptionsFromQuery(query: URLSearchParams): Omit<AppShellOptions, 'queueName' | 'apiPaths'> | undefined {
  if (!query.has(SHELL_QUERY_KEY)) return undefined;
  const urls = query
    .getAll(SHELL_QUERY_KEY)
    .flatMap((value) => value.split(','))
    .map((url) => url.trim())
    .filter((url) => url !== '');
  const options: Omit<AppShellOptions, 'queueName' | 'apiPaths'> = { urls };
  const timeout = query.get('shellTimeout');
  if (timeout !== null) options.networkTimeoutMs = Number(timeout);
  return options;
}
