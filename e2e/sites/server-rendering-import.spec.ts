// A framework that renders on the server (Next.js, SvelteKit) evaluates the
// page's modules in Node: importing outbox/client and outbox/react there
// must not throw, and createOutbox called there rejects with the named
// NoServiceWorkerError, not a ReferenceError (docs/frameworks.md).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test, expect } from '@playwright/test';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');

test('outbox/client and outbox/react import in Node; createOutbox there rejects with NoServiceWorkerError', async () => {
  const client = (await import(pathToFileURL(path.join(dist, 'client.js')).href)) as typeof import('../../client/index.js');
  const react = (await import(pathToFileURL(path.join(dist, 'react.js')).href)) as typeof import('../../client/react.js');
  expect(typeof react.useOutbox).toBe('function');
  const refused = await client.createOutbox({ serviceWorker: '/sw.js?api=/api/chat' }).then(
    () => 'created',
    (error: Error) => `${error.name}: ${error.message}`,
  );
  expect(refused).toBe('NoServiceWorkerError: No service worker: not a browser, or not https');
});
