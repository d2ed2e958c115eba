// The started outbox is on `window` (app.js): for the e2e specs, and for a
// person trying the demo from the DevTools console.
import type { Outbox } from '/client.js';

declare global {
  interface Window {
    outbox?: Outbox;
  }
}
