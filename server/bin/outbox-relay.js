#!/usr/bin/env node
// outbox-relay --upstream http://127.0.0.1:9000 [--listen 127.0.0.1:8787]
//   [--store sqlite:./relay.db | redis://127.0.0.1:6379/0 | redis-cluster://10.0.0.1:7000,10.0.0.2:7000] [--path /api/chat]… [--lane-header NAME]
import { parseArgs } from 'node:util';
import { startRelay, RelayOptionError, RELAY_DEFAULTS } from '../src/relay/index.js';

const USAGE = `usage: outbox-relay --upstream URL [options]

  --upstream URL              the chat API to forward to (required)
  --listen HOST:PORT          where to listen (default ${RELAY_DEFAULTS.listen}; port 0 picks a free one)
  --store sqlite:FILE | redis://HOST:PORT/DB | redis-cluster://HOST:PORT,HOST:PORT
                              where accepted messages are kept (default ${RELAY_DEFAULTS.store});
                              redis-cluster:// names seed nodes of a Redis Cluster or Valkey cluster
  --path PREFIX               POSTs under this path are relayed; repeatable (default ${RELAY_DEFAULTS.paths[0]})
  --lane-header NAME          one FIFO lane per value of this header (default: one lane)
  --lookup-path PATH          answer GET PATH (with an Idempotency-Key) with what became of that key:
                              held, completed (the upstream's status), failed or unknown (default: none)
  --pass-through-wait-ms MS   how long an empty lane's client waits for the upstream (default ${RELAY_DEFAULTS.passThroughWaitMs})
  --timeout-ms MS             one forwarding attempt's deadline (default ${RELAY_DEFAULTS.timeoutMs})
  --retry-base-ms MS, --retry-max-ms MS   backoff bounds (default ${RELAY_DEFAULTS.retryBaseMs}, ${RELAY_DEFAULTS.retryMaxMs})
  --lease-ms MS               a lane's lease with Redis (default ${RELAY_DEFAULTS.leaseMs})
  --max-body-bytes N          largest relayed body (default ${RELAY_DEFAULTS.maxBodyBytes})
  --admin-token TOKEN         require Authorization: Bearer TOKEN on /outbox/* (without one, /outbox/*
                              answers only on a loopback --listen, and refuses with 403 otherwise)
  --secret-key-file FILE      a 32-byte key, base64 (openssl rand -base64 32): credential headers are
                              stored sealed with it (AES-256-GCM); or OUTBOX_RELAY_SECRET_KEY
  --secret-header NAME        one more credential header to redact in listings and logs; repeatable
  --scope-header NAME         ids and lanes are scoped by a hash of these headers; repeatable
                              (default ${RELAY_DEFAULTS.scopeHeaders.join(', ')})
  --max-queued-per-client N   queued messages one client may have; more get 429 (default ${RELAY_DEFAULTS.maxQueuedPerClient})
  --max-queued-per-lane N     queued messages in one lane (default ${RELAY_DEFAULTS.maxQueuedPerLane})
  --max-lanes N               lanes waiting at once (default ${RELAY_DEFAULTS.maxLanes})
  --set-aside-after-tries N   a head failing N times while the upstream answers others becomes a
                              dead letter (default ${RELAY_DEFAULTS.setAsideAfterTries})
  --dead-letter-ttl-seconds S dead letters are deleted after this (default ${RELAY_DEFAULTS.deadLetterTtlSeconds}, 7 days)
  --log-level LEVEL           debug, info, warn or error (default ${RELAY_DEFAULTS.logLevel})

Logs are JSON lines on stdout. Endpoints: GET /api/health, GET /outbox/status,
GET /outbox/messages?status=failed|queued, POST /outbox/messages/ID/retry,
DELETE /outbox/messages/ID, GET /outbox/metrics (Prometheus).`;

const parse = () =>
  parseArgs({
    options: {
      upstream: { type: 'string' },
      listen: { type: 'string' },
      store: { type: 'string' },
      path: { type: 'string', multiple: true },
      'lane-header': { type: 'string' },
      'lookup-path': { type: 'string' },
      'pass-through-wait-ms': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'retry-base-ms': { type: 'string' },
      'retry-max-ms': { type: 'string' },
      'lease-ms': { type: 'string' },
      'poll-ms': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'admin-token': { type: 'string' },
      'secret-key-file': { type: 'string' },
      'secret-header': { type: 'string', multiple: true },
      'scope-header': { type: 'string', multiple: true },
      'set-aside-after-tries': { type: 'string' },
      'dead-letter-ttl-seconds': { type: 'string' },
      'max-queued-per-client': { type: 'string' },
      'max-queued-per-lane': { type: 'string' },
      'max-lanes': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
/** @type {ReturnType<typeof parse>} */
let args;
try {
  args = parse();
} catch (error) {
  console.error(`outbox-relay: ${/** @type {Error} */ (error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!args.upstream) {
  console.error(`outbox-relay: --upstream is required\n\n${USAGE}`);
  process.exit(2);
}

/**
 * A numeric flag as a number; a value that is not one is refused here, naming the flag.
 * @param {keyof typeof args} flag
 */
function number(flag) {
  const text = args[flag];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(value)) {
    console.error(`outbox-relay: --${String(flag)} must be a number; got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
}

let relay;
try {
  relay = await startRelay({
    upstream: args.upstream,
    listen: args.listen,
    store: args.store,
    paths: args.path,
    laneHeader: args['lane-header'],
    lookupPath: args['lookup-path'],
    passThroughWaitMs: number('pass-through-wait-ms'),
    timeoutMs: number('timeout-ms'),
    retryBaseMs: number('retry-base-ms'),
    retryMaxMs: number('retry-max-ms'),
    leaseMs: number('lease-ms'),
    pollMs: number('poll-ms'),
    maxBodyBytes: number('max-body-bytes'),
    adminToken: args['admin-token'] ?? process.env.OUTBOX_RELAY_ADMIN_TOKEN,
    secretKeyFile: args['secret-key-file'],
    secretKeyBase64: process.env.OUTBOX_RELAY_SECRET_KEY,
    secretHeaders: args['secret-header'],
    scopeHeaders: args['scope-header'],
    setAsideAfterTries: number('set-aside-after-tries'),
    deadLetterTtlSeconds: number('dead-letter-ttl-seconds'),
    maxQueuedPerClient: number('max-queued-per-client'),
    maxQueuedPerLane: number('max-queued-per-lane'),
    maxLanes: number('max-lanes'),
    logLevel: /** @type {import('../src/relay/options.js').RelayOptions['logLevel']} */ (args['log-level']),
  });
} catch (error) {
  console.error(`outbox-relay: ${/** @type {Error} */ (error).message}`);
  process.exit(error instanceof RelayOptionError ? 2 : 1);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    relay.close().then(() => process.exit(0), () => process.exit(1));
  });
}
