// BENCH_BASELINE=<git rev>: our worker and client as they were built at an
// earlier commit, benchmarked in the same run as today's (same machine, same
// load), so a change's cost is a ratio, not two runs hours apart. Built in a
// throwaway git worktree under .tmp/bench/baseline with this checkout's
// node_modules; removed when the process exits.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * @param {string} root the repo
 * @param {string} rev a commit (e.g. `3232339^`, the commit before lanes)
 * @param {(...words: unknown[]) => void} log
 * @returns {{ sw: string, client: string }}
 */
export function buildBaseline(root, rev, log) {
  const dir = path.join(root, '.tmp/bench/baseline');
  const git = (/** @type {string[]} */ ...args) => execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();
  if (fs.existsSync(dir)) git('worktree', 'remove', '--force', dir);
  const sha = git('rev-parse', '--short', rev);
  git('worktree', 'add', '--detach', '--force', dir, sha);
  process.on('exit', () => {
    try {
      git('worktree', 'remove', '--force', dir);
    } catch {
      // Left for the next run to remove.
    }
  });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  execFileSync(process.execPath, ['build.mjs'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  log(`baseline: ours at ${rev} (${sha}) built in ${dir}`);
  return { sw: path.join(dir, 'dist/sw.js'), client: path.join(dir, 'dist/client.js') };
}
