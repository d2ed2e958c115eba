// The part of better-sqlite3's API the server half uses, declared here rather
// than through @types/better-sqlite3: one less package for a checkout to
// install before `npm run typecheck` passes. Extend it when code needs more.
declare module 'better-sqlite3' {
  interface RunResult {
    changes: number;
    lastInsertRowid: number | bigint;
  }
  interface Statement {
    run(...params: unknown[]): RunResult;
    get(...params: unknown[]): unknown;
    all(...params: unknown[]): unknown[];
    iterate(...params: unknown[]): IterableIterator<unknown>;
  }
  type Transaction<F extends (...args: any[]) => unknown> = F & {
    deferred: F;
    immediate: F;
    exclusive: F;
  };
  interface Database {
    prepare(source: string): Statement;
    exec(source: string): this;
    pragma(source: string, options?: { simple?: boolean }): unknown;
    transaction<F extends (...args: any[]) => unknown>(fn: F): Transaction<F>;
    close(): this;
    readonly open: boolean;
  }
  const Database: new (filename: string, options?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number }) => Database;
  export default Database;
  export type { Database, Statement, RunResult, Transaction };
}
