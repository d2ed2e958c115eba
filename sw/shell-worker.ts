/**
 * `dist/sw-shell.js`: the app shell for the ready-made worker. `dist/sw.js`
 * loads it with `importScripts` during its first evaluation (the only time a
 * classic worker may) when its registration URL has `shell=`, after
 * `installOutbox`, so the outbox's POST route comes first. It reads `shell`
 * and `shellTimeout` from the query, and takes the queue's name and the api
 * paths (the cache's name, the paths never cached) from dist/sw.js
 * (SHELL_HANDOFF).
 */
import { installAppShell } from './shell.js';
import { SHELL_HANDOFF, shellOptionsFromQuery, type ShellHandoff } from './shell-options.js';

const scope = self as unknown as ServiceWorkerGlobalScope & Record<symbol, ShellHandoff | undefined>;
const shell = shellOptionsFromQuery(new URL(scope.location.href).searchParams);
// Left by dist/sw.js once the outbox is installed; absent when it refused its query (it answers pages with why).
const outbox = scope[SHELL_HANDOFF];
if (shell !== undefined && outbox !== undefined) installAppShell({ ...shell, queueName: outbox.queueName, apiPaths: outbox.apiPaths });
