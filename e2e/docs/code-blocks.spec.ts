/**
 * The docs agree with the code: every ts/tsx/js block of README.md and
 * docs/*.md type-checks against the built declarations (e2e/docs/code-blocks.ts),
 * and the reasons the docs list are the worker's own (`Reason` in
 * sw/protocol/statuses.ts), each of them and no other. No browser: this runs
 * in seconds, on dist/types as `node build.mjs` left it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { REPO, codeBlocksOf, docFiles, typeErrors } from '../docs/code-blocks';
import { KNOWN_KEYS } from '../../sw/options';

test('every code block of README.md and docs/*.md compiles against the built package', () => {
  test.setTimeout(120_000);
  const blocks = docFiles().flatMap(codeBlocksOf);
  expect(blocks.length, 'code blocks found').toBeGreaterThan(20);
  expect(typeErrors(blocks)).toEqual([]);
});

/** The string literals of the `Reason` union, and its template (`http-${number}`) as a pattern. */
function reasonsInCode(): { literals: string[]; numbered: RegExp } {
  const source = readFileSync(path.join(REPO, 'sw/protocol/statuses.ts'), 'utf8');
  const union = /export type Reason =([\s\S]*?);/.exec(source)?.[1];
  if (union === undefined) throw new Error('sw/protocol/statuses.ts: no `export type Reason` union');
  expect(union, 'the one template the check knows').toContain('`http-${number}`');
  const literals = [...union.matchAll(/'([\w-]+)'/g)].map((match) => match[1]!);
  return { literals, numbered: /^http-[1-5]\d\d$/ };
}

/** Reason-like words the docs may use for a group: `http-4xx` is "any refusal http-4NN" (Reason's own JSDoc says so). */
const GROUPS = new Set(['http-4xx']);

for (const file of ['README.md', 'docs/statuses.md']) {
  test(`${file} lists every reason the worker gives, and none it does not`, () => {
    const { literals, numbered } = reasonsInCode();
    const text = readFileSync(path.join(REPO, file), 'utf8');
    const section = text.slice(text.indexOf('Statuses and reasons'));
    const quoted = new Set([...section.matchAll(/`([\w-]+)`/g)].map((match) => match[1]!));
    for (const reason of literals) expect(quoted.has(reason), `${file} names the reason '${reason}'`).toBe(true);
    // Every http-… word in the docs is a real value (http-503) or a named group, never a made-up one (http-5xx).
    const httpWords = [...quoted].filter((word) => word.startsWith('http-'));
    const unknown = httpWords.filter((word) => !literals.includes(word) && !numbered.test(word) && !GROUPS.has(word));
    expect(unknown, `${file}: http-… reasons the worker never gives`).toEqual([]);
    expect(httpWords.some((word) => numbered.test(word)), `${file} shows a real numbered reason such as http-503`).toBe(true);
  });
}

test('docs/ready-made-worker.md\'s query table has a row for every key the worker reads, and none it does not', () => {
  const text = readFileSync(path.join(REPO, 'docs/ready-made-worker.md'), 'utf8');
  // The table's rows: `| \`key\` …, \`key2\` … | what | default |`; the keys are the first cell's code spans.
  const rows = text.split('\n').filter((line) => line.startsWith('| `'));
  const documented = new Set(rows.flatMap((row) => [...row.split('|')[1]!.matchAll(/`(\w+)(?:=[^`]*)?`/g)].map((match) => match[1]!)));
  expect([...documented].sort()).toEqual([...KNOWN_KEYS].sort());
});
