/**
 * Warnings the worker announces to every page, and their words: the worker's
 * console and the page's say the same thing.
 */

/**
 * Who took a chat API POST instead of the outbox: a fetch listener that
 * answered before the outbox's (`listener`), or a route of the site's Workbox
 * router that matched before `outboxHandler`'s, or no route at all (`route`).
 */
export type BypassedBy = 'listener' | 'route';

/** What a developer reads, in the worker's console (development builds) and the page's. */
export function bypassText(url: string, by: BypassedBy): string {
  const who = by === 'listener' ? "another fetch listener answered it before the outbox's" : "the router did not hand it to outboxHandler (another route matched first, or none did)";
  return `outbox: the POST to ${url} did not go through the outbox: ${who}. It is not queued, so an outage loses it. Remove the other route (the plain recipe's NetworkOnly + BackgroundSyncPlugin?) or register the outbox first; see docs/migration.md.`;
}
