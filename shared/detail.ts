/**
 * Reading a server's refusal, on either side: the worker records it with a
 * failed message, the client reports it for an answer the worker passed through.
 */

/** The server's own words for a refusal: a JSON `error`, `message` or (RFC 9457 problem) `detail`, at most 300 characters. */
export async function readDetail(response: Response): Promise<string | undefined> {
  if (!(response.headers.get('Content-Type') ?? '').includes('json')) return undefined;
  try {
    const body = (await response.clone().json()) as { error?: unknown; message?: unknown; detail?: unknown } | null;
    const text = body?.error ?? body?.message ?? body?.detail;
    return typeof text === 'string' ? text.slice(0, 300) : undefined;
  } catch {
    // A body that is not the JSON it claims to be carries no detail.
    return undefined;
  }
}
