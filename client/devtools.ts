/**
 * `outbox/devtools`: an in-page panel for development, in the spirit of
 * TanStack Query's devtools. It shows this page's messages (id, status,
 * reason, attempts, namespace, lane), the worker's state and what it last
 * knew of the network, and the worker's decision log live; its buttons flush,
 * retry and discard. Its own file (dist/devtools.js): a page that does not
 * import it pays nothing, and dist/client.js holds none of it.
 *
 * The log is the one worker's run-time tracing (sw/trace.ts): mounting the
 * panel sends the worker a `trace` command, unmounting switches it off again
 * (a worker registered with `debug=1` keeps logging). No other build is loaded.
 *
 * Framework-free: a custom element with an open shadow root (its styles stay
 * in it), rendered with `textContent` only, so no message text is ever parsed
 * as HTML.
 */
import type { Outbox } from './outbox.js';
import type { OutboxEvent } from './types.js';
import { request } from './rpc.js';
import { storage, type StorageReport } from './storage.js';
import { type DrainReport } from '../sw/protocol/statuses.js';
import { PROTOCOL, type Broadcast } from '../sw/protocol/messages.js';

export interface OutboxDevtoolsOptions {
  /** Where the panel goes. @default document.body */
  parent?: HTMLElement;
  /** Lines of the decision log kept on screen, oldest dropped first. @default 200 */
  maxLogLines?: number;
  /** How long a command to the worker may take before the panel shows it failed. @default 5000 */
  requestTimeoutMs?: number;
}

/** One row of the panel: what it last heard of a message (delivered rows stay until unmount). */
interface Row {
  id: string;
  namespace: string;
  lane?: string | undefined;
  status: OutboxEvent['status'];
  reason?: string | undefined;
  attempts: number;
  /** When the worker tries it again by itself (epoch ms): its lane's `blockedBy`, from the last `list()`, cleared by its next status. */
  nextTryAtMs?: number | undefined;
}

interface LogLine {
  atMs: number;
  id: string;
  decision: string;
}

const TAG = 'outbox-devtools';
/** Rows kept: the newest, so a long session does not grow the panel without end. */
const MAX_ROWS = 200;

const STYLE = `
:host { all: initial; position: fixed; right: 8px; bottom: 8px; z-index: 2147483647; width: min(640px, calc(100vw - 16px));
  max-height: 60vh; overflow: auto; background: #111; color: #eee; font: 12px/1.4 ui-monospace, monospace;
  border: 1px solid #444; border-radius: 6px; box-shadow: 0 4px 16px #0008; }
header, section { padding: 6px 8px; border-bottom: 1px solid #333; }
h2 { font-size: 12px; margin: 0 0 4px; color: #9cf; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: 2px 4px; white-space: nowrap; }
td.id { max-width: 10em; overflow: hidden; text-overflow: ellipsis; }
tr[data-status=failed] td.status { color: #f77; } tr[data-status=delivered] td.status { color: #7f7; }
tr[data-status=queued] td.status, tr[data-status=sending] td.status, tr[data-status=relayed] td.status { color: #fd6; }
button { font: inherit; background: #333; color: #eee; border: 1px solid #555; border-radius: 3px; cursor: pointer; }
ol { margin: 0; padding: 0; list-style: none; max-height: 12em; overflow: auto; }
.error { color: #f77; }
`;

/**
 * Mounts the panel for `outbox` and returns the function that removes it
 * (and switches the worker's decision log off again).
 *
 * @example
 * if (import.meta.env.DEV) {
 *   const { mountOutboxDevtools } = await import('outbox/devtools');
 *   mountOutboxDevtools(outbox);
 * }
 */
