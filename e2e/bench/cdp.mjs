// A CDP session on a service worker target, through the browser session
// (Playwright's context.newCDPSession only accepts pages and frames).
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
  const pending = new Map();
  const listeners = new Map();
  bs.on('Target.receivedMessageFromTarget', (ev) => {
    if (ev.sessionId !== sessionId) return;
    const msg = JSON.parse(ev.message);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject, method } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(`${method}: ${msg.error.message}`));
      else resolve(msg.result);
    } else if (msg.method) {
      for (const fn of listeners.get(msg.method) || []) fn(msg.params);
    }
  });
  return {
    targetId: target.targetId,
    send(method, params = {}) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject, method });
        bs.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
      });
    },
    on(method, fn) {
      if (!listeners.has(method)) listeners.set(method, []);
      listeners.get(method).push(fn);
    },
    browserSession: bs,
    async detach() {
      await bs.send('Target.detachFromTarget', { sessionId }).catch(() => {});
      await bs.detach().catch(() => {});
    },
  };
}

/** Used JS heap of the worker after a forced GC, in bytes. */
export async function workerHeap(sw) {
  await sw.send('HeapProfiler.enable');
  await sw.send('HeapProfiler.collectGarbage');
  await sw.send('HeapProfiler.collectGarbage');
  const { usedSize, totalSize } = await sw.send('Runtime.getHeapUsage');
  return { usedSize, totalSize };
}
