#!/usr/bin/env node
// outbox-check-server http://host/api/chat [--verify-url URL] [--header 'Authorization: Bearer …']… [--body JSON] [--fail-header 'X-Fail: 1']
// Reports whether a server keeps "exactly once" for outbox: exit 0 when every
// check that ran passed, 1 when one failed, 2 for bad arguments, 3 when none
// failed but one cannot tell (no --verify-url, and answers that prove nothing).
import { parseArgs } from 'node:util';
import { checkServer } from '../src/check/check-server.js';

const USAGE = `usage: outbox-check-server URL [--verify-url URL] [--header 'Name: value']… [--body JSON] [--fail-header 'Name: value']

Sends a few POSTs with fresh Idempotency-Keys to URL and reports whether the server
  stores a repeated key once, stores a concurrent duplicate once,
  refuses a changed body under the same key (422), and does not cache 5xx
  (only with --fail-header: a header that makes your server answer 5xx).
--verify-url is a GET (same headers) that lists what the server stored, e.g. the
  conversation's messages: each POST's body carries a fresh marker, and the check
  counts it there. Without it only the server's own word counts (Idempotent-Replayed,
  409), and otherwise the verdict is CANNOT TELL (exit 3).
--body is the JSON to send; {run} in it becomes a fresh value per request (the
  marker: keep it in a field the server stores).`;

/**
 * @param {string} text
 * @returns {[string, string]}
 */
const header = (text) => {
  const at = text.indexOf(':');
  if (at < 1) throw new Error(`a header must look like 'Name: value'; got ${JSON.stringify(text)}`);
  return [text.slice(0, at).trim(), text.slice(at + 1).trim()];
};

let args;
try {
  args = parseArgs({ allowPositionals: true, options: { header: { type: 'string', multiple: true }, body: { type: 'string' }, 'fail-header': { type: 'string' }, 'verify-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (args.values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (args.positionals.length !== 1 || !/^https?:\/\//.test(args.positionals[0])) throw new Error('give the API\'s URL, e.g. http://127.0.0.1:8080/api/chat');
  const verify = args.values['verify-url'];
  if (verify !== undefined && !/^https?:\/\//.test(verify)) throw new Error('--verify-url must be an http(s) URL');
  if (args.values.body !== undefined) JSON.parse(args.values.body.replaceAll('{run}', 'x'));
} catch (error) {
  console.error(`outbox-check-server: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}

const { values, positionals } = args;
const bodyTemplate = values.body;
try {
  const results = await checkServer(positionals[0], {
    headers: Object.fromEntries((values.header ?? []).map(header)),
    body: bodyTemplate === undefined ? undefined : (run) => bodyTemplate.replaceAll('{run}', run),
    failHeader: values['fail-header'] ? header(values['fail-header']) : undefined,
    verifyUrl: values['verify-url'],
  });
  const mark = { pass: 'PASS', fail: 'FAIL', unknown: 'CANNOT TELL', skipped: 'SKIP' };
  for (const r of results) console.log(`${mark[r.verdict]}  ${r.name}: ${r.detail}`);
  const failed = results.filter((r) => r.verdict === 'fail').length;
  const unknown = results.filter((r) => r.verdict === 'unknown').length;
  if (failed) console.log(`exactly once does NOT hold: ${failed} check(s) failed`);
  else if (unknown) console.log(`cannot tell whether exactly once holds: ${unknown} check(s) could not see what was stored (give --verify-url)`);
  else console.log('exactly once holds for what was checked');
  process.exit(failed ? 1 : unknown ? 3 : 0);
} catch (error) {
  console.error(`outbox-check-server: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
