// Checks whether a chat API deduplicates on Idempotency-Key, the way the
// browser's outbox needs it to for "exactly once": a few keyed POSTs, each
// with a fresh key and a fresh marker in its body.
//
// An answer alone cannot prove deduplication: a server that stores every POST
// may answer each with the same `{"ok":true}` or 204, and one that deduplicates
// may answer a repeat differently. So the verdict rests on what the server
// stored: with `verifyUrl` (a GET that lists the stored messages), the number
// of times each marker appears there. Without it, only the server's own word
// counts (a repeat marked `Idempotent-Replayed: true`, a concurrent duplicate
// answered 409); anything else is 'unknown', never a pass.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

/**
 * @typedef {{ name: string, verdict: 'pass' | 'fail' | 'unknown' | 'skipped', detail: string }} CheckResult
 * @param {string} url the API's POST URL, e.g. http://127.0.0.1:8080/api/chat
 * @param {{ headers?: Record<string, string>, body?: (run: string) => string, failHeader?: [string, string], verifyUrl?: string, timeoutMs?: number }} [options]
 *   `body`: the JSON body for a run (default `{"text":"outbox-check-server <run>"}`);
 *   `failHeader`: a header that makes the server answer 5xx, for the "does not cache 5xx" check;
 *   `verifyUrl`: a GET (same headers) whose body lists what the server stored, e.g. the conversation's messages
 * @returns {Promise<CheckResult[]>}
 */
export async function checkServer(url, { headers = {}, body = (run) => JSON.stringify({ text: `outbox-check-server ${run}` }), failHeader, verifyUrl, timeoutMs = 10_000 } = {}) {
  /** @param {string} key @param {string} text @param {Record<string, string>} [extra] */
  const post = (key, text, extra = {}) => send(url, { 'content-type': 'application/json', ...headers, 'idempotency-key': key, ...extra }, text, timeoutMs);
  /** @type {CheckResult[]} */
  const results = [];
  const run = randomUUID().slice(0, 8);
  /**
   * How many times `marker` appears in what the server lists as stored; undefined without `verifyUrl`.
   * @param {string} marker
   */
  const storedCount = async (marker) => {
    if (!verifyUrl) return undefined;
    const listed = await send(verifyUrl, headers, undefined, timeoutMs);
    if (listed.status !== 200) throw new Error(`GET ${verifyUrl} answered ${listed.status}, not 200`);
    return listed.body.split(marker).length - 1;
  };
  /**
   * The verdict from what was stored: once passes, more fails, none listed cannot tell.
   * @param {string} name @param {string} marker @param {string} answers
   * @returns {Promise<CheckResult | undefined>}
   */
  const judgeStored = async (name, marker, answers) => {
    const count = await storedCount(marker);
    if (count === undefined) return undefined;
    if (count === 1) return { name, verdict: 'pass', detail: `stored once (${answers})` };
    if (count > 1) return { name, verdict: 'fail', detail: `stored ${count} times (${answers}): the server does not deduplicate on Idempotency-Key` };
    return { name, verdict: 'unknown', detail: `${verifyUrl} does not list the message (${marker}): cannot tell what was stored; make the GET list the stored bodies` };
  };

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
    const replayed = second.headers['idempotent-replayed'] === 'true';
    const name = 'repeated key stored once';
    const answers = `first ${first.status}, repeat ${second.status}${replayed ? ' Idempotent-Replayed' : ''}`;
    results.push((await judgeStored(name, `${run} repeat`, answers))
      ?? (replayed && second.status < 300
        ? { name, verdict: 'pass', detail: `the repeat was answered as a replay (${answers}); give --verify-url to check what was stored` }
        : { name, verdict: 'unknown', detail: `${answers}, not marked Idempotent-Replayed: the answers cannot tell whether the message was stored twice; give --verify-url, a GET that lists what was stored` }));
  }

  // 2. A concurrent duplicate is answered 409 (or waits and gets the first answer).
  {
    const key = `check-${run}-concurrent`;
    const text = body(`${run} concurrent`);
    const answers = await Promise.all([post(key, text), post(key, text), post(key, text)]);
    const ok = answers.filter((a) => a.status >= 200 && a.status < 300);
    const conflicts = answers.filter((a) => a.status === 409);
    const replays = ok.filter((a) => a.headers['idempotent-replayed'] === 'true');
    const name = 'concurrent duplicate stored once';
    const seen = `3 at once got ${answers.map((a) => a.status).join(', ')}`;
    // One fresh answer, the others 409 or marked replays: the server says it ran the handler once.
    const saysOnce = ok.length - replays.length === 1 && ok.length + conflicts.length === answers.length;
    results.push((await judgeStored(name, `${run} concurrent`, seen))
      ?? (saysOnce
        ? { name, verdict: 'pass', detail: `${seen}: one ran, the others got 409 or a replay; give --verify-url to check what was stored` }
        : { name, verdict: 'unknown', detail: `${seen}: the answers cannot tell whether it was stored more than once; give --verify-url, a GET that lists what was stored` }));
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
 * A POST with `body`, a GET without.
 * @param {string} url
 * @param {Record<string, string>} headers
 * @param {string | undefined} body
 * @param {number} timeoutMs
 * @returns {Promise<Answer>}
 */
function send(url, headers, body, timeoutMs) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const transport = target.protocol === 'https:' ? https : http;
    const method = body === undefined ? 'GET' : 'POST';
    const req = transport.request(target, { method, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', (/** @type {NodeJS.ErrnoException} */ error) => reject(new Error(`${method} ${url}: ${error.code ?? error.message}`, { cause: error })));
    req.end(body);
  });
}
