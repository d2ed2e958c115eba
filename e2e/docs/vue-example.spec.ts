// The Vue example of docs/ui-bindings.md, run in Chromium: its useOutbox.ts
// block, taken from the Markdown as printed, bundled with Vue by esbuild into a
// page whose component shows `outbox.value.messages`; a message sent during an
// outage is shown queued, then delivered, and the server stores it once.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundlePage, testWithBuiltSite, expect, expectStoredExactly } from '../fixtures';
import { REPO, codeBlocksOf } from '../docs/code-blocks';

/** The block of docs/ui-bindings.md that starts with `// <name>`. */
function docBlock(name: string): string {
  const block = codeBlocksOf('docs/ui-bindings.md').find((b) => b.code.startsWith(`// ${name}\n`));
  if (block === undefined) throw new Error(`docs/ui-bindings.md has no code block starting '// ${name}'`);
  return block.code;
}

// The page around the documented composable: what "in a component" says, as a render function.
const APP = `
import { createApp, defineComponent, h } from 'vue';
import { createOutboxStore } from 'outbox/store';
import { useOutbox } from './useOutbox';

const { createOutbox } = await import('/client.js');
const store = createOutboxStore(createOutbox({ serviceWorker: '/sw.js?api=/api/chat', health: '/api/health' }));
window.send = (url, body) => store.send(url, body);

const Chat = defineComponent({
  setup() {
    const outbox = useOutbox(store);
    return () => h('ul', { 'data-ready': String(outbox.value.ready) },
      outbox.value.messages.map((m) => h('li', { key: m.id, 'data-id': m.id, 'data-status': m.status }, m.body?.text ?? m.bodyText)));
  },
});
createApp(Chat).mount('#root');
`;

const test = testWithBuiltSite('/vue/', async (dir) => {
  writeFileSync(path.join(dir, 'useOutbox.ts'), docBlock('useOutbox.ts'));
  writeFileSync(path.join(dir, 'app.js'), APP);
  await bundlePage(dir, path.join(dir, 'app.js'), {
    // As a site gets them: Vue from npm, outbox/store from the package's built file.
    alias: { 'outbox/store': path.join(REPO, 'dist/store.js') },
    nodePaths: [path.join(REPO, 'node_modules')],
    define: { __VUE_OPTIONS_API__: 'false', __VUE_PROD_DEVTOOLS__: 'false', __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false' },
  });
});

test('the Vue composable of docs/ui-bindings.md shows a message queued through an outage, then delivered', async ({ page, server, waitForStored }) => {
  await page.goto(`${server.url}/vue/index.html`);
  await expect(page.locator('ul[data-ready="true"]')).toBeAttached({ timeout: 20_000 });

  server.api.setMode('unreachable');
  const result = await page.evaluate(() => (window as unknown as { send(url: string, body: unknown): Promise<{ id: string; status: string }> }).send('/api/chat', { text: 'from vue' }));
  expect(result.status).toBe('queued');
  const item = page.locator(`li[data-id="${result.id}"]`);
  await expect(item).toHaveAttribute('data-status', 'queued');
  await expect(item).toHaveText('from vue');
  expect(server.api.stored).toHaveLength(0);

  server.api.setMode('up');
  await waitForStored(1);
  await expect(item).toHaveAttribute('data-status', 'delivered', { timeout: 20_000 });
  expectStoredExactly(server, [result.id], ['from vue']);
});
