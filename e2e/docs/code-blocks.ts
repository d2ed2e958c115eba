/**
 * Every `ts`, `tsx` and `js` code block of README.md and docs/*.md, type-checked
 * against the built package's declarations (dist/types, server/dist/types), as a
 * reader would paste it. A block that is deliberately partial is fenced with an
 * explicit marker, ```ts ignore, and skipped.
 *
 * Each block is its own module. Where it runs decides its libs: a block that
 * imports the worker side (outbox/sw, workbox-*) is checked with the WebWorker
 * lib, one that imports server or build tools (outbox-server, express, vite,
 * node:…) with Node's types, any other with the DOM. Names the docs use without
 * defining them (the page's `outbox`, `render`, a `user`) are declared once in
 * PREAMBLE, so a block that misuses the library still fails.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: 'ts' | 'tsx' | 'js';
  code: string;
}

export type Context = 'page' | 'worker' | 'node';

/** The Markdown files whose blocks are checked. */
export function docFiles(): string[] {
  const docs = readdirSync(path.join(REPO, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
  return ['README.md', ...docs.sort()];
}

/** The checked blocks of one file; fences with a word after the language (`ts ignore`) are skipped. */
export function codeBlocksOf(file: string): CodeBlock[] {
  const lines = readFileSync(path.join(REPO, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end === -1) throw new Error(`${file}:${i + 1}: a code fence that is never closed`);
    const lang = open[1]!;
    const marker = open[2]!.trim();
    if ((lang === 'ts' || lang === 'tsx' || lang === 'js') && marker === '') {
      blocks.push({ file, line: i + 1, lang, code: lines.slice(i + 1, end).join('\n') });
    } else if ((lang === 'ts' || lang === 'tsx' || lang === 'js') && marker !== 'ignore') {
      throw new Error(`${file}:${i + 1}: unknown fence marker '${marker}' (only 'ignore' is known)`);
    }
    i = end;
  }
  return blocks;
}

export function contextOf(block: CodeBlock): Context {
  if (/from '(outbox\/sw|workbox-(?!window)[\w-]+)'|__WB_MANIFEST|ServiceWorkerGlobalScope/.test(block.code)) return 'worker';
  if (/from '(outbox-server[\w/-]*|outbox\/vite|express|fastify|pg|vite|vite-plugin-pwa|esbuild|workbox-build|node:[\w/]+)'|process\.|require\(/.test(block.code)) return 'node';
  return 'page';
}

/** Third-party modules that are not installed in this repository: typed `any`, so only our API is checked. */
const UNINSTALLED = ['express', 'vite-plugin-pwa', 'virtual:pwa-register', 'workbox-build', 'svelte', 'svelte/store', 'next', '$app/environment', '$service-worker'];

/** Names the docs use as given: what the surrounding app would have. */
const PREAMBLE: Record<Context, string> = {
  page: `
import type { Outbox, PendingMessage } from 'outbox/client';
declare global {
  const outbox: Outbox;
  const id: string;
  function showNote(...args: unknown[]): void;
  function toItems(body: unknown): Array<{ id: string; sentAtMs: number }>;
  const root: { render(node: unknown): void };
  const text: string;
  const user: { id: string };
  const nextUser: { id: string };
  const nextToken: string;
  function currentToken(): string;
  function render(...args: unknown[]): void;
  function show(...args: unknown[]): void;
  const pending: PendingMessage[];
}
export {};
`,
  worker: `
declare global {
  function saveMessage(body: unknown): unknown;
}
export {};
`,
  node: `
declare global {
  function saveMessage(body: unknown): unknown;
  function save(body: unknown): unknown;
  const app: { post(path: string, ...handlers: unknown[]): void };
  const express: { json(): unknown };
  function myStore(options: { url?: string }): import('outbox-server').IdempotencyStore;
  function myQueue(options: unknown): import('outbox-server/relay').RelayQueue;
}
export {};
`,
};

const WORKER_SELF = "const self = /** @type {ServiceWorkerGlobalScope & { __WB_MANIFEST: Array<import('workbox-precaching').PrecacheEntry | string> }} */ (/** @type {unknown} */ (globalThis));\n";

const TYPES = (file: string): string[] => [path.join(REPO, file)];

function compilerOptions(context: Context): ts.CompilerOptions {
  const lib = { page: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'], worker: ['lib.es2022.d.ts', 'lib.webworker.d.ts'], node: ['lib.es2022.d.ts'] }[context];
  return {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    allowJs: true,
    checkJs: true,
    jsx: ts.JsxEmit.ReactJSX,
    skipLibCheck: true,
    lib,
    types: context === 'node' ? ['node'] : context === 'page' ? ['vite/client'] : [],
    paths: {
      'outbox/client': TYPES('dist/types/client/index.d.ts'),
      '/client.js': TYPES('dist/types/client/index.d.ts'),
      './client.js': TYPES('dist/types/client/index.d.ts'),
      '/history.js': TYPES('dist/types/client/history.d.ts'),
      '/storage.js': TYPES('dist/types/client/storage.d.ts'),
      'outbox/client/history': TYPES('dist/types/client/history.d.ts'),
      'outbox/client/storage': TYPES('dist/types/client/storage.d.ts'),
      'outbox/store': TYPES('dist/types/client/store.d.ts'),
      'outbox/react': TYPES('dist/types/client/react.d.ts'),
      'outbox/devtools': TYPES('dist/types/client/devtools.d.ts'),
      'outbox/vite': TYPES('dist/types/vite/index.d.ts'),
      'outbox/sw': TYPES('dist/types/sw/index.d.ts'),
      'outbox-server': TYPES('server/dist/types/index.d.ts'),
      'outbox-server/fastify': TYPES('server/dist/types/fastify.d.ts'),
      'outbox-server/relay': TYPES('server/dist/types/relay/index.d.ts'),
    },
  };
}

/** Type errors of the given blocks, as `file:line: message` (the block's line in the Markdown). */
export function typeErrors(blocks: CodeBlock[]): string[] {
  const errors: string[] = [];
  for (const [context, javascript] of (['page', 'worker', 'node'] as const).flatMap((c) => [[c, false], [c, true]] as const)) {
    const mine = blocks.filter((block) => contextOf(block) === context && (block.lang === 'js') === javascript);
    if (mine.length === 0) continue;
    const dir = path.join(REPO, '.docs-blocks', `${context}${javascript ? '-js' : ''}`);
    const sources = new Map<string, { text: string; block?: CodeBlock; hiddenLines?: number }>();
    sources.set(path.join(dir, 'preamble.d.ts'), { text: PREAMBLE[context] });
    // Not a module (no import or export): shorthand ambient modules, typed any.
    sources.set(path.join(dir, 'uninstalled.d.ts'), { text: UNINSTALLED.map((name) => `declare module '${name}';`).join('\n') });
    mine.forEach((block, index) => {
      const ext = block.lang; // a js block is checked as JavaScript (checkJs): what it calls must exist and fit, without annotations
      // `export {}`: each block is its own module (top-level await, no shared names).
      // A JavaScript worker block cannot declare what \`self\` is; a TypeScript one does it itself.
      const hidden = context === 'worker' && block.lang === 'js' ? WORKER_SELF : '';
      sources.set(path.join(dir, `block${index}.${ext}`), { text: `${hidden}${block.code}\nexport {};\n`, block, hiddenLines: hidden.split('\n').length - 1 });
    });
    // JavaScript has no annotations to give a callback's parameters: implicit any is its normal state.
    const options = { ...compilerOptions(context), noImplicitAny: !javascript };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.readFile = (name) => sources.get(path.resolve(name))?.text ?? readFile(name);
    host.fileExists = (name) => sources.has(path.resolve(name)) || fileExists(name);
    const program = ts.createProgram([...sources.keys()], options, host);
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const source = diagnostic.file ? sources.get(path.resolve(diagnostic.file.fileName)) : undefined;
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (source?.block !== undefined && diagnostic.start !== undefined) {
        const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
        errors.push(`${source.block.file}:${source.block.line + 1 + line - (source.hiddenLines ?? 0)}: TS${diagnostic.code} ${message}`);
      } else {
        errors.push(`${diagnostic.file?.fileName ?? '(program)'}: TS${diagnostic.code} ${message}`);
      }
    }
  }
  return errors;
}
