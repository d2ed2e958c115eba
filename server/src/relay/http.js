// HTTP plumbing shared by the relay's parts: hop-by-hop headers, one
// forwarding attempt with a deadline, JSON answers.
import http from 'node:http';
import https from 'node:https';
import { sendProblem as sendProblemAs } from '../idempotency/problem.js';
import { upstreamTarget } from './target.js';
export { readBody } from '../body.js';

// RFC 9110 §7.6.1: these describe one connection and are never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

/** @typedef {[string, string][]} HeaderPairs */

/**
 * A header list without hop-by-hop headers (and those the Connection header names).
 * @param {string[]} rawHeaders Node's flat `[name, value, …]`
 * @returns {HeaderPairs}
 */
export function endToEndHeaders(rawHeaders) {
  /** @type {HeaderPairs} */
  const pairs = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([/** @type {string} */ (rawHeaders[i]), /** @type {string} */ (rawHeaders[i + 1])]);
  const named = new Set(pairs.filter(([n]) => n.toLowerCase() === 'connection').flatMap(([, v]) => v.split(',').map((s) => s.trim().toLowerCase())));
  return pairs.filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase()) && !named.has(name.toLowerCase()));
}

/**
 * Header pairs → an object Node's http accepts (repeated names become arrays).
 * @param {HeaderPairs} pairs
 * @returns {Record<string, string | string[]>}
 */
export function headerObject(pairs) {
  /** @type {Record<string, string | string[]>} */
  const out = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    const before = out[key];
    out[key] = before === undefined ? value : [before, value].flat();
  }
  return out;
}

/**
 * Plain objects → header pairs, for `res.getHeaders()`-like values.
 * @param {Record<string, unknown>} headers
 * @returns {HeaderPairs}
 */
export function headerPairs(headers) {
  return Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value.map((v) => /** @type {[string, string]} */ ([name, String(v)])) : value === undefined ? [] : [/** @type {[string, string]} */ ([name, String(value)])]));
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} value
 * @param {Record<string, string>} [headers]
 */
export function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

/** The relay's problems, in the same RFC 9457 form as the middleware's. */
/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {string} name
 * @param {string} title
 * @param {string} detail
 * @param {Record<string, string>} [headers]
 */
export const sendProblem = (res, status, name, title, detail, headers) => sendProblemAs(res, status, `relay/${name}`, title, detail, headers);

/** @type {Record<string, import('node:http').Agent>} */
const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }) };

/**
 * One attempt to send a stored message upstream.
 * @param {string} upstream
 * @param {{ method: string, url: string, headers: HeaderPairs, body: Buffer }} request
 * @param {number} timeoutMs
 * @returns {Promise<{ kind: 'answer', status: number, headers: [string, string][], body: Buffer } | { kind: 'error', error: string }>}
 */
export function sendUpstream(upstream, { method, url, headers, body }, timeoutMs) {
  return new Promise((resolve) => {
    let target;
    try {
      target = upstreamTarget(upstream, url);
    } catch (error) {
      resolve({ kind: 'error', error: `cannot send: ${/** @type {Error} */ (error).message}` });
      return;
    }
    const transport = target.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (/** @type {{ kind: 'answer', status: number, headers: HeaderPairs, body: Buffer } | { kind: 'error', error: string }} */ result) => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    const req = transport.request(target, { method, headers: { ...headerObject(headers), 'content-length': String(body.length) }, agent: agents[target.protocol] }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => done({ kind: 'answer', status: res.statusCode ?? 0, headers: endToEndHeaders(res.rawHeaders), body: Buffer.concat(chunks) }));
      res.on('error', (error) => done({ kind: 'error', error: `network: ${/** @type {NodeJS.ErrnoException} */ (error).code ?? error.message}` }));
      res.on('aborted', () => done({ kind: 'error', error: 'network: the upstream closed the connection mid-answer' }));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      done({ kind: 'error', error: `timeout: no answer within ${timeoutMs} ms` });
    });
    req.on('error', (error) => done({ kind: 'error', error: `network: ${/** @type {NodeJS.ErrnoException} */ (error).code ?? error.message}` }));
    req.end(body);
  });
}

/**
 * Proxies a request to the upstream unchanged, streaming both ways; 502 when the upstream cannot be reached.
 * @param {string} upstream
 * @param {import('node:http').IncomingMessage} req
 * @param {import('node:http').ServerResponse} res
 * @param {{ timeoutMs: number, onUpstream: (state: 'up' | 'down') => void }} options
 */
export function proxy(upstream, req, res, { timeoutMs, onUpstream }) {
  const target = upstreamTarget(upstream, req.url ?? '/');
  const transport = target.protocol === 'https:' ? https : http;
  const headers = headerObject(endToEndHeaders(req.rawHeaders));
  if (req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
  const out = transport.request(target, { method: req.method, headers, agent: agents[target.protocol] }, (answer) => {
    const status = answer.statusCode ?? 502;
    onUpstream(status < 500 ? 'up' : 'down');
    const back = headerObject(endToEndHeaders(answer.rawHeaders));
    if (answer.headers['content-length'] !== undefined) back['content-length'] = answer.headers['content-length'];
    res.writeHead(status, back);
    answer.pipe(res);
  });
  out.setTimeout(timeoutMs, () => out.destroy(new Error(`no answer within ${timeoutMs} ms`)));
  out.on('error', (error) => {
    onUpstream('down');
    if (!res.headersSent) sendProblem(res, 502, 'upstream-unreachable', 'The upstream cannot be reached', `${req.method} ${target.pathname}: ${/** @type {NodeJS.ErrnoException} */ (error).code ?? error.message}`);
    else res.destroy();
  });
  req.pipe(out);
}
