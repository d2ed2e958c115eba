// Whether this browser keeps the outbox's storage: the answer to
// createOutbox({ persist: true }), and navigator.storage.estimate() figures,
// through dist/storage.js.
import { $ } from './dom.js';
import { errorMessage } from './errors.js';

/** @param {number | undefined} bytes */
const size = (bytes) => {
  if (bytes === undefined) return 'unknown';
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
};

/** @param {import('/client.js').Outbox} outbox */
export async function showStorage(outbox) {
  const el = $('#storage', HTMLElement);
  try {
    const { storage } = await import('/storage.js');
    // The persist() answer may wait for the user (Firefox asks): show the estimate meanwhile.
    /** @param {import('/storage.js').StorageReport} report */
    const render = (report) => {
      el.dataset.persisted = String(report.persisted);
      const kept = report.persisted === true
        ? 'Persistent: the browser keeps unsent messages until you clear the site\'s data.'
        : report.persisted === false
          ? 'Best-effort: under storage pressure the browser may delete this site\'s data, unsent messages included.'
          : 'This browser does not say whether it keeps this site\'s data.';
      el.textContent = `${kept} Using ${size(report.usageBytes)} of ${size(report.quotaBytes)}.`;
    };
    render(await storage());
    await outbox.persisted;
    render(await storage());
  } catch (err) {
    el.textContent = `Could not read the storage figures (${errorMessage(err)}).`;
  }
}
