/**
 * Lanes: the conversations of a chat, each its own line of messages. Order,
 * backoff, `Retry-After` and setting a head aside are per lane (drain.ts,
 * drain-loop.ts), so a conversation whose server answers 429 or 503 holds up
 * only itself. A message's lane is taken from its request when it arrives and
 * stored with it (`EntryMetadata.lane`); entries without one (every entry
 * from before lanes) are in the default lane `''`, so is every message when
 * no rule is set: one lane, as the outbox always had.
 *
 * The rule (option `lane`):
 * - a path pattern, `'/api/chat/:conversation'`: the `:name` segments of a URL
 *   that matches the pattern's start (`/api/chat/42` and `/api/chat/42/messages`
 *   are lane `42`); a URL that does not match is in the default lane;
 * - a header name, `'Outbox-Lane'`: its value (absent: the default lane);
 * - in an own worker, a function of the request (it may read the body, e.g.
 *   a conversation id in the JSON), sync or async.
 *
 * matrix-rust-sdk's send queue keeps one queue per room for the same reason
 * (`crates/matrix-sdk/src/send_queue`): a room that fails is disabled, the
 * others go on.
 */
import { MAX_ID_LENGTH } from './protocol/http.js';

/** How a message's lane is found: a path pattern (starts with `/`), a header name, or a function of the request. */
export type LaneRule = string | ((request: Request) => string | undefined | Promise<string | undefined>);

/** The lane of a request under `rule` (`''`: the default lane). A function may read the request's body. */
export async function laneFromRequest(rule: LaneRule | undefined, request: Request): Promise<string> {
  let lane: string | undefined;
  if (typeof rule === 'function') {
    lane = await rule(request);
  } else if (rule?.startsWith('/')) {
    const path = new URL(request.url).pathname.split('/');
    const names = rule.split('/');
    // Every segment of the pattern must be there: a literal as it is, a `:name` not empty.
    if (names.every((name, i) => (name.startsWith(':') ? path[i] : name === path[i]))) {
      lane = names.flatMap((name, i) => (name.startsWith(':') ? [path[i]] : [])).join('/');
    }
  } else if (rule !== undefined) {
    lane = request.headers.get(rule) ?? undefined;
  }
  // Bounded like an id: it is stored with every message and crosses postMessage.
  return (lane ?? '').slice(0, MAX_ID_LENGTH);
}

/**
 * Runs `job` for each item, at most `limit` at a time. When one throws, no
 * new item starts, the ones running finish, and the first error is thrown:
 * nothing of a failed pass runs on after it (it would send outside the lock).
 */
export async function sideBySide<T>(items: T[], limit: number, job: (item: T) => Promise<void>): Promise<void> {
  const errors: unknown[] = [];
  const next = async (): Promise<void> => {
    while (items.length > 0) {
      await job(items.shift()!).catch((error: unknown) => {
        errors.push(error);
        items.length = 0;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, next));
  if (errors.length > 0) throw errors[0];
}
