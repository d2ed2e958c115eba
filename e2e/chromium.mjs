// Finds the Chromium the end-to-end tests drive. Never downloads a browser
// build (no `playwright install`): it uses the system's Chromium, and on a
// Debian machine running as root it installs Debian's `chromium` package.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Arguments every launch gets: quiet, no updates, no sandbox only when root (Chromium refuses it otherwise). */
export const launchArgs = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  ...(isRoot() ? ['--no-sandbox'] : []),
  '--disable-gpu',
];

/** @param {string} file */
export function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on PATH, or null. @param {string} name @returns {string | null} */
export function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, name);
    if (isExecutable(file)) return file;
  }
  return null;
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`e2e: ${message}`);
  process.exit(1);
}

/** The path of a Chromium to drive; installs Debian's package when it can, else exits with what to install. */
export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) fail(`CHROMIUM_PATH=${fromEnv} does not exist: point it at a Chromium or Chrome binary, or unset it`);
    return fromEnv;
  }
  for (const name of CANDIDATES) {
    const found = onPath(name);
    if (found) return found;
  }
  if (isRoot() && existsSync('/etc/debian_version')) {
    console.error('e2e: no Chromium on PATH; installing Debian\'s chromium package');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    try {
      execFileSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'], env });
      execFileSync('apt-get', ['install', '-y', 'chromium'], { stdio: ['ignore', 'inherit', 'inherit'], env });
    } catch (err) {
      fail(`installing chromium with apt-get failed (${String(err instanceof Error ? err.message : err).split('\n')[0]}): install the chromium package by hand or set CHROMIUM_PATH`);
    }
    if (!isExecutable(DEBIAN_CHROMIUM)) fail(`apt-get installed chromium but ${DEBIAN_CHROMIUM} is missing: set CHROMIUM_PATH`);
    return DEBIAN_CHROMIUM;
  }
  fail(`no Chromium found (looked for ${CANDIDATES.join(', ')} on PATH): install chromium (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH`);
}
