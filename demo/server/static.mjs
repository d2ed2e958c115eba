// The demo's files: the built library (dist/), the page (demo/*.js, .css,
// .html) and the folders a test adds (staticDirs), never outside them and
// never the server's own source.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendText } from './http.mjs';

/** @typedef {import('./http.mjs').Request} Request */
/** @typedef {import('./http.mjs').Response} Response */

// Resolved from this file, not the cwd, so `npm start` and tests run from anywhere.
const DEMO_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const REPO_DIR = path.dirname(DEMO_DIR);
const DIST_DIR = path.join(REPO_DIR, 'dist');

/** @type {Record<string, string>} */

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Maps a URL path under `prefix` to a file inside `dir`, or null if it would escape `dir`.
 * @param {string} dir @param {string} prefix @param {string} pathname
 */
function resolveInside(dir, prefix, pathname) {
  let rel;
  try {
    rel = decodeURIComponent(pathname.slice(prefix.length));
  } catch {
    return null;
  }
  if (rel.includes('\0')) return null;
  if (rel === '' || rel.endsWith('/')) rel += 'index.html';
  const root = path.resolve(dir);
  const file = path.resolve(root, '.' + path.posix.sep + rel);
  return file.startsWith(root + path.sep) ? file : null;
}

/** @param {Request} req @param {Response} res @param {string} file @returns {Promise<boolean>} */
async function serveFile(req, res, file) {
  try {
    if (!(await stat(file)).isFile()) return false;
    const data = await readFile(file);
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': data.length,
      // The demo is edited live; never let a stale copy hide a change.
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : data);
    return true;
  } catch (err) {
    const code = err instanceof Error && 'code' in err ? err.code : undefined;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return false;
    throw err;
  }
}

/**
 * A folder of the repo served under a URL prefix (e2e pages, built sites).
 * @typedef {{ prefix: string, dir: string }} StaticDir
 */

/** @param {Request} req @param {Response} res @param {string} pathname @param {readonly StaticDir[]} staticDirs */
export async function serveStatic(req, res, pathname, staticDirs) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  /** @type {Record<string, string>} */
  const built = { '/sw.js': 'sw.js', '/sw-shell.js': 'sw-shell.js', '/client.js': 'client.js', '/history.js': 'history.js', '/storage.js': 'storage.js', '/devtools.js': 'devtools.js', '/sw.js.map': 'sw.js.map', '/client.js.map': 'client.js.map' };
  const builtName = Object.hasOwn(built, pathname) ? built[pathname] : undefined;
  if (builtName !== undefined) {
    const file = path.join(DIST_DIR, builtName);
    if (await serveFile(req, res, file)) return true;
    sendText(res, 500, `dist/${builtName} is missing: run \`npm run build\` in ${REPO_DIR} first.\n`);
    return true;
  }
  for (const { prefix, dir } of staticDirs) {
    if (!pathname.startsWith(prefix)) continue;
    const file = resolveInside(path.resolve(REPO_DIR, dir), prefix, pathname);
    if (file && (await serveFile(req, res, file))) return true;
  }
  const file = resolveInside(DEMO_DIR, '/', pathname);
  // The server's own source (server.mjs, server/*.mjs, relay.mjs) is not part
  // of the page: the page's modules are .js.
  if (!file || path.extname(file) === '.mjs') return false;
  return serveFile(req, res, file);
}
