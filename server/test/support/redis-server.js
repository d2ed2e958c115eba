// Starts a real redis-server for a test: a free port on 127.0.0.1, its own
// temporary directory, AOF on with fsync on every write (as the relay's
// README asks of a production Redis), stopped by stop() or when this process
// exits. Where redis-server is missing and we run as root on Debian, Debian's
// `redis-server` package is installed (never a downloaded binary), like
// e2e/chromium.mjs does for Chromium.
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { after, before } from 'node:test';
import os from 'node:os';
import path from 'node:path';
import { ownChildren } from './servers.js';

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** @param {string} name */
function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return path.join(dir, name);
    } catch {}
  }
  for (const dir of ['/usr/bin', '/usr/local/bin', '/usr/sbin']) {
    if (existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

/** The path of redis-server; installs Debian's package when it can, else throws saying what to install. */
export function findRedisServer() {
  const fromEnv = process.env.REDIS_SERVER_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`REDIS_SERVER_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const found = onPath('redis-server');
  if (found) return found;
  if (isRoot() && existsSync('/etc/debian_version')) {
    console.error("server tests: no redis-server on PATH; installing Debian's redis-server package");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'], env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { stdio: ['ignore', 'inherit', 'inherit'], env });
    const installed = onPath('redis-server');
    if (installed) return installed;
  }
  throw new Error('no redis-server found: install it (Debian/Ubuntu: apt-get install redis-server) or set REDIS_SERVER_PATH');
}

/** @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** @returns {Promise<{ url: string, port: number, dir: string, stop(): Promise<void> }>} */
export async function startRedis() {
  const binary = findRedisServer();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'outbox-redis-'));
  const port = await freePort();
  const child = spawn(binary, [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
    '--appendonly', 'yes', '--appendfsync', 'always', '--save', '',
    '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'warning',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const stop = ownChildren([child], dir);
  await waitForPort(port, child, () => stderr);
  return { url: `redis://127.0.0.1:${port}/0`, port, dir, stop };
}

/**
 * @param {number} port
 * @param {import('node:child_process').ChildProcess} child
 * @param {() => string} stderr
 */
async function waitForPort(port, child, stderr) {
  const deadline = performance.now() + 10_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr()}`);
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end('PING\r\n');
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not listen on ${port} within 10 s: ${stderr()}`);
}

/**
 * What a test file of the server half shares: a temporary folder (made now)
 * and one redis-server for the whole file (started before its first test,
 * stopped with the folder after its last). `redis` is filled in by then:
 * read `redis.url` inside tests and hooks, not at the file's top level.
 * @param {string} prefix
 * @returns {{ tmp: string, redis: Partial<Awaited<ReturnType<typeof startRedis>>> & { url: string } }}
 */
export function fileResources(prefix) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), prefix));
  const redis = /** @type {Partial<Awaited<ReturnType<typeof startRedis>>> & { url: string }} */ ({});
  before(async () => {
    Object.assign(redis, await startRedis());
  });
  after(async () => {
    await redis.stop?.();
    rmSync(tmp, { recursive: true, force: true });
  });
  return { tmp, redis };
}
