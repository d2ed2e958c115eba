// The page the end-to-end tests drive. Query parameters:
//   sw=<worker URL>  the service worker to register (default /sw.js?api=/api/chat)
//   probe=0          create the outbox without `health`, so no health probe runs
//   healthMs=<ms>    healthIntervalMs for the probe
//   online=0         swallow the window's `online` event before the client sees it
// Accounts (e2e/accounts/*.spec.ts, e2e/neutral/accounts.spec.ts):
//   ns=<namespace>   createOutbox({ namespace })
//   scope=<path>     createOutbox({ scope }) (two apps on one origin)
//   token=<token>    credentials { authorization: `Bearer <token>` } and window.currentToken;
//                    also read from the hash (#token=…, what openHarness uses), so the
//                    secret never travels to the server in the page's URL
//   creds=fn         pass credentials as a function reading window.currentToken
//                    (so a test can change the token and see the client fetch it again)
//   cookie=<value>   document.cookie = `sid=<value>` before anything is sent (also from the hash)
// Registration (e2e/lifecycle/adopted-registration.spec.ts, e2e/sites/module-worker.spec.ts):
//   type=module      createOutbox({ type: 'module' }) (an own worker built as ESM)
//   register=page    the page registers `sw` itself (navigator.serviceWorker.register,
//                    with `type` and `scope`) and passes createOutbox({ registration })
// It sets window.outbox, records every subscribe event in window.events and
// then sets window.outboxReady = true (or window.outboxError on failure).
// window.pageErrors collects the page's errors and the worker's (sw-errors.js).
// Helpers for the accounts specs: window.bearer(token), window.idbDump(),
// window.idbSearch(needles), window.queueRecords(), window.keyNamespaces(),
// window.tryDecrypt(records), window.rawCommand(command), window.credentialCalls.
const params = new URLSearchParams(location.search);
const hash = new URLSearchParams(location.hash.slice(1));
window.events = [];

// Errors of this page and of the worker (through e2e/pages/sw-errors.js), for
// the failure report: WebKit under automation captures no console output.
window.pageErrors = [];
{
  const keep = (/** @type {string} */ kind, /** @type {unknown} */ text) => window.pageErrors.push({ kind, text: String(text), atMs: Date.now() });
  const describe = (/** @type {unknown} */ value) => (value instanceof Error && value.stack) || String(value);
  addEventListener('error', (event) => keep('page error', describe(event.error ?? event.message)));
  addEventListener('unhandledrejection', (event) => keep('page unhandledrejection', describe(event.reason)));
  const consoleError = console.error.bind(console);
  console.error = (...args) => {
    keep('page console.error', args.map(describe).join(' '));
    consoleError(...args);
  };
  new BroadcastChannel('outbox-e2e-errors').onmessage = ({ data }) => window.pageErrors.push(data);
}

if (params.get('online') === '0') {
  // Registered before the client exists, in the capture phase: at the target,
  // capture listeners run first, and stopping here keeps every later one out.
  window.addEventListener('online', (event) => event.stopImmediatePropagation(), true);
  Object.defineProperty(window, 'ononline', { configurable: true, get: () => null, set: () => {} });
}

window.bearer = (token) => ({ authorization: `Bearer ${token}` });
window.currentToken = hash.get('token') ?? params.get('token');
window.credentialCalls = 0;
const cookie = hash.get('cookie') ?? params.get('cookie');
if (cookie) document.cookie = `sid=${cookie}; path=/; SameSite=Strict`;

// ---- IndexedDB, read from the page: what a person (or script) with access to the profile sees ----

/** @param {string} name @returns {Promise<IDBDatabase>} */
function openExisting(name) {
  return new Promise((resolve, reject) => {
    // No version: opens what exists without upgrading it.
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error(`opening ${name} is blocked`));
  });
}

/** @param {IDBDatabase} db @param {string} storeName @returns {Promise<{ key: IDBValidKey, value: any }[]>} */
function getAll(db, storeName) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, 'readonly');
    const store = tx.objectStore(storeName);
    const values = store.getAll();
    const keys = store.getAllKeys();
    tx.oncomplete = () => resolve(keys.result.map((key, i) => ({ key, value: values.result[i] })));
    tx.onerror = () => reject(tx.error);
  });
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const latin1 = new TextDecoder('latin1');

/**
 * A structured-cloned value as plain JSON, with every byte buffer decoded (UTF-8 and Latin-1) so a search finds text inside it.
 * @param {unknown} value
 * @param {Set<object>} [seen]
 * @returns {unknown}
 */
function plain(value, seen = new Set()) {
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? String(value) : value;
  if (seen.has(value)) return '[cycle]';
  seen.add(value);
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return { $bytes: bytes.byteLength, utf8: decoder.decode(bytes), latin1: latin1.decode(bytes) };
  }
  if (typeof CryptoKey !== 'undefined' && value instanceof CryptoKey) {
    return { $cryptoKey: value.algorithm, extractable: value.extractable, usages: value.usages };
  }
  if (value instanceof Date) return { $date: value.toISOString() };
  if (value instanceof Blob) return { $blob: value.size, type: value.type };
  if (value instanceof Map) return { $map: [...value].map(([k, v]) => [plain(k, seen), plain(v, seen)]) };
  if (value instanceof Set) return { $set: [...value].map((v) => plain(v, seen)) };
  if (Array.isArray(value)) return value.map((v) => plain(v, seen));
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = plain(v, seen);
  return out;
}

