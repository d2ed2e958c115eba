// The demo's two users. Each has a bearer token the demo server accepts; the
// page keeps them in localStorage (a real site keeps its own session). The
// server's list of valid tokens (GET /__demo/state) tells an expired one apart.

export const USERS = /** @type {const} */ ([
  { id: 'alice', name: 'Alice' },
  { id: 'bob', name: 'Bob' },
]);

/** @typedef {typeof USERS[number]['id']} UserId */

const USER_KEY = 'outbox-demo-user';
const TOKENS_KEY = 'outbox-demo-tokens';

/** @param {unknown} value @returns {value is UserId} */
export const isUserId = (value) => USERS.some((u) => u.id === value);

/** @param {string} id */
export const nameOf = (id) => USERS.find((u) => u.id === id)?.name ?? id;

/**
 * `Bearer demo-alice-3` → `Alice`; another value → null.
 * @param {string | undefined} authorization
 */
export function userOfAuthorization(authorization) {
  const user = /^Bearer demo-([a-z]+)-\d+$/.exec(authorization ?? '')?.[1];
  return isUserId(user) ? nameOf(user) : null;
}

/** @param {string} id the user's first token, which the demo server starts with */
const firstToken = (id) => `demo-${id}-1`;

/**
 * What the page saved under `key`, or undefined (nothing saved, not JSON, or no localStorage).
 * @param {string} key
 * @returns {unknown}
 */
function load(key) {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * The saved tokens by user, keeping only what is a user's string token.
 * @param {unknown} saved
 * @returns {Partial<Record<UserId, string>>}
 */
function tokensOf(saved) {
  /** @type {Partial<Record<UserId, string>>} */
  const tokens = {};
  if (typeof saved !== 'object' || saved === null) return tokens;
  for (const [id, token] of Object.entries(saved)) {
    if (isUserId(id) && typeof token === 'string') tokens[id] = token;
  }
  return tokens;
}

/** @param {string} key @param {unknown} value */
function save(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Private mode or full storage: the demo still works for this page's life.
  }
}

export class Accounts {
  constructor() {
    const stored = load(USER_KEY);
    /** @type {UserId} */
    this.current = isUserId(stored) ? stored : 'alice';
    this.tokens = tokensOf(load(TOKENS_KEY));
    /**
     * Tokens the server accepts, or null when it does not check (tests) or cannot be asked.
     * @type {Set<string> | null}
     */
    this.valid = null;
  }

  /** Asks the demo server which tokens are valid; picks the newest one of each user we have none for. */
  async refresh() {
    try {
      const res = await fetch('/__demo/state', { cache: 'no-store', signal: AbortSignal.timeout(4000) });
      /** @type {{ auth?: unknown, tokens?: unknown }} */
      const state = await res.json();
      const tokens = Array.isArray(state.tokens) ? state.tokens.filter((t) => typeof t === 'string') : [];
      this.valid = state.auth === true ? new Set(tokens) : null;
    } catch {
      this.valid = null;
    }
    for (const { id } of USERS) {
      if (this.tokens[id]) continue;
      const serverTokens = [...(this.valid ?? [])].filter((t) => t.startsWith(`demo-${id}-`));
      this.tokens[id] = serverTokens.sort(byNumber).at(-1) ?? firstToken(id);
    }
    save(TOKENS_KEY, this.tokens);
  }

  get token() {
    return this.#tokenOf(this.current);
  }

  /** @param {UserId} id */
  #tokenOf(id) {
    // refresh() gives every user a token; before it, the one the demo server starts with.
    return this.tokens[id] ?? firstToken(id);
  }

  /**
   * The credentials the outbox replays this user's messages with (read again whenever it asks).
   * @param {UserId} id
   */
  credentials(id = this.current) {
    return () => ({ authorization: `Bearer ${this.#tokenOf(id)}` });
  }

  authorization() {
    return `Bearer ${this.token}`;
  }

  /**
   * True when the server checks tokens and no longer accepts this user's.
   * @param {UserId} id
   */
  expired(id = this.current) {
    return this.valid !== null && !this.valid.has(this.#tokenOf(id));
  }

  /** @param {UserId} id */
  switchTo(id) {
    this.current = id;
    save(USER_KEY, id);
  }

  /** The user who is not signed in (the demo has two). @returns {UserId} */
  other() {
    return this.current === 'alice' ? 'bob' : 'alice';
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

/** @param {string} a @param {string} b */
const byNumber = (a, b) => Number(/-(\d+)$/.exec(a)?.[1] ?? 0) - Number(/-(\d+)$/.exec(b)?.[1] ?? 0);

/** @param {{ revoke?: string, grant?: string }} body */
async function tokensPost(body) {
  const res = await fetch('/__demo/tokens', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(4000),
  });
  if (!res.ok) throw new Error((await res.json().catch(() => ({}))).error ?? `answered ${res.status}`);
}
