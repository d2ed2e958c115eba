/**
 * `dist/sw-shell.js`: the app shell for the ready-made worker. `dist/sw.js`
 * loads it with `importScripts` during its first evaluation (the only time a
 * classic worker may) when its registration URL has `shell=`, after
 * `installOutbox`, so the outbox's POST route comes first. It reads the same
 * query: `shell`, `shellTimeout`, and `queue` / `api` for the cache's name
 * and the paths never cached.
 */
import { defaultQueueName, DEFAULT_OPTIONS, optionsFromQuery } from './options.js';
import { installAppShell } from './shell.js';
import { shellOptionsFromQuery } from './shell-options.js';

const query = new URL((self as unknown as ServiceWorkerGlobalScope).location.href).searchParams;
const shell = shellOptionsFromQuery(query);
if (shell !== undefined) {
  // dist/sw.js's installOutbox has checked these already (it runs first and throws on bad ones).
  const outbox = optionsFromQuery(query);
  installAppShell({
    ...shell,
    queueName: outbox.queueName ?? defaultQueueName((self as unknown as ServiceWorkerGlobalScope).registration.scope),
    apiPaths: outbox.apiPaths ?? DEFAULT_OPTIONS.apiPaths,
  });
}
