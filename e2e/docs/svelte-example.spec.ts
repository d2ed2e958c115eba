// The Svelte example of docs/ui-bindings.md, run in Chromium: the component as
// printed in the Markdown, compiled by Svelte's own compiler and bundled with
// esbuild (outbox/client and outbox/store from the package's built files). Its
// Send button, pressed during an outage, shows the message queued, then
// delivered once the API is back; the server stores it once.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compile } from 'svelte/compiler';
import { bundlePage, testWithBuiltSite, expect } from '../fixtures';
import { REPO } from '../docs/code-blocks';

/** The one ```svelte block of docs/ui-bindings.md. */
function svelteBlock(): string {
  const text = readFileSync(path.join(REPO, 'docs/ui-bindings.md'), 'utf8');
  const blocks = [...text.matchAll(/```svelte\n([\s\S]*?)```/g)].map((match) => match[1]!);
  expect(blocks, 'docs/ui-bindings.md has one svelte block').toHaveLength(1);
  return blocks[0]!;
}

const test = testWithBuiltSite('/svelte/', async (dir) => {
  const { js } = compile(svelteBlock(), { filename: 'Chat.svelte', generate: 'client' });
  writeFileSync(path.join(dir, 'Chat.js'), js.code);
  writeFileSync(path.join(dir, 'app.js'), "import { mount } from 'svelte';\nimport Chat from './Chat.js';\nmount(Chat, { target: document.getElementById('root') });\n");
  await bundlePage(dir, path.join(dir, 'app.js'), {
    conditions: ['browser'],
    external: [],
    alias: { 'outbox/client': path.join(REPO, 'dist/client.js'), 'outbox/store': path.join(REPO, 'dist/store.js') },
    nodePaths: [path.join(REPO, 'node_modules')],
  });
});

test('the Svelte component of docs/ui-bindings.md shows a message queued through an outage, then delivered', async ({ page, server, waitForStored }) => {
  await page.goto(`${server.url}/svelte/index.html`);
  const send = page.getByRole('button', { name: 'Send' });
  await expect(send).toBeEnabled({ timeout: 20_000 });

  server.api.setMode('unreachable');
  await send.click();
  await expect(page.locator('p')).toHaveText('{"text":"hello"} (queued)', { timeout: 20_000 });
  expect(server.api.stored).toHaveLength(0);

  server.api.setMode('up');
  await waitForStored(1);
  await expect(page.locator('p')).toHaveText('{"text":"hello"} (delivered)', { timeout: 20_000 });
  const stored = server.api.stored;
  expect(stored, 'stored once').toHaveLength(1);
  expect(JSON.parse(stored[0]!.bodyText)).toEqual({ text: 'hello' });
});
