// What the real servers the tests start (redis-server, a Redis Cluster,
// PostgreSQL) share: killed with this process if a test leaves them running,
// stopped gently with their folder removed, and one per test file.
import { rmSync } from 'node:fs';
import { after, before } from 'node:test';

/**
 * Ties child processes to this one (kill -9 at exit) until `stop()`, which
 * sends `signal` to each, waits for them to exit and removes `dir`.
 * @param {import('node:child_process').ChildProcess[]} children
 * @param {string} dir
 * @param {NodeJS.Signals} [signal] SIGTERM; PostgreSQL's "fast shutdown" is SIGINT
 */
export function ownChildren(children, dir, signal = 'SIGTERM') {
  const kill = () => children.forEach((child) => child.kill('SIGKILL'));
  process.once('exit', kill);
  return async function stop() {
    process.off('exit', kill);
    await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null
      ? new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill(signal);
      })
      : undefined)));
    rmSync(dir, { recursive: true, force: true });
  };
}

/**
 * One server for a whole test file: started before its first test, stopped
 * after its last. Its fields are filled in by then: read them inside tests and hooks.
 * @template {{ stop(): Promise<void> }} T
 * @param {() => Promise<T>} start
 * @returns {Partial<T>}
 */
export function serverForFile(start) {
  /** @type {Partial<T>} */
  const server = {};
  before(async () => {
    Object.assign(server, await start());
  });
  after(async () => {
    await server.stop?.();
  });
  return server;
}