export function mountOutboxDevtools(outbox: Outbox, options: OutboxDevtoolsOptions = {}): () => void {
  const maxLogLines = options.maxLogLines ?? 200;
  const timeoutMs = options.requestTimeoutMs ?? 5000;
  // A plain element under its own tag name, defined at first mount (no side effect on import);
  // once, so two panels (or two copies of this file) do not collide.
  if (!customElements.get(TAG)) customElements.define(TAG, class extends HTMLElement {});
  const host = document.createElement(TAG);
  const root = host.attachShadow({ mode: 'open' });
  const rows = new Map<string, Row>();
  const log: LogLine[] = [];
  let lastDrain: DrainReport | undefined;
  let store: StorageReport | undefined;
  let tracing: boolean | undefined;
  let problem = '';
  let channel: BroadcastChannel | undefined;
  let registration: ServiceWorkerRegistration | undefined;
  let closed = false;

  const keep = (row: Row): void => {
    rows.delete(row.id);
    rows.set(row.id, row);
    if (rows.size > MAX_ROWS) rows.delete(rows.keys().next().value!);
  };
  const failed = (what: string) => (error: unknown) => {
    problem = `${what}: ${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
    render();
  };
  const refresh = (): Promise<void> =>
    Promise.all([
      outbox.list().then((messages) => {
        for (const message of messages) keep({ ...message, nextTryAtMs: message.blockedBy?.untilMs });
      }, failed('list')),
      storage().then((report) => void (store = report)),
    ]).then(render);
  const trace = (on: boolean): Promise<void> => {
    if (!registration) return Promise.resolve();
    return request(registration, { type: 'trace', on }, timeoutMs).then(({ tracing: now }) => {
      tracing = now;
      render();
    }, failed('trace'));
  };

  const stopEvents = outbox.subscribe((event) => {
    if (event.status === 'discarded') rows.delete(event.id);
    else keep({ ...event });
    render();
  });

  const onBroadcast = ({ data }: MessageEvent<Broadcast>): void => {
    if (data?.protocol !== PROTOCOL) return;
    if (data.type === 'trace') {
      log.push({ atMs: data.atMs, id: data.id, decision: data.decision });
      if (log.length > maxLogLines) log.splice(0, log.length - maxLogLines);
    } else if (data.type === 'drain') {
      lastDrain = data.report;
    } else if (data.type === 'started') {
      // A new worker starts with the log off (only `debug` survives a restart): ask again.
      void trace(true);
    }
    render();
  };

  // The registration and channel of the worker the outbox talks to: `hello` names the channel.
  void navigator.serviceWorker.ready
    .then(async (ready) => {
      registration = ready;
      const hello = await request(ready, { type: 'hello' }, timeoutMs);
      if (closed) return;
      channel = new BroadcastChannel(hello.channel);
      channel.onmessage = onBroadcast;
      await trace(true);
    })
    .catch(failed('worker'));

  root.addEventListener('click', (event) => {
    const button = (event.target as Element).closest('button');
    if (!button) return;
    const id = button.dataset.id ?? '';
    problem = '';
    const action = button.dataset.action;
    if (action === 'flush') void outbox.flush().then((report) => ((lastDrain = report), render()), failed('flush'));
    else if (action === 'retry') void outbox.retry(id).then(() => undefined, failed(`retry ${id}`));
    else if (action === 'discard') void outbox.discard(id).then(() => (rows.delete(id), render()), failed(`discard ${id}`));
    else if (action === 'refresh') void refresh();
  });

  (options.parent ?? document.body).append(host);
  void refresh();
  render();

  return () => {
    if (closed) return;
    closed = true;
    stopEvents();
    channel?.close();
    void trace(false);
    host.remove();
  };

  function render(): void {
    if (closed) return;
    const style = el('style', STYLE);
    const header = el('header');
    header.append(el('h2', 'outbox devtools'), el('div', workerState()), el('div', networkState()), el('div', storageText(store)));
    const buttons = el('div');
    buttons.append(button('flush', 'Flush'), button('refresh', 'Refresh'));
    header.append(buttons);
    if (problem) header.append(Object.assign(el('div', problem), { className: 'error' }));

    const queue = el('section');
    queue.dataset.part = 'queue';
    const table = el('table');
    const head = el('tr');
    for (const title of ['id', 'status', 'reason', 'attempts', 'next try', 'namespace', 'lane', '']) head.append(el('th', title));
    table.append(head);
    for (const row of [...rows.values()].reverse()) {
      const tr = el('tr');
      tr.dataset.id = row.id;
      tr.dataset.status = row.status;
      const cells: Array<[string, string]> = [
        ['id', row.id],
        ['status', row.status],
        ['reason', row.reason ?? ''],
        ['attempts', String(row.attempts)],
        ['next', row.nextTryAtMs === undefined ? '' : clock(row.nextTryAtMs)],
        ['namespace', row.namespace],
        ['lane', row.lane ?? ''],
      ];
      for (const [name, text] of cells) tr.append(Object.assign(el('td', text), { className: name, title: text }));
      const actions = el('td');
      if (row.status === 'failed') actions.append(button('retry', 'Retry', row.id));
      if (row.status === 'failed' || row.status === 'queued') actions.append(button('discard', 'Discard', row.id));
      tr.append(actions);
      table.append(tr);
    }
    queue.append(el('h2', `queue (${rows.size})`), table);

    const trace = el('section');
    trace.dataset.part = 'log';
    const lines = el('ol');
    for (const line of log) {
      const item = el('li', `${new Date(line.atMs).toISOString().slice(11, 23)} ${line.id}: ${line.decision}`);
      item.dataset.id = line.id;
      lines.append(item);
    }
    trace.append(el('h2', `decision log (${tracing === undefined ? 'asking the worker' : tracing ? 'on' : 'off'})`), lines);
    root.replaceChildren(style, header, queue, trace);
    lines.scrollTop = lines.scrollHeight;
  }

  function workerState(): string {
    const controller = navigator.serviceWorker.controller;
    const active = registration?.active;
    const state = controller ? `controls this page (${controller.state})` : active ? `active (${active.state}), not controlling this page` : 'none active';
    return `worker: ${state}${registration?.waiting ? ', a new version waiting' : ''}`;
  }

  /** What the worker last said about the network (its drain's end), and what the browser says. */
  function networkState(): string {
    const browser = navigator.onLine ? 'browser online' : 'browser offline';
    if (!lastDrain) return `${browser}; no drain seen yet`;
    const { stoppedBy, remaining, retryAtMs } = lastDrain;
    const next = retryAtMs === undefined ? '' : `, next try ${clock(retryAtMs)}`;
    const reachable = stoppedBy === 'offline' ? 'unreachable (offline)' : stoppedBy === 'transient' || stoppedBy === 'backoff' ? 'failing' : 'answering';
    return `${browser}; API ${reachable}: last drain stopped by ${stoppedBy}, ${remaining} left${next}`;
  }
}

/** The browser's word on this origin's storage (where the queue lives), read at mount and on Refresh. */
function storageText(report: StorageReport | undefined): string {
  if (!report) return 'storage: reading';
  const mib = (bytes: number | undefined): string => (bytes === undefined ? '?' : `${(bytes / 1048576).toFixed(1)} MiB`);
  const kept = report.persisted === undefined ? 'persistence unknown' : report.persisted ? 'persisted' : 'best-effort (may be evicted)';
  return `storage: ${kept}, ${mib(report.usageBytes)} used of ${mib(report.quotaBytes)}`;
}

/** Wall time of day, UTC, to the second: what a person compares with the log's lines. */
function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(action: string, label: string, id?: string): HTMLButtonElement {
  const node = el('button', label);
  node.dataset.action = action;
  if (id !== undefined) node.dataset.id = id;
  return node;
}
