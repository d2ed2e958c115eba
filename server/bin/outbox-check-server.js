#!/usr/bin/env node
// outbox-check-server http://host/api/chat [--header 'Authorization: Bearer …']… [--body JSON] [--fail-header 'X-Fail: 1']
// Reports whether a server keeps "exactly once" for outbox: exit 0 when every
// check that ran passed, 1 when one failed, 2 for bad arguments.
import { parseArgs } from 'node:util';
import { checkServer } from '../src/check/check-server.js';

const USAGE = `usage: outbox-check-server URL [--header 'Name: value']… [--body JSON] [--fail-header 'Name: value']

Sends a few POSTs with fresh Idempotency-Keys to URL and reports whether the server
  stores a repeated key once, answers a concurrent duplicate with 409 (or waits),
  refuses a changed body under the same key (422), and does not cache 5xx
  (only with --fail-header: a header that makes your server answer 5xx).
--body is the JSON to send; {run} in it becomes a fresh value per request.`;

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
  args = parseArgs({ allowPositionals: true, options: { header: { type: 'string', multiple: true }, body: { type: 'string' }, 'fail-header': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (args.values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (args.positionals.length !== 1 || !/^https?:\/\//.test(args.positionals[0])) throw new Error('give the API\'s URL, e.g. http://127.0.0.1:8080/api/chat');
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
  });
  const mark = { pass: 'PASS', fail: 'FAIL', skipped: 'SKIP' };
  for (const r of results) console.log(`${mark[r.verdict]}  ${r.name}: ${r.detail}`);
  const failed = results.filter((r) => r.verdict === 'fail').length;
  console.log(failed ? `exactly once does NOT hold: ${failed} check(s) failed` : 'exactly once holds for what was checked');
  process.exit(failed ? 1 : 0);
} catch (error) {
  console.error(`outbox-check-server: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
