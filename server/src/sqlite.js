// Opens an SQLite file the way a store that answers "stored" must: WAL, so
// readers never block the writer, and synchronous=FULL, so a commit is on
// disk (fsync of the WAL) before the call returns and survives a power cut,
// not only a crash of this process (https://www.sqlite.org/pragma.html#pragma_synchronous).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * @param {string} file path of the database file (created, with mode 0600, when missing)
 * @param {{ exclusive?: boolean, busyTimeoutMs?: number, synchronous?: 'FULL' | 'NORMAL' }} [options]
 *   `exclusive`: hold the file for this process alone (the relay: two relays on one file would both forward);
 *   `synchronous`: 'NORMAL' survives this process crashing but not a power cut, and saves an fsync per commit
 * @returns {import('better-sqlite3').Database}
 */
export function openDatabase(file, { exclusive = false, busyTimeoutMs = 5_000, synchronous = 'FULL' } = {}) {
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') throw new RangeError(`SQLite synchronous must be 'FULL' or 'NORMAL'; got ${JSON.stringify(synchronous)}`);
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    // Created owner-only before SQLite sees it: the file may hold request headers.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
  }
  const db = new Database(file);
  db.pragma(`busy_timeout = ${Math.floor(busyTimeoutMs)}`);
  if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (file !== ':memory:' && mode !== 'wal') throw new Error(`SQLite ${file}: journal_mode is ${mode}, WAL is needed`);
  db.pragma(`synchronous = ${synchronous}`);
  return db;
}
