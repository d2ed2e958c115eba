// A real Redis Cluster for a test file: three masters (`redis-server
// --cluster-enabled yes` on free ports of 127.0.0.1, each in its own
// temporary folder), joined by `redis-cli --cluster create`, stopped with
// the file. The relay's keys then spread over three nodes, so a script that
// touched two slots would fail with CROSSSLOT.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findRedisServer, freePort } from './redis-server.js';
import { ownChildren, serverForFile } from './servers.js';

/** @returns {Promise<{ url: string, ports: number[], stop(): Promise<void> }>} */
export async function startRedisCluster(masters = 3) {
  const binary = findRedisServer();
  const cli = path.join(path.dirname(binary), 'redis-cli');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'outbox-redis-cluster-'));
  /** @type {number[]} */
  const ports = [];
  /** @type {import('node:child_process').ChildProcess[]} */
  const children = [];
  for (let i = 0; i < masters; i += 1) {
    const port = await freePort();
    const nodeDir = path.join(dir, String(port));
    execFileSync('mkdir', ['-p', nodeDir]);
    ports.push(port);
    children.push(spawn(binary, [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', nodeDir,
      '--cluster-enabled', 'yes', '--cluster-config-file', path.join(nodeDir, 'nodes.conf'), '--cluster-node-timeout', '2000',
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no', '--loglevel', 'warning',
    ], { stdio: 'ignore' }));
  }
  const stop = ownChildren(children, dir);
  const ping = (/** @type {number} */ port, /** @type {string[]} */ args) => execFileSync(cli, ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' }).trim();
  await until(() => ports.every((port) => ping(port, ['PING']) === 'PONG'), 'every node answers PING');
  execFileSync(cli, ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
  await until(() => ports.every((port) => ping(port, ['CLUSTER', 'INFO']).includes('cluster_state:ok')), 'cluster_state:ok on every node');
  return {
    url: `redis-cluster://${ports.map((port) => `127.0.0.1:${port}`).join(',')}`,
    ports,
    stop,
  };
}

/**
 * @param {() => boolean} check
 * @param {string} what
 */
async function until(check, what) {
  const deadline = performance.now() + 20_000;
  for (;;) {
    try {
      if (check()) return;
    } catch {}
    if (performance.now() > deadline) throw new Error(`redis cluster: no ${what} within 20 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * One cluster for a whole test file: started before its first test, stopped after its last.
 * @returns {Partial<Awaited<ReturnType<typeof startRedisCluster>>> & { url: string }}
 */
export function redisClusterResource() {
  return /** @type {Partial<Awaited<ReturnType<typeof startRedisCluster>>> & { url: string }} */ (serverForFile(() => startRedisCluster()));
}
