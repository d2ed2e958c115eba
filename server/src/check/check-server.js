// Checks whether a chat API deduplicates on Idempotency-Key, the way the
// browser's outbox needs it to for "exactly once": a few keyed POSTs, each
// with a fresh key, and what their answers say.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

/**
 * @typedef {{ name: string, verdict: 'pass' | 'fail' | 'skipped', detail: string }} CheckResult
 * @param {string} url the API's POST URL, e.g. http://127.0.0.1:8080/api/chat
 * @param {{ headers?: Record<string, string>, body?: (run: string) => string, failHeader?: [string, string], timeoutMs?: number }} [options]
 *   `body`: the JSON body for a run (default `{"text":"outbox-check-server <run>"}`);
 *   `failHeader`: a header that makes the server answer 5xx, for the "does not cache 5xx" check
 * @returns {Promise<CheckResult[]>}
 */
export async function checkServer(url, { headers = {}, body = (run) => JSON.stringify({ text: `outbox-check-server ${run}` }), failHeader, timeoutMs = 10_000 } = {}) {
  /** @param {string} key @param {string} text @param {Record<string, string>} [extra] */
  const post = (key, text, extra = {}) => send(url, { 'content-type': 'application/json', ...headers, 'idempotency-key': key, ...extra }, text, timeoutMs);
  /** @type {CheckResult[]} */
  const results = [];
  const run = randomUUID().slice(0, 8);

  // 1. A repeated key is stored once: the second answer is the first one again.
  {
    const key = `check-${run}-repeat`;
    const text = body(`${run} repeat`);
    const first = await post(key, text);
    if (!(first.status >= 200 && first.status < 300)) {
      results.push({ name: 'repeated key stored once', verdict: /** @type {const} */ ('fail'), detail: `the first POST got ${first.status}, not 2xx: fix the request (--header, --body) so the server accepts it, then check again` });
      return results;
    }
    const second = await post(key, text);
    const same = second.status === first.status && second.body === first.body;
    const replayed = second.headers['idempotent-replayed'] === 'true';
    results.push(same || (replayed && second.status < 300)
      ? { name: 'repeated key stored once', verdict: /** @type {const} */ ('pass'), detail: `the repeat got the first answer again (${second.status}${replayed ? ', Idempotent-Replayed' : ''})` }
      : { name: 'repeated key stored once', verdict: /** @type {const} */ ('fail'), detail: `the repeat got ${second.status} with a different body than the first (${first.status}): the server likely stored the message twice` });
  }

  // 2. A concurrent duplicate is answered 409 (or waits and gets the first answer).
  {
    const key = `check-${run}-concurrent`;
    const text = body(`${run} concurrent`);
    const answers = await Promise.all([post(key, text), post(key, text), post(key, text)]);
    const ok = answers.filter((a) => a.status >= 200 && a.status < 300);
    const conflicts = answers.filter((a) => a.status === 409);
    const distinct = new Set(ok.map((a) => a.body));
    const pass = ok.length >= 1 && ok.length + conflicts.length === answers.length && distinct.size === 1;
    results.push({
      name: 'concurrent duplicate answered 409 or waits',
      verdict: pass ? 'pass' : 'fail',
      detail: pass
        ? `3 at once: ${ok.length} got the answer, ${conflicts.length} got 409`
        : `3 at once got ${answers.map((a) => a.status).join(', ')}${distinct.size > 1 ? ' with different bodies: stored more than once' : ''}`,
    });
  }

  // 3. The same key with a changed body is refused (the draft: 422).
  {
    const key = `check-${run}-changed`;
    await post(key, body(`${run} changed A`));
    const changed = await post(key, body(`${run} changed B`));
    results.push(changed.status === 422
      ? { name: 'changed body under the same key refused', verdict: /** @type {const} */ ('pass'), detail: '422' }
      : { name: 'changed body under the same key refused', verdict: changed.status >= 400 && changed.status < 500 ? /** @type {const} */ ('pass') : /** @type {const} */ ('fail'),
        detail: changed.status >= 400 && changed.status < 500 ? `${changed.status} (the draft asks for 422)` : `got ${changed.status}: a reused key with another body was accepted` });
  }

  // 4. A 5xx is not stored under the key: the retry runs again.
  if (!failHeader) {
    results.push({ name: '5xx not cached', verdict: /** @type {const} */ ('skipped'), detail: 'give --fail-header NAME:VALUE, a header that makes your server answer 5xx, to check this' });
  } else {
    const key = `check-${run}-5xx`;
    const text = body(`${run} 5xx`);
    const failed = await post(key, text, { [failHeader[0]]: failHeader[1] });
    if (failed.status < 500) {
      results.push({ name: '5xx not cached', verdict: /** @type {const} */ ('skipped'), detail: `with ${failHeader[0]} the server answered ${failed.status}, not 5xx` });
    } else {
      const retried = await post(key, text);
      results.push(retried.status >= 200 && retried.status < 300
        ? { name: '5xx not cached', verdict: /** @type {const} */ ('pass'), detail: `after ${failed.status}, the retry with the same key got ${retried.status}` }
        : { name: '5xx not cached', verdict: /** @type {const} */ ('fail'), detail: `after ${failed.status}, the retry with the same key got ${retried.status}: the failure was stored under the key, so the message can never be delivered` });
    }
  }
  return results;
}

/** @typedef {{ status: number, headers: import('node:http').IncomingHttpHeaders, body: string }} Answer */

/**
 * @param {string} url
 * @param {Record<string, string>} headers
 * @param {string} body
 * @param {number} timeoutMs
 * @returns {Promise<Answer>}
 */
function send(url, headers, body, timeoutMs) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const transport = target.protocol === 'https:' ? https : http;
    const req = transport.request(target, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`POST ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', (/** @type {NodeJS.ErrnoException} */ error) => reject(new Error(`POST ${url}: ${error.code ?? error.message}`, { cause: error })));
    req.end(body);
  });
}
