// Structured logs: one JSON object per line, one line per event, with the
// message id and lane on every line about a message. Secret headers never
// reach a line: log fields are chosen, never whole requests, and any header
// set that is logged goes through redactHeaders().

/** Headers whose values are credentials: forwarded, never logged or listed. */
export const SECRET_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'set-cookie', 'x-api-key', 'x-outbox-relay-sealed']);

/**
 * A credential-like header: the known ones, any `X-…-Token` or `X-…-Key`,
 * and those the operator names (`secretHeaders`).
 * @param {string} name
 * @param {readonly string[]} [extra] lower-case names
 */
export const isSecretHeader = (name, extra = []) => {
  const lower = name.toLowerCase();
  return SECRET_HEADERS.has(lower) || /^x-.*-(token|key|secret)$/.test(lower) || extra.includes(lower);
};

/** @param {[string, string][]} headers @param {readonly string[]} [extra] */
export const redactHeaders = (headers, extra = []) => headers.map(([name, value]) => [name, isSecretHeader(name, extra) ? '[redacted]' : value]);

/**
 * @param {{ write?: (line: string) => void, level?: 'debug' | 'info' | 'warn' | 'error' }} [options]
 * @returns {{ debug: LogFn, info: LogFn, warn: LogFn, error: LogFn, lifecycle: LogFn }} `lifecycle` (listening, stopped) is written at any level
 * @typedef {(event: string, fields?: Record<string, unknown>) => void} LogFn
 */
export function createLogger({ write = (line) => process.stdout.write(line), level = 'info' } = {}) {
  const order = ['debug', 'info', 'warn', 'error'];
  const min = order.indexOf(level);
  /** @param {string} name @param {boolean} [always] @returns {LogFn} */
  const at = (name, always = false) => (event, fields = {}) => {
    if (!always && order.indexOf(name) < min) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: name, event, ...fields })}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), lifecycle: at('info', true) };
}
