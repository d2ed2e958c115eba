// The demo's two users. Each has a bearer token the demo server accepts; the
// page keeps them in localStorage (a real site keeps its own session). The
// server's list of valid tokens (GET /__demo/state) tells an expired one apart.

export const USERS = [
  { id: 'alice', name: 'Alice' },
  { id: 'bob', name: 'Bob' },
];

const USER_KEY = 'outbox-demo-user';
const TOKENS_KEY = 'outbox-demo-tokens';

export const nameOf = (id) => USERS.find((u) => u.id === id)?.name ?? id;

/** `Bearer demo-alice-3` → `Alice`; another value → null. */
export function userOfAuthorization(authorization) {
  const match = /^Bearer demo-([a-z]+)-\d+$/.exec(authorization ?? '');
  return match && USERS.some((u) => u.id === match[1]) ? nameOf(match[1]) : null;
}

function load(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key)) ?? fallback;
  } catch {
    return fallback;
  }
}

function save(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or full storage: the demo still works for this page's life.
  }
}

export class Accounts {
  constructor() {
    const stored = load(USER_KEY, 'alice');
    this.current = USERS.some((u) => u.id === stored) ? stored : 'alice';
    this.tokens = load(TOKENS_KEY, {});
    /** Tokens the server accepts, or null when it does not check (tests) or cannot be asked. */
    this.valid = null;
  }

  /** Asks the demo server which tokens are valid; picks the newest one of each user we have none for. */
  async refresh() {
    try {
      const res = await fetch('/__demo/state', { cache: 'no-store', signal: AbortSignal.timeout(4000) });
      const state = await res.json();
      this.valid = state.auth ? new Set(state.tokens ?? []) : null;
    } catch {
      this.valid = null;
    }
    for (const { id } of USERS) {
      if (this.tokens[id]) continue;
      const serverTokens = [...(this.valid ?? [])].filter((t) => t.startsWith(`demo-${id}-`));
      this.tokens[id] = serverTokens.sort(byNumber).at(-1) ?? `demo-${id}-1`;
    }
    save(TOKENS_KEY, this.tokens);
  }

  get token() {
    return this.tokens[this.current];
  }

  /** The credentials the outbox replays this user's messages with (read again whenever it asks). */
  credentials(id = this.current) {
    return () => ({ authorization: `Bearer ${this.tokens[id]}` });
  }

  authorization() {
    return `Bearer ${this.token}`;
  }

  /** True when the server checks tokens and no longer accepts this user's. */
  expired(id = this.current) {
    return this.valid !== null && !this.valid.has(this.tokens[id]);
  }

  switchTo(id) {
    this.current = id;
    save(USER_KEY, id);
  }

  other() {
    return USERS.find((u) => u.id !== this.current).id;
  }

  /** The server forgets this user's token (as when a session expires). */
  async expire() {
    await tokensPost({ revoke: this.token });
    await this.refresh();
  }

  /** Signing in again: a new token, which the server accepts. */
  async signInAgain() {
    const n = Number(/-(\d+)$/.exec(this.token)?.[1] ?? 0) + 1;
    const fresh = `demo-${this.current}-${n}`;
    await tokensPost({ revoke: this.token, grant: fresh });
    this.tokens[this.current] = fresh;
    save(TOKENS_KEY, this.tokens);
    await this.refresh();
  }
}

const byNumber = (a, b) => Number(/-(\d+)$/.exec(a)?.[1] ?? 0) - Number(/-(\d+)$/.exec(b)?.[1] ?? 0);

async function tokensPost(body) {
  const res = await fetch('/__demo/tokens', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(4000),
  });
  if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error ?? `answered ${res.status}`);
}
