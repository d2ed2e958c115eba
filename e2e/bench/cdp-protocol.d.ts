// The Chrome DevTools Protocol's types, as Playwright's CDPSession.send uses them.
// playwright-core's package.json `exports` does not list its types/protocol file,
// so it is reached by path; cdp.mjs types its worker session with it.
export type { Protocol } from '../../node_modules/playwright-core/types/protocol';
