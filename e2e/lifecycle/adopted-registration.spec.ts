// createOutbox({ registration }): a registration made elsewhere (here by the
// page itself, as workbox-window or vite-plugin-pwa would) is adopted, not
// registered again; messages sent through it during an outage arrive once,
// in order.
import { test, expect, expectStoredExactly, sendAll, waitForHarness, type DemoServer } from '../fixtures';

/** Every worker of every registration of the origin, as [scope, script] pairs. */
function workersOf(page: import('@playwright/test').Page) {
  return page.evaluate(async () => {
    const registrations = await navigator.serviceWorker.getRegistrations();
    return registrations.flatMap((r) =>
      [r.installing, r.waiting, r.active].filter((w) => w !== null).map((w) => [new URL(r.scope).pathname, new URL(w!.scriptURL).pathname + new URL(w!.scriptURL).search]),
    );
  });
}

function adoptingPage(server: DemoServer): string {
  // A scope of its own (/test/, where the harness is) and a query createOutbox's default lacks:
  // registering again would show as a second registration at '/', or as another script.
  const sw = '/sw.js?api=/api/chat&retention=1440';
  return `${server.url}/test/harness.html?${new URLSearchParams({ sw, scope: '/test/', register: 'page' })}`;
}

test('a registration made by the page is adopted: nothing registered again; an outage is delivered once, in order', async ({ page, server, waitForStored }) => {
  await page.goto(adoptingPage(server));
  await waitForHarness(page);
  expect(await workersOf(page), 'one registration, the page\'s own').toEqual([['/test/', '/sw.js?api=/api/chat&retention=1440']]);

  server.api.setMode('unreachable');
  const sent = await sendAll(page, ['adopted #1', 'adopted #2']);
  expect(sent.map((r) => r.status)).toEqual(['queued', 'queued']);
  server.api.setMode('up');
  await waitForStored(2);
  expectStoredExactly(server, sent.map((r) => r.id), ['adopted #1', 'adopted #2']);
  await expect
    .poll(async () => page.evaluate((ids) => ids.map((id) => (window as any).events.filter((e: any) => e.id === id).at(-1)?.status), sent.map((r) => r.id)))
    .toEqual(['delivered', 'delivered']);
  expect(await workersOf(page)).toEqual([['/test/', '/sw.js?api=/api/chat&retention=1440']]);
});

test('registration with serviceWorker, scope or type is refused: one of them would be ignored', async ({ page, server }) => {
  await page.goto(adoptingPage(server));
  await waitForHarness(page);
  const refusals = await page.evaluate(async () => {
    const { createOutbox } = await import('/client.js' as string);
    const registration = (window as any).registeredByPage as ServiceWorkerRegistration;
    const out: string[] = [];
    for (const extra of [{ serviceWorker: '/other.js' }, { type: 'module' }, { scope: '/' }]) {
      try {
        await createOutbox({ registration, ...extra });
        out.push('created');
      } catch (error: any) {
        out.push(`${error.name}: ${error.message}`);
      }
    }
    return out;
  });
  expect(refusals).toEqual([
    expect.stringMatching(/^OutboxConfigError: .*'registration'.*'serviceWorker'/),
    expect.stringMatching(/^OutboxConfigError: .*'registration'.*'type'/),
    expect.stringMatching(/^OutboxConfigError: .*'registration'.*'scope'/),
  ]);
  expect(await workersOf(page)).toEqual([['/test/', '/sw.js?api=/api/chat&retention=1440']]);
});
