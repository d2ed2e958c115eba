// The floor: the least any outbox worker can do.
// Offline: one IndexedDB put and a 202. Online: a bare pass-through.
/** @typedef {{ url: string, key: string | null, body: string, t: number }} FloorEntry */
/** @type {Promise<IDBDatabase> | undefined} */
let dbPromise;
/** @returns {Promise<IDBDatabase>} */
function db() {
  return (dbPromise ||= new Promise((resolve, reject) => {
    const req = indexedDB.open('floor', 1);
    req.onupgradeneeded = () => req.result.createObjectStore('q', { autoIncrement: true });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  }));
}

/** @param {Request} request */
async function enqueue(request) {
  const body = await request.text();
  const d = await db();
  await new Promise((resolve, reject) => {
    const tx = d.transaction('q', 'readwrite');
    tx.objectStore('q').put(/** @satisfies {FloorEntry} */ ({ url: request.url, key: request.headers.get('Idempotency-Key'), body, t: Date.now() }));
    tx.oncomplete = resolve;
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
  return new Response('{"status":"queued"}', { status: 202, headers: { 'content-type': 'application/json' } });
}

// Bench-only reference for the drain (not part of the floor's fetch path): the least work a
// worker can do to replay its queue: one getAll, the POSTs one after another, one clear.
// No crash safety, no order guard beyond the store's key order.
async function replay() {
  const d = await db();
  /** @type {FloorEntry[]} */
  const entries = await new Promise((resolve, reject) => {
    const req = d.transaction('q', 'readonly').objectStore('q').getAll();
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  for (const e of entries) {
    // A POST queued without a key is replayed without one (not with the string 'null').
    /** @type {Record<string, string>} */
    const headers = { 'content-type': 'application/json' };
    if (e.key !== null) headers['idempotency-key'] = e.key;
    const r = await fetch(e.url, { method: 'POST', headers, body: e.body });
    await r.arrayBuffer();
  }
  await new Promise((resolve, reject) => {
    const tx = d.transaction('q', 'readwrite');
    tx.objectStore('q').clear();
    tx.oncomplete = resolve;
    tx.onerror = tx.onabort = () => reject(tx.error);
  });
  return entries.length;
}
self.addEventListener('message', (event) => {
  if (event.data?.type !== 'bench-replay') return;
  event.waitUntil(replay().then((n) => event.ports[0]?.postMessage({ ok: true, n }), (e) => event.ports[0]?.postMessage({ ok: false, error: String(e) })));
});

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'POST' || !new URL(request.url).pathname.startsWith('/api/chat')) return;
  if (navigator.onLine === false) event.respondWith(enqueue(request));
  else event.respondWith(fetch(request));
});
