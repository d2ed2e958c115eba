// What instrument.js counts inside a worker and profile.mjs reads over CDP.
/** A count and the milliseconds spent, summed. */
export interface BenchCounter { n: number; ms: number }
/** What `self.__benchStats()` returns (instrument.js). */
export interface BenchWorkerStats {
  since: number;
  wallMs: number;
  tx: Record<string, BenchCounter>;
  fetch: BenchCounter;
  lockWait: BenchCounter;
  lockHeld: BenchCounter;
  broadcast: BenchCounter;
  syncRegister: BenchCounter;
  respond: BenchCounter & { p50: number | null; p95: number | null };
  messages: { n: number };
}
