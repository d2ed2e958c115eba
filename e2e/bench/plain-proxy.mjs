// The reference for the relay's throughput: a plain HTTP reverse proxy in
// Node (no store, no queue), what nginx in front of the API would be.
//   node e2e/bench/plain-proxy.mjs <upstream-url>   prints {"url": …} when listening
import http from 'node:http';

if (!process.argv[2]) throw new Error('usage: node e2e/bench/plain-proxy.mjs <upstream-url>');
const upstream = new URL(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const server = http.createServer((req, res) => {
  const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(out);
});
server.listen(0, '127.0.0.1', () => {
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address()); // a TCP listener's address
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
