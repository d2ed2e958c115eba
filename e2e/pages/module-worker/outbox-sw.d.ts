// `./outbox-sw.js` is `outbox/sw` bundled as one ES module by e2e/sites/module-worker.spec.ts at test
// time; for the type check it is the library's own source.
export { installOutbox } from '../../../sw/index.ts';
