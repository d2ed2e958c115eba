// What the test pages (harness.js, recipe/page.js) put on `window` for the
// specs to read through page.evaluate.
import type { Outbox, OutboxEvent, SessionCredentials } from '../../client/index.ts';

declare global {
  interface Window {
    outbox: Outbox;
    /** Every status event, with the time it arrived. */
    events: (OutboxEvent & { atMs: number })[];
    outboxReady: boolean;
    outboxError: string;
    /** The page's errors and the worker's (sw-errors.js), for the failure report. */
    pageErrors: { kind: string; text: string; atMs: number }[];
    bearer(token: string): SessionCredentials;
    currentToken: string | null;
    credentialCalls: number;
    registeredByPage: ServiceWorkerRegistration;
    idbDump(): Promise<{ db: string; store: string; key: unknown; value: unknown; blobText?: string }[]>;
    idbSearch(needles: string[]): Promise<{ needle: string; db: string; store: string; key: unknown; around: string }[]>;
    queueRecords(): Promise<unknown[]>;
    keyNamespaces(): Promise<string[]>;
    tryDecrypt(records: { metadata?: { iv?: BufferSource }; requestData?: { body?: ArrayBuffer } }[]): Promise<(string | null)[]>;
    rawCommand(command: { type: string; [field: string]: unknown }): Promise<unknown>;
  }
}

export {};
