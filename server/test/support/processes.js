// Child processes for the tests: started with a JSON line announcing where
// they listen, killed (SIGKILL) at the end of the test whatever happens.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Spawns `node file args…` and resolves with the child and the first JSON
 * line it prints that satisfies `ready` (default: has a `port` or `url`).
 * Every JSON line it prints is kept in `lines`.
 * @param {string} file
 * @param {string[]} [args]
 * @param {{ env?: Record<string, string>, ready?: (line: any) => boolean, timeoutMs?: number }} [options]
 * @returns {Promise<{ child: import('node:child_process').ChildProcessByStdio<null, import('node:stream').Readable, import('node:stream').Readable>, line: any, lines: any[], stderr: () => string, kill: () => Promise<unknown> }>}
 */
export function startNode(file, args = [], { env = {}, ready = (l) => l.port !== undefined || l.event === 'listening', timeoutMs = 15_000 } = {}) {
  const child = spawn(process.execPath, [file, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  /** @type {any[]} */
  const lines = [];
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const rl = readline.createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code} before it was ready: ${stderr}`));
    });
    rl.on('line', (text) => {
      let line;
      try {
        line = JSON.parse(text);
      } catch {
        return;
      }
      lines.push(line);
      if (ready(line)) {
        clearTimeout(timer);
        resolve({ child, line, lines, stderr: () => stderr, kill: () => killHard(child) });
      }
    });
  });
}

/**
 * kill -9, resolved once the process is gone.
 * @param {import('node:child_process').ChildProcess} child
 */
export function killHard(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  return gone;
}
