/**
 * The neutral driver for WebKit: Debian's WebKitGTK `WebKitWebDriver`
 * launching `MiniBrowser --automation`, driven by selenium-webdriver 4.46.0
 * (4.47 and later need Node 22) through `usingServer(...)`, so Selenium never
 * looks for a driver to download. WEBKIT_DRIVER_PATH and MINIBROWSER_PATH
 * come from e2e/engines/find.mjs.
 *
 * - MiniBrowser needs a display even under automation: without one, session
 *   creation hangs without a word. The driver runs under `xvfb-run -a`.
 * - Console output is not captured under `--automation`: the harness page
 *   collects its own errors and the worker's (e2e/pages/sw-errors.js), and
 *   the fixtures read them from the page.
 * - Every session starts with empty storage, so there is no restart on a
 *   profile; there is no offline emulation, no BiDi, no way to stop a worker.
 * - Tabs are window handles of one session. WebDriver acts on one window at a
 *   time, so each tab's commands switch to it first, one command at a time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
// @ts-ignore: selenium-webdriver ships no type declarations
import { Builder } from 'selenium-webdriver';
import { evaluationResult, evaluationScript, type Engine, type Session, type Tab } from './driver';

const SESSION_TIMEOUT_MS = 30_000;
const DRIVER_START_TIMEOUT_MS = 15_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`npm test\` (node e2e/run.mjs)`);
  return value;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Driver {
  url: string;
  child: ChildProcess;
}

/**
 * Starts `xvfb-run -a WebKitWebDriver --port=<free port>` and waits until it
 * answers /status. Two `xvfb-run -a` started at once can pick the same display
 * and one then exits: that start is tried again.
 */
async function startDriver(driverPath: string): Promise<Driver> {
  let lastError = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const child = spawn('xvfb-run', ['-a', '-s', '-screen 0 1280x1024x24 -nolisten tcp', driverPath, `--port=${port}`], {
      // Its own process group: xvfb-run is a shell script, and stopping it must stop Xvfb and the driver too.
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-2_000);
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + DRIVER_START_TIMEOUT_MS;
    while (!exited && Date.now() < deadline) {
      try {
        const status = await fetch(`${url}/status`);
        if (status.ok) return { url, child };
      } catch {
        // Not listening yet.
      }
      await sleep(100);
    }
    stopDriver({ url, child });
    lastError = exited ? `exited early: ${stderr.trim() || 'no output'}` : `did not answer /status within ${DRIVER_START_TIMEOUT_MS} ms`;
  }
  throw new Error(`xvfb-run -a ${driverPath}: ${lastError}`);
}

function stopDriver(driver: Driver): void {
  if (driver.child.exitCode !== null || driver.child.pid === undefined) return;
  try {
    process.kill(-driver.child.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

type WebDriver = any;

async function openSession(driverUrl: string, binary: string): Promise<WebDriver> {
  const driver = await withTimeout<WebDriver>(
    new Builder()
      .usingServer(driverUrl)
      .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary, args: ['--automation'] } })
      .build(),
    SESSION_TIMEOUT_MS,
    'creating a WebKitWebDriver session (is there a display?)',
  );
  await driver.manage().setTimeouts({ script: 30_000, pageLoad: 15_000 });
  return driver;
}

function sessionOf(driver: WebDriver, firstHandle: string): Session {
  // One WebDriver command at a time, each in its own tab's window.
  let chain: Promise<unknown> = Promise.resolve();
  let current = firstHandle;
  /** Windows no tab owns: the session's first window, and a last tab that was "closed" (see close). */
  const spare = [firstHandle];
  const inTab = <T>(handle: string, op: () => Promise<T>): Promise<T> => {
    const run = chain.then(async () => {
      if (current !== handle) {
        await driver.switchTo().window(handle);
        current = handle;
      }
      return op();
    });
    chain = run.catch(() => {});
    return run;
  };
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const run = chain.then(op);
    chain = run.catch(() => {});
    return run;
  };

  const tabOf = (handle: string): Tab => ({
    goto: (url) => inTab(handle, () => driver.get(url)),
    evaluate: async (fn, ...args) => evaluationResult(await inTab(handle, () => driver.executeScript(`return ${evaluationScript(fn, args)}`))),
    reload: () => inTab(handle, () => driver.navigate().refresh()),
    close: () =>
      inTab(handle, async () => {
        const handles: string[] = await driver.getAllWindowHandles();
        if (handles.length > 1) {
          await driver.close();
          const next = handles.find((h) => h !== handle)!;
          await driver.switchTo().window(next);
          current = next;
        } else {
          // Closing a session's last window ends the session: unload the page instead, keep the window.
          await driver.get('about:blank');
          spare.push(handle);
        }
      }),
  });

  return {
    newTab: () =>
      serial(async () => {
        const reused = spare.shift();
        if (reused !== undefined) return tabOf(reused);
        await driver.switchTo().newWindow('tab');
        current = await driver.getWindowHandle();
        return tabOf(current);
      }),
    network: null,
    stopWorkers: null,
    close: () => serial(() => driver.quit()),
  };
}

export async function launchWebKit(): Promise<Engine> {
  const driverPath = required('WEBKIT_DRIVER_PATH');
  const binary = required('MINIBROWSER_PATH');
  const driver = await startDriver(driverPath);
  let version = 'WebKitGTK';
  try {
    const probe = await openSession(driver.url, binary);
    version = `WebKitGTK ${(await probe.getCapabilities()).get('browserVersion')} (MiniBrowser)`;
    await probe.quit();
  } catch (err) {
    stopDriver(driver);
    throw err;
  }
  return {
    name: 'webkit',
    version,
    cannot: {
      offline: 'WebKitWebDriver has no offline emulation (and no BiDi)',
      'stop-workers': 'WebDriver classic has no command to stop a service worker',
      restart: 'every WebKitWebDriver session starts with empty storage, so there is no profile to restart on',
    },
    backgroundSync: false,
    async newSession(options = {}) {
      if (options.profileDir) throw new Error('webkit: no persistent profiles (see Engine.cannot.restart)');
      const session = await openSession(driver.url, binary);
      return sessionOf(session, await session.getWindowHandle());
    },
    async close() {
      stopDriver(driver);
    },
  };
}