/** Every record of every store of every database of this origin, as plain JSON. */
window.idbDump = async () => {
  /** @type {Awaited<ReturnType<Window['idbDump']>>} */
  const dump = [];
  for (const { name } of await indexedDB.databases()) {
    if (name === undefined) continue;
    const db = await openExisting(name);
    try {
      for (const storeName of db.objectStoreNames) {
        for (const { key, value } of await getAll(db, storeName)) {
          // Blobs are read too (async), so a body kept as a Blob is searched as well.
          let blobText;
          if (value instanceof Blob) blobText = await value.text();
          dump.push({ db: name, store: storeName, key: plain(key), value: plain(value), ...(blobText !== undefined ? { blobText } : {}) });
        }
      }
    } finally {
      db.close();
    }
  }
  return dump;
};

/** Where each needle occurs in IndexedDB: `[{ needle, db, store, key, around }]`. */
window.idbSearch = async (needles) => {
  const hits = [];
  for (const record of await window.idbDump()) {
    const text = JSON.stringify(record);
    for (const needle of needles) {
      const at = text.indexOf(needle);
      if (at >= 0) hits.push({ needle, db: record.db, store: record.store, key: record.key, around: text.slice(Math.max(0, at - 80), at + needle.length + 40) });
    }
  }
  return hits;
};

/** The raw entries of Workbox's queue store, as structured clones (bodies stay ArrayBuffers). */
window.queueRecords = async () => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes('workbox-background-sync')) return [];
  const db = await openExisting('workbox-background-sync');
  try {
    return (await getAll(db, 'requests')).map(({ value }) => value);
  } finally {
    db.close();
  }
};

/** Namespaces that have an encryption key in `outbox-keys`. */
window.keyNamespaces = async () => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes('outbox-keys')) return [];
  const db = await openExisting('outbox-keys');
  try {
    return (await getAll(db, 'keys')).map(({ value }) => value.namespace);
  } finally {
    db.close();
  }
};

/**
 * Tries to decrypt each record's body with every key left in `outbox-keys`
 * (script on the origin can use a non-extractable key, it just cannot read it
 * out). Returns, per record, the plaintext or null.
 */
window.tryDecrypt = async (records) => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  let keys = [];
  if (names.includes('outbox-keys')) {
    const db = await openExisting('outbox-keys');
    try {
      keys = (await getAll(db, 'keys')).map(({ value }) => value.key);
    } finally {
      db.close();
    }
  }
  const results = [];
  for (const record of records) {
    const iv = record.metadata?.iv;
    const body = record.requestData?.body;
    let text = null;
    for (const key of keys) {
      try {
        if (!iv || !body) break;
        text = decoder.decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, body));
        break;
      } catch {
        // Not this key (or the record is not ours to read): try the next.
      }
    }
    results.push(text);
  }
  return results;
};

/**
 * Posts one protocol command straight to the worker (bypassing the client, so
 * e.g. `{ type: 'list', namespace: 'alice' }` reads another user's list without
 * this page declaring itself as that user). Resolves with the worker's reply.
 */
window.rawCommand = (command) =>
  new Promise((resolve, reject) => {
    const worker = navigator.serviceWorker.controller;
    if (!worker) return reject(new Error('no controller'));
    const channel = new MessageChannel();
    const timer = setTimeout(() => reject(new Error(`no reply to ${command.type}`)), 10_000);
    channel.port1.onmessage = ({ data }) => {
      clearTimeout(timer);
      channel.port1.close();
      resolve(data);
    };
    worker.postMessage({ protocol: 'outbox/1', command }, [channel.port2]);
  });

try {
  const { createOutbox } = await import('/client.js');
  /** @type {import('../../client/index.ts').OutboxClientOptions} */
  const options = { serviceWorker: params.get('sw') || '/sw.js?api=/api/chat' };
  if (params.get('probe') !== '0') options.health = '/api/health';
  if (params.get('healthMs')) options.healthIntervalMs = Number(params.get('healthMs'));
  const ns = params.get('ns');
  if (ns !== null) options.namespace = ns;
  const scope = params.get('scope');
  if (scope !== null) options.scope = scope;
  const type = params.get('type');
  if (type === 'module' || type === 'classic') options.type = type;
  if (params.get('register') === 'page') {
    // As workbox-window or vite-plugin-pwa would: the registration is made elsewhere, then adopted.
    const registerOptions = { ...(options.type ? { type: options.type } : {}), ...(options.scope ? { scope: options.scope } : {}) };
    options.registration = await navigator.serviceWorker.register(/** @type {string} */ (options.serviceWorker), registerOptions);
    window.registeredByPage = options.registration;
    delete options.serviceWorker;
    delete options.type;
    delete options.scope;
  }
  if (params.get('creds') === 'fn') {
    options.credentials = () => {
      window.credentialCalls += 1;
      return window.currentToken ? window.bearer(window.currentToken) : undefined;
    };
  } else if (window.currentToken) {
    options.credentials = window.bearer(window.currentToken);
  }
  const outbox = await createOutbox(options);
  window.outbox = outbox;
  outbox.subscribe((event) => {
    window.events.push({ ...event, atMs: Date.now() });
  });
  window.outboxReady = true;
} catch (err) {
  window.outboxError = String((err instanceof Error && err.stack) || err);
  console.error('harness:', window.outboxError);
}
