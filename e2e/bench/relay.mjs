// The relay's throughput (server/bin/outbox-relay.js, its own process):
// messages accepted per second while the upstream is down (each one stored
// durably before its 202), and forwarded per second once it is back (one lane:
// one in flight, in order), on SQLite and on Redis (AOF, appendfsync always),
// against a plain HTTP proxy in the same run: the proxy's requests/s at the
// same concurrency (reference for accepting) and one request at a time
// (reference for forwarding, which is sequential per lane).
//   node e2e/bench/relay.mjs            or as part of `npm run bench` (BENCH_ONLY=relay for this alone)
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startRedis } from '../../server/test/support/redis-server.js';
import { startNode } from '../../server/test/support/processes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const relayBin = path.join(here, '../../server/bin/outbox-relay.js');
/** @param {unknown[]} a */
const log = (...a) => console.error('[bench relay]', ...a);

/** A fast upstream that stores each key once and can go down (connections destroyed). */
async function startUpstream() {
  const state = {
    down: true,
    /** @type {Set<string>} */
    keys: new Set(),
    /** Each stored message's `n`, in the order stored. @type {number[]} */
    order: [],
    duplicates: 0,
    /** Called after each message stored. @type {(() => void)[]} */
    waiters: [],
  };
  const server = http.createServer((req, res) => {
    if (state.down) return req.socket.destroy();
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key']); // the relay always sends one
      if (state.keys.has(key)) state.duplicates += 1;
      else {
        state.keys.add(key);
        state.order.push(JSON.parse(Buffer.concat(chunks).toString()).n);
        for (const w of state.waiters) w();
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(`{"id":"${key}"}`);
    });
  });
  await /** @type {Promise<void>} */ (new Promise((r) => server.listen(0, '127.0.0.1', r)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address()); // a TCP listener's address
  return { url: `http://127.0.0.1:${port}`, state, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
/** @param {string} url @param {number} n @param {string} key @returns {Promise<number | undefined>} the answer's status */
function post(url, n, key) {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ text: `bench ${n}`, n });
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'idempotency-key': key } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sends n POSTs from `concurrency` senders, sender w sending w, w + concurrency, …
 * one after another (so each sender's messages have an order to keep).
 */
/** @param {string} url @param {number} n @param {number} concurrency @param {string} prefix */
async function load(url, n, concurrency, prefix) {
  /** @type {(number | undefined)[]} */
  const statuses = new Array(n);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let i = w; i < n; i += concurrency) statuses[i] = await post(url, i, `${prefix}-${i}`);
  }));
  const s = (performance.now() - t0) / 1000;
  return { statuses, msgPerSec: Math.round(n / s), seconds: s };
}

/** @param {(number | undefined)[]} statuses @param {number} code */
const countOf = (statuses, code) => statuses.filter((s) => s === code).length;

/** @param {'sqlite' | 'redis'} kind @param {string} store the relay's --store @param {number} n @param {number} concurrency */
async function benchVariant(kind, store, n, concurrency) {
  const upstream = await startUpstream();
  const relay = await startNode(relayBin, ['--upstream', upstream.url, '--listen', '127.0.0.1:0', '--store', store, '--log-level', 'warn',
    '--retry-base-ms', '100', '--retry-max-ms', '200', '--poll-ms', '20'], { ready: (l) => l.url !== undefined || l.event === 'listening' });
  try {
    // Logs at warn: 'listening' is info, so readiness is the port answering.
    const url = relay.line.url;
    const accepted = await load(`${url}/api/chat`, n, concurrency, `${kind}-${Date.now()}`);
    const all202 = countOf(accepted.statuses, 202);
    const t0 = performance.now();
    upstream.state.down = false;
    await /** @type {Promise<void>} */ (new Promise((resolve) => {
      const check = () => { if (upstream.state.keys.size >= n) resolve(); };
      upstream.state.waiters.push(check);
      check();
    }));
    const forwardS = (performance.now() - t0) / 1000;
    // FIFO is acceptance order; senders run side by side, so each sender's own sequence must arrive in order.
    /** @type {Map<number, number>} */
    const last = new Map();
    const inOrder = upstream.state.order.every((v) => {
      const sender = v % concurrency;
      const ok = (last.get(sender) ?? -1) < v;
      last.set(sender, v);
      return ok;
    });
    return {
      acceptedPerSec: accepted.msgPerSec, accepted202: all202, n,
      forwardedPerSec: Math.round(n / forwardS), inOrder, duplicates: upstream.state.duplicates,
    };
  } finally {
    await relay.kill();
    await upstream.close();
  }
}

