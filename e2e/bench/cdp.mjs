// A CDP session on a service worker target, through the browser session
// (Playwright's context.newCDPSession only accepts pages and frames).
/** @typedef {import('./cdp-protocol.js').Protocol.CommandParameters} CommandParameters */
/** @typedef {import('./cdp-protocol.js').Protocol.CommandReturnValues} CommandReturnValues */
/** @typedef {{ resolve: (result: unknown) => void, reject: (error: Error) => void, method: string }} PendingCommand */
/** @typedef {Awaited<ReturnType<typeof attachToServiceWorker>>} WorkerSession */

/**
 * @param {import('playwright-core').Browser} browser
 * @param {string} origin
 * @param {{ timeoutMs?: number }} [options]
 */
export async function attachToServiceWorker(browser, origin, { timeoutMs = 10_000 } = {}) {
  const bs = await browser.newBrowserCDPSession();
  const deadline = Date.now() + timeoutMs;
  let target;
  for (;;) {
    const { targetInfos } = await bs.send('Target.getTargets');
    target = targetInfos.find((t) => t.type === 'service_worker' && t.url.startsWith(origin + '/'));
    if (target || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!target) { await bs.detach().catch(() => {}); throw new Error('no service worker target for ' + origin); }
  const { sessionId } = await bs.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
  let nextId = 1;
  /** @type {Map<number, PendingCommand>} */
  const pending = new Map();
  /** @type {Map<string, ((params: unknown) => void)[]>} */
  const listeners = new Map();
  bs.on('Target.receivedMessageFromTarget', (ev) => {
    if (ev.sessionId !== sessionId) return;
    /** @type {{ id?: number, result?: unknown, error?: { message: string }, method?: string, params?: unknown }} */
    const msg = JSON.parse(ev.message);
    const command = msg.id === undefined ? undefined : pending.get(msg.id);
    if (msg.id !== undefined && command) {
      const { resolve, reject, method } = command;
      pending.delete(msg.id);
      if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
      else resolve(msg.result);
    } else if (msg.method) {
      for (const fn of listeners.get(msg.method) || []) fn(msg.params);
    }
  });
  return {
    targetId: target.targetId,
    /**
     * @template {keyof CommandParameters} M
     * @param {M} method
     * @param {CommandParameters[M]} [params]
     * @returns {Promise<CommandReturnValues[M]>}
     */
    send(method, params) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        // The target answers command `id` with the result of `method`.
        pending.set(id, { resolve: (result) => resolve(/** @type {CommandReturnValues[M]} */ (result)), reject, method });
        bs.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: params ?? {} }) }).catch(reject);
      });
    },
    /** @param {string} method @param {(params: unknown) => void} fn */
    on(method, fn) {
      const list = listeners.get(method) ?? [];
      list.push(fn);
      listeners.set(method, list);
    },
    browserSession: bs,
    async detach() {
      await bs.send('Target.detachFromTarget', { sessionId }).catch(() => {});
      await bs.detach().catch(() => {});
    },
  };
}

/** Used JS heap of the worker after a forced GC, in bytes. */
/** @param {WorkerSession} sw */
export async function workerHeap(sw) {
  await sw.send('HeapProfiler.enable');
  await sw.send('HeapProfiler.collectGarbage');
  await sw.send('HeapProfiler.collectGarbage');
  const { usedSize, totalSize } = await sw.send('Runtime.getHeapUsage');
  return { usedSize, totalSize };
}
