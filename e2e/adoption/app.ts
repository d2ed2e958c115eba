/**
 * A throwaway app that adopts outbox the way a new user does: the package is
 * packed from a clean copy of the repository (only its tracked files, so a
 * file that was never committed, or a `dist/` built by hand, cannot help),
 * installed from the tarball, type-checked and bundled. Its source is the
 * code blocks of docs/, taken as they are.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';

const run = promisify(execFile);
export const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');

/** The blocks of a docs page whose first line names a file (`// src/page.ts`), by that name. */
export function codeBlocks(markdownFile: string): Map<string, string> {
  const text = readFileSync(path.join(REPO, markdownFile), 'utf8');
  const files = new Map<string, string>();
  for (const [, body] of text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)) {
    const name = /^\/\/ ([\w./-]+\.(?:ts|tsx|json))\n/.exec(body!)?.[1];
    if (name !== undefined) files.set(name, body!);
  }
  return files;
}

/** Copies the repository's tracked files into `dir` (what `git clone` would give), with this checkout's node_modules linked. */
export async function cleanCopy(dir: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z'], { cwd: REPO, maxBuffer: 16 << 20 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    // A tracked file deleted in the worktree is not part of what we test.
    try {
      cpSync(path.join(REPO, file), path.join(dir, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  // The build's tools only (esbuild, typescript): installing them again would test npm, not us.
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
}

/** `npm pack` in `dir` (which runs `prepare`, the build): the tarball's path and the files it holds. */
export async function pack(dir: string, destination: string): Promise<{ tarball: string; files: string[] }> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', destination], { cwd: dir, maxBuffer: 16 << 20 });
  // `prepare` prints the build's size lines before npm's JSON.
  const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { tarball: path.join(destination, info!.filename), files: info!.files.map((f) => f.path).sort() };
}

/** Installs `dependencies` into a new app in `dir`, from the npm cache where it can. */
export async function install(dir: string, dependencies: string[]): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'adopter', private: true, type: 'module' }, null, 2));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...dependencies], {
    cwd: dir,
    maxBuffer: 16 << 20,
  });
}

export function writeFiles(dir: string, files: Map<string, string>): void {
  for (const [name, text] of files) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
}

export type Resolution = 'Bundler' | 'Node16' | 'Node';

/** The module setting each resolution goes with (Node16 resolution needs Node16 modules). */
const MODULE_FOR: Record<Resolution, string> = { Bundler: 'ESNext', Node16: 'Node16', Node: 'ESNext' };

const sourceCache = new Map<string, ts.SourceFile | undefined>();

/**
 * Type-checks the project of `tsconfigFile` with its `moduleResolution`
 * replaced by `resolution`; returns the diagnostics as text ('' when clean).
 * Library files are parsed once for all the programs of a run.
 */
export function typecheck(dir: string, tsconfigFile: string, resolution: Resolution): string {
  const configPath = path.join(dir, tsconfigFile);
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  if (config.error) return ts.flattenDiagnosticMessageText(config.error.messageText, '\n');
  config.config.compilerOptions = {
    ...config.config.compilerOptions,
    moduleResolution: resolution,
    module: MODULE_FOR[resolution],
    // TypeScript's own lib files are not what is tested (ours and Workbox's
    // declarations still are); checking lib.dom.d.ts six times is most of the time.
    skipDefaultLibCheck: true,
  };
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dir, undefined, configPath);
  const host = ts.createCompilerHost(parsed.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    if (!fileName.includes(`${path.sep}typescript${path.sep}lib${path.sep}`)) return getSourceFile(fileName, languageVersion, onError, shouldCreate);
    const key = `${fileName}|${JSON.stringify(languageVersion)}`;
    if (!sourceCache.has(key)) sourceCache.set(key, getSourceFile(fileName, languageVersion, onError, shouldCreate));
    return sourceCache.get(key);
  };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host });
  const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
  return ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' });
}
