// Finds Firefox and WebKit for the neutral specs (e2e/neutral/), as
// e2e/chromium.mjs does for Chromium: the system's browsers only, never a
// download. Where one is missing and this runs as root on Debian, Debian's
// packages are installed (firefox-esr; webkit2gtk-driver and xvfb: MiniBrowser
// comes with libwebkit2gtk-4.1-0, and MiniBrowser needs a display, which
// xvfb-run gives it). What is still missing is reported, never thrown: the
// caller decides whether a missing engine fails the run (CI) or is one line.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isExecutable, isRoot, onPath } from '../chromium.mjs';

/** MiniBrowser lives under the multiarch library folder, e.g. /usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/. */
function findMiniBrowser() {
  for (const dir of ['/usr/lib', '/usr/libexec', '/usr/local/lib']) {
    let entries = [];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const sub of ['', ...entries]) {
      for (const api of ['webkit2gtk-4.1', 'webkit2gtk-4.0', 'webkitgtk-6.0']) {
        const file = path.join(dir, sub, api, 'MiniBrowser');
        if (isExecutable(file)) return file;
      }
    }
  }
  return null;
}

/**
 * What one engine needs: its environment when found, or why it is missing.
 * @typedef {{ env: Record<string, string>, missing?: undefined } | { missing: string, env?: undefined }} Found
 */
/**
 * Each engine: the files it needs (env override, else the system's), and the Debian packages that bring them.
 * @type {Record<string, { packages: string[], find(): Found }>}
 */
const ENGINES = {
  firefox: {
    packages: ['firefox-esr'],
    find() {
      const firefox = fromEnv('FIREFOX_PATH') ?? onPath('firefox-esr') ?? onPath('firefox');
      return firefox ? { env: { FIREFOX_PATH: firefox } } : { missing: 'no firefox-esr or firefox on PATH (Debian: apt-get install firefox-esr), or set FIREFOX_PATH' };
    },
  },
  webkit: {
    // xvfb-run needs xauth, which xvfb only recommends.
    packages: ['webkit2gtk-driver', 'xvfb', 'xauth'],
    find() {
      const driver = fromEnv('WEBKIT_DRIVER_PATH') ?? onPath('WebKitWebDriver');
      const browser = fromEnv('MINIBROWSER_PATH') ?? findMiniBrowser();
      const xvfbRun = onPath('xvfb-run') && onPath('xauth');
      const missing = [
        !driver && 'WebKitWebDriver (Debian: webkit2gtk-driver; or set WEBKIT_DRIVER_PATH)',
        !browser && 'MiniBrowser (Debian: libwebkit2gtk-4.1-0; or set MINIBROWSER_PATH)',
        !xvfbRun && 'xvfb-run and xauth (Debian: xvfb, xauth)',
      ].filter(Boolean);
      return driver && browser && missing.length === 0
        ? { env: { WEBKIT_DRIVER_PATH: driver, MINIBROWSER_PATH: browser } }
        : { missing: `missing ${missing.join(', ')}` };
    },
  },
};

/** @param {string} name */
function fromEnv(name) {
  const value = process.env[name];
  return value && isExecutable(value) ? value : null;
}

/** @param {string[]} packages @returns {string | null} why it failed, or null */
function aptInstall(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  /** @type {import('node:child_process').StdioOptions} */
  const stdio = ['ignore', 'inherit', 'inherit'];
  console.error(`e2e: installing Debian's ${packages.join(', ')}`);
  try {
    execFileSync('apt-get', ['update'], { stdio, env });
    execFileSync('apt-get', ['install', '-y', ...packages], { stdio, env });
    return null;
  } catch (err) {
    return `apt-get install ${packages.join(' ')} failed (${String(err instanceof Error ? err.message : err).split('\n')[0]})`;
  }
}

/**
 * Finds `names` (of 'firefox', 'webkit'), installing Debian's packages for
 * the missing ones when it can. Returns `{ env, found, missing }`: env holds
 * FIREFOX_PATH, WEBKIT_DRIVER_PATH, MINIBROWSER_PATH for the found ones;
 * missing maps an engine to why it cannot run.
 * @param {string[]} [names]
 */
export function findEngines(names = Object.keys(ENGINES)) {
  const engine = (/** @type {string} */ name) => {
    const known = ENGINES[name];
    if (!known) throw new Error(`e2e: no engine '${name}' (known: ${Object.keys(ENGINES).join(', ')})`);
    return known;
  };
  /** @type {Record<string, Found>} */
  const results = Object.fromEntries(names.map((name) => [name, engine(name).find()]));
  const lacking = names.filter((name) => results[name]?.missing);
  let installError = null;
  if (lacking.length > 0 && isRoot() && existsSync('/etc/debian_version')) {
    installError = aptInstall(lacking.flatMap((name) => engine(name).packages));
    for (const name of lacking) results[name] = engine(name).find();
  }
  /** @type {Record<string, string>} */
  const env = {};
  /** @type {string[]} */
  const found = [];
  /** @type {Record<string, string>} */
  const missing = {};
  for (const name of names) {
    const result = /** @type {Found} */ (results[name]);
    if (result.env) {
      Object.assign(env, result.env);
      found.push(name);
    } else {
      missing[name] = installError ? `${result.missing}; ${installError}` : result.missing;
    }
  }
  return { env, found, missing };
}
