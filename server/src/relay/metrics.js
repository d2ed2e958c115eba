// Prometheus metrics (prom-client), on the relay's own registry so two relays
// in one process (tests) do not share counters. Served at GET /outbox/metrics.
import client from 'prom-client';

/** @param {import('./store-contract.js').RelayQueue} store */
export function createMetrics(store) {
  const registry = new client.Registry();
  const accepted = new client.Counter({
    name: 'outbox_relay_accepted_total',
    help: 'POSTs accepted, by what the client was answered (passed_through, queued, repeated)',
    labelNames: ['answer'],
    registers: [registry],
  });
  const attempts = new client.Counter({
    name: 'outbox_relay_forward_attempts_total',
    help: 'Forwarding attempts to the upstream, by result (delivered, transient, rejected)',
    labelNames: ['result'],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'outbox_relay_forward_duration_seconds',
    help: 'Time from sending a message upstream to its answer or failure',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new client.Gauge({
    name: 'outbox_relay_messages',
    help: 'Messages in the store by status (queued, failed)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await store.counts();
      this.set({ status: 'queued' }, counts.queued);
      this.set({ status: 'failed' }, counts.failed);
    },
  });
  return { registry, accepted, attempts, duration };
}
