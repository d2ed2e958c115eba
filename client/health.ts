/**
 * The health probe: while messages are queued (or the API is known to be
 * down), ask the API whether it is back; the owner asks the worker to drain
 * when it is, and tells `outbox.connection` either way.
 *
 * Why the page probes: a server outage while the browser stays online gives no
 * `online` event, and Chromium backs a failed sync off by 5 minutes, then 15
 * and 45, then gives up. The worker's own timer dies with the worker. A page
 * that is open can ask cheaply and often enough.
 */
export interface ProbeSchedule {
  minIntervalMs: number;
  maxIntervalMs: number;
}

/**
 * Most outages are short (a restart, a deploy, a blip). For the first minute
 * of one the probe never waits more than 4 s, so delivery follows within about
 * 5 s of the API's return (measured by `npm run bench`); after that it backs
 * off to `maxIntervalMs`, so a long outage costs one request per interval.
 */
const EARLY_WINDOW_MS = 60_000;
const EARLY_MAX_INTERVAL_MS = 4_000;

export class HealthProbe {
  readonly #url: string;
  readonly #schedule: ProbeSchedule;
  readonly #onAnswer: (status: number | undefined) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #delayMs: number;
  #running = false;
  #startedAtMs = 0;

  /**
   * `onAnswer` gets the health URL's status, or `undefined` when nothing
   * answered; on a 2xx it asks for a drain, not awaited: a worker stopped
   * mid-drain never answers, and the probe must not stall on it. The owner
   * calls `stop()` once nothing is left queued and the API answers.
   */
  constructor(url: string, schedule: ProbeSchedule, onAnswer: (status: number | undefined) => void) {
    this.#url = url;
    this.#schedule = schedule;
    this.#onAnswer = onAnswer;
    this.#delayMs = schedule.minIntervalMs;
  }

  /** Starts probing (soon: an outage just started) unless already probing. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#startedAtMs = Date.now();
    this.#delayMs = this.#schedule.minIntervalMs;
    this.#next();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #next(): void {
    clearTimeout(this.#timer);
    // ±20 % so that the tabs and browsers of one outage do not probe in step.
    const delayMs = this.#delayMs * (0.8 + Math.random() * 0.4);
    this.#timer = setTimeout(() => void this.#probe(), delayMs);
  }

  async #probe(): Promise<void> {
    if (!this.#running) return;
    let status: number | undefined;
    try {
      status = (await fetch(this.#url, { cache: 'no-store' })).status;
    } catch {
      // Unreachable: the API is still down.
    }
    this.#onAnswer(status);
    // Doubling even after a healthy answer: if the drain it asked for fails
    // again (health up, chat API refusing), the server is not hammered.
    const early = Date.now() - this.#startedAtMs < EARLY_WINDOW_MS;
    const capMs = early ? Math.min(EARLY_MAX_INTERVAL_MS, this.#schedule.maxIntervalMs) : this.#schedule.maxIntervalMs;
    this.#delayMs = Math.min(this.#delayMs * 2, capMs);
    if (this.#running) this.#next();
  }
}
