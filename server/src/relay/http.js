// HTTP plumbing shared by the relay's parts: hop-by-hop headers, one
// forwarding attempt with a deadline, JSON answers.
import http from 'node:http';
import https from 'node:https';
import { sendProblem as sendProblemAs } from '../idempotency/problem.js';
import { upstreamTarget } from './target.js';
export { readBody } from '../body.js';

// RFC 9110 §7.6.1: these describe one connection and are never forwarded.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

/** A header list without hop-by-hop headers (and those the Connection header names). */
export function endToEndHeaders(rawHeaders) {
  const pairs = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([rawHeaders[i], rawHeaders[i + 1]]);
  const named = new Set(pairs.filter(([n]) => n.toLowerCase() === 'connection').flatMap(([, v]) => v.split(',').map((s) => s.trim().toLowerCase())));
  return pairs.filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase()) && !named.has(name.toLowerCase()));
}

/** Header pairs → an object Node's http accepts (repeated names become arrays). */
export function headerObject(pairs) {
  const out = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    out[key] = out[key] === undefined ? value : [].concat(out[key], value);
  }
  return out;
}

/** Plain objects → header pairs, for `res.getHeaders()`-like values. */
export function headerPairs(headers) {
  return Object.entries(headers).flatMap(([name, value]) => (Array.isArray(value) ? value.map((v) => [name, String(v)]) : value === undefined ? [] : [[name, String(value)]]));
}

export function sendJson(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

/** The relay's problems, in the same RFC 9457 form as the middleware's. */
export const sendProblem = (res, status, name, ...rest) => sendProblemAs(res, status, `relay/${name}`, ...rest);

const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }), 'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }) };

/**
 * One attempt to send a stored message upstream.
 * @returns {Promise<{ kind: 'answer', status: number, headers: [string, string][], body: Buffer } | { kind: 'error', error: string }>}
 */
export function sendUpstream(upstream, { method, url, headers, body }, timeoutMs) {
  return new Promise((resolve) => {
    let target;
    try {
      target = upstreamTarget(upstream, url);
    } catch (error) {
      resolve({ kind: 'error', error: `cannot send: ${error.message}` });
      return;
    }
    const transport = target.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (result) => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    const req = transport.request(target, { method, headers: { ...headerObject(headers), 'content-length': String(body.length) }, agent: agents[target.protocol] }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => done({ kind: 'answer', status: res.statusCode, headers: endToEndHeaders(res.rawHeaders), body: Buffer.concat(chunks) }));
      res.on('error', (error) => done({ kind: 'error', error: `network: ${error.code ?? error.message}` }));
      res.on('aborted', () => done({ kind: 'error', error: 'network: the upstream closed the connection mid-answer' }));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      done({ kind: 'error', error: `timeout: no answer within ${timeoutMs} ms` });
    });
    req.on('error', (error) => done({ kind: 'error', error: `network: ${error.code ?? error.message}` }));
    req.end(body);
  });
}

/** Proxies a request to the upstream unchanged, streaming both ways; 502 when the upstream cannot be reached. */
export function proxy(upstream, req, res, { timeoutMs, onUpstream }) {
  const target = upstreamTarget(upstream, req.url);
  const transport = target.protocol === 'https:' ? https : http;
  const headers = headerObject(endToEndHeaders(req.rawHeaders));
  if (req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
  const out = transport.request(target, { method: req.method, headers, agent: agents[target.protocol] }, (answer) => {
    onUpstream(answer.statusCode < 500 ? 'up' : 'down');
    const back = headerObject(endToEndHeaders(answer.rawHeaders));
    if (answer.headers['content-length'] !== undefined) back['content-length'] = answer.headers['content-length'];
    res.writeHead(answer.statusCode, back);
    answer.pipe(res);
  });
  out.setTimeout(timeoutMs, () => out.destroy(new Error(`no answer within ${timeoutMs} ms`)));
  out.on('error', (error) => {
    onUpstream('down');
    if (!res.headersSent) sendProblem(res, 502, 'upstream-unreachable', 'The upstream cannot be reached', `${req.method} ${target.pathname}: ${error.code ?? error.message}`);
    else res.destroy();
  });
  req.pipe(out);
}
