// The bench page's hooks on `window` (page.js sets them; run.mjs, profile.mjs and
// long-queue.mjs call them through page.evaluate). One type, page.js's own.
import type { Outbox } from '/client.js';

declare global {
  interface Window {
    bench: typeof import('./page.js').bench;
    benchReady: boolean;
    /** The page's outbox client (kinds ours and baseline), for a look from DevTools. */
    outbox: Outbox;
  }
}

export {};
