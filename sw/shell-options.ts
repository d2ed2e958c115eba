/**
 * The app shell's settings in the ready-made worker's registration URL:
 * `/sw.js?shell=/,/app.js,/style.css&shellTimeout=3000` (`shell` repeatable
 * and comma-separated). Read by `dist/sw-shell.js` itself, so `dist/sw.js`
 * only has to know that `shell` is there.
 */
import type { AppShellOptions } from './shell.js';

/** The query key whose presence makes `dist/sw.js` load `dist/sw-shell.js`. */
export const SHELL_QUERY_KEY = 'shell';

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
