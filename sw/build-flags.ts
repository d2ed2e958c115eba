/**
 * What the build left in. `OUTBOX_FULL` is replaced at build time
 * (build.mjs): `false` only for dist/sw.js, the ready-made worker, so it stays
 * in its size budget; `true` for dist/sw-full.js and the library build. In the
 * lean build tracing (the `debug` option), encryption at rest (`encrypt`) and
 * the lane rule (`lane`: the drain still keeps the lanes of stored entries)
 * are compiled out, strings and all, and worker.ts hands a registration that
 * asks for any of them to dist/sw-full.js, the same worker built with them.
 *
 * Written as the bare identifier at each use (`OUTBOX_FULL && trace(…)`):
 * the minifier removes a branch, and the functions only it calls, only when it
 * sees the constant while parsing that file, not through an import.
 */
declare global {
  const OUTBOX_FULL: boolean;
}

export {};