/** @param {number} n @param {number} concurrency */
async function benchProxy(n, concurrency) {
  const upstream = await startUpstream();
  upstream.state.down = false;
  const proxy = await startNode(path.join(here, 'plain-proxy.mjs'), [upstream.url], { ready: (l) => l.url !== undefined });
  try {
    const url = `${proxy.line.url}/api/chat`;
    await load(url, 50, concurrency, 'warm');
    const concurrent = await load(url, n, concurrency, 'proxy-c');
    const sequential = await load(url, Math.min(n, 1000), 1, 'proxy-s');
    return { concurrentPerSec: concurrent.msgPerSec, sequentialPerSec: sequential.msgPerSec };
  } finally {
    await proxy.kill();
    await upstream.close();
  }
}

/** @param {{ quick?: boolean }} [options] */
export async function benchRelay({ quick = false } = {}) {
  const n = quick ? 300 : 2000;
  const concurrency = 16;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outbox-bench-relay-'));
  /** @type {Awaited<ReturnType<typeof startRedis>> | null} */
  let redis = null;
  try {
    log(`plain proxy, ${n} POSTs, ${concurrency} at a time and one at a time`);
    const proxy = await benchProxy(n, concurrency);
    log(`relay on SQLite: ${n} POSTs while the upstream is down, then forwarding`);
    const sqlite = await benchVariant('sqlite', `sqlite:${path.join(dir, 'relay.db')}`, n, concurrency);
    let redisResult = null;
    try {
      redis = await startRedis();
      log(`relay on Redis (AOF, appendfsync always): ${n} POSTs while the upstream is down, then forwarding`);
      redisResult = await benchVariant('redis', redis.url, n, concurrency);
    } catch (error) {
      log('redis variant skipped:', error instanceof Error ? error.message : error);
    }
    /** @param {number} a @param {number} b */
    const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : 'n/a');
    const rows = [
      ['figure', 'relay, SQLite', 'relay, Redis', 'plain proxy (reference)'],
      [`accepted while upstream down, ${concurrency} at a time, msg/s`, `${sqlite.acceptedPerSec} (${ratio(sqlite.acceptedPerSec, proxy.concurrentPerSec)} x)`, redisResult ? `${redisResult.acceptedPerSec} (${ratio(redisResult.acceptedPerSec, proxy.concurrentPerSec)} x)` : 'n/a', `${proxy.concurrentPerSec} (upstream up; down it answers 502)`],
      ['forwarded after upstream back, one lane, msg/s', `${sqlite.forwardedPerSec} (${ratio(sqlite.forwardedPerSec, proxy.sequentialPerSec)} x)`, redisResult ? `${redisResult.forwardedPerSec} (${ratio(redisResult.forwardedPerSec, proxy.sequentialPerSec)} x)` : 'n/a', `${proxy.sequentialPerSec} (one at a time)`],
      ['202 answers / in order / duplicates', `${sqlite.accepted202}/${n} / ${sqlite.inOrder ? 'yes' : 'NO'} / ${sqlite.duplicates}`, redisResult ? `${redisResult.accepted202}/${n} / ${redisResult.inOrder ? 'yes' : 'NO'} / ${redisResult.duplicates}` : 'n/a', ''],
    ];
    return { config: { n, concurrency }, proxy, sqlite, redis: redisResult, rows };
  } finally {
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** @param {string[][]} rows the header row first */
export function relayTable(rows) {
  const widths = (rows[0] ?? []).map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r, i) => {
    const line = `| ${r.map((v, c) => String(v).padEnd(widths[c] ?? 0)).join(' | ')} |`;
    return i === 0 ? `${line}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|` : line;
  }).join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchRelay({ quick: process.env.BENCH_QUICK === '1' });
  console.log(`\noutbox relay bench: ${os.cpus().length} cores, load average ${(os.loadavg()[0] ?? 0).toFixed(2)}\n`);
  console.log(relayTable(result.rows));
}
