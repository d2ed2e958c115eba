// Starts a real PostgreSQL for a test file: Debian's `postgresql` binaries,
// `initdb` into a temporary folder, `postgres` on a free port of 127.0.0.1
// (and its socket in that folder, so nothing of the machine's own cluster is
// touched), stopped with the file. PostgreSQL refuses to run as root: as root
// the folder is handed to `nobody` and both commands run as that user. Where
// the binaries are missing and we run as root on Debian, Debian's package is
// installed (never a downloaded binary), as for redis-server.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './redis-server.js';
import { ownChildren, serverForFile } from './servers.js';

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
/** The user PostgreSQL runs as when we are root. */
const RUN_AS = 'nobody';

/** The folder with initdb and postgres: $POSTGRES_BIN, else the newest /usr/lib/postgresql/<v>/bin. */
export function findPostgresBin() {
  const fromEnv = process.env.POSTGRES_BIN;
  if (fromEnv) {
    if (!existsSync(path.join(fromEnv, 'postgres'))) throw new Error(`POSTGRES_BIN=${fromEnv} has no postgres binary`);
    return fromEnv;
  }
  const found = newestBin();
  if (found) return found;
  if (isRoot() && existsSync('/etc/debian_version')) {
    console.error("server tests: no PostgreSQL found; installing Debian's postgresql package");
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'], env });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql'], { stdio: ['ignore', 'inherit', 'inherit'], env });
    const installed = newestBin();
    if (installed) return installed;
  }
  throw new Error('no PostgreSQL found: install it (Debian/Ubuntu: apt-get install postgresql) or set POSTGRES_BIN to the folder with initdb and postgres');
}

function newestBin() {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : path.join(root, versions[0], 'bin');
}

/** Spawn options that run a command as the user PostgreSQL accepts (ourselves, or `nobody` when root). */
const asServerUser = () => (isRoot() ? userIds(RUN_AS) : {});

/** @returns {Promise<{ connectionString: string, port: number, stop(): Promise<void> }>} */
export async function startPostgres() {
  const bin = findPostgresBin();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'outbox-pg-'));
  const data = path.join(dir, 'data');
  if (isRoot()) {
    const { uid, gid } = userIds(RUN_AS);
    chownSync(dir, uid, gid);
  }
  chmodSync(dir, 0o700);
  execFileSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], { stdio: ['ignore', 'ignore', 'pipe'], ...asServerUser() });
  const port = await freePort();
  // fsync off: these tests prove the store's logic, not the disk (the data folder is thrown away).
  const args = ['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const child = spawn(path.join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...asServerUser() });
  let stderr = '';
  child.stderr?.on('data', (d) => { stderr += d; });
  // SIGINT: "fast shutdown", no waiting for clients that are still connected.
  const stop = ownChildren([child], dir, 'SIGINT');
  await waitUntilReady(bin, port, child, () => stderr);
  return { connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop };
}

/** @param {string} name */
function userIds(name) {
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/**
 * @param {string} bin
 * @param {number} port
 * @param {import('node:child_process').ChildProcess} child
 * @param {() => string} stderr
 */
async function waitUntilReady(bin, port, child, stderr) {
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}: ${stderr()}`);
    try {
      execFileSync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-q'], { stdio: 'ignore' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`postgres did not accept connections on ${port} within 20 s: ${stderr()}`);
}

/**
 * One PostgreSQL for a whole test file: started before its first test,
 * stopped after its last. Read `postgres.connectionString` inside tests and hooks.
 * @returns {Partial<Awaited<ReturnType<typeof startPostgres>>> & { connectionString: string }}
 */
export function postgresResource() {
  return /** @type {Partial<Awaited<ReturnType<typeof startPostgres>>> & { connectionString: string }} */ (serverForFile(startPostgres));
}
