// `npm run demo:relay`: the demo's chat API behind outbox-relay. The page,
// its worker and the API are all reached through the relay (it proxies what
// it does not relay), so a person can switch the API off in the page's server
// panel, send, watch the relay accept the messages (202, JSON log lines here)
// and forward them once the API is back. The relay keeps its queue in
// .tmp/demo-relay.db: kill it (even kill -9) and start it again, nothing is lost.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, DEMO_TOKENS } from './server.mjs';
import { startRelay } from '../server/src/relay/index.js';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const port = Number(process.env.PORT || 8080);
const upstream = await startServer({ port: Number(process.env.UPSTREAM_PORT || 0), validTokens: DEMO_TOKENS, quiet: true });
const relay = await startRelay({
  upstream: upstream.url,
  listen: `127.0.0.1:${port}`,
  store: `sqlite:${path.join(repo, '.tmp/demo-relay.db')}`,
  retryBaseMs: 500,
  retryMaxMs: 5_000,
  // The page's worker asks here whether a relayed message reached the API (two ticks).
  lookupPath: '/api/lookup',
});
console.error(`outbox demo through the relay: open ${relay.url}/ (the chat API itself is at ${upstream.url})
  switch the API to "unreachable" or "503" in the page's server panel, send, and watch the log lines below;
  the relay's queue: ${relay.url}/outbox/status, dead letters: ${relay.url}/outbox/messages?status=failed`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await relay.close();
    await upstream.close();
    process.exit(0);
  });
}
