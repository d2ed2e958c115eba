// The relay's log, kept in memory for a test: every info/warn/error line as
// the JSON the relay would print (debug dropped), so a test can look for an
// event or make sure a secret never appears.

/**
 * @param {string[]} [lines] where the lines go
 * @returns {{ lines: string[], log: { debug: import('../../src/relay/log.js').LogFn, info: import('../../src/relay/log.js').LogFn, warn: import('../../src/relay/log.js').LogFn, error: import('../../src/relay/log.js').LogFn } }}
 */
export function captureLog(lines = []) {
  /** @param {string} level @returns {import('../../src/relay/log.js').LogFn} */
  const at = (level) => (event, fields = {}) => void lines.push(JSON.stringify({ level, event, ...fields }));
  return { lines, log: { debug() {}, info: at('info'), warn: at('warn'), error: at('error') } };
}

/** A log that drops everything. */
export const quiet = () => captureLog().log;
