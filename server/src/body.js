// Reading a request body with a limit, shared by the middleware and the relay.
// 'data' events, not an async iterator: a stream someone paused stays paused.

export class BodyTooLargeError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'BodyTooLargeError';
  }
}

/** The client went away before its body was read: nobody is left to answer. */
export class RequestAbortedError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'RequestAbortedError';
  }
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @param {number} maxBytes larger bodies reject with `BodyTooLargeError`
 * @returns {Promise<Buffer>}
 */
export function readBody(req, maxBytes) {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > maxBytes) {
      reject(new BodyTooLargeError(`the body is ${declared} bytes; at most ${maxBytes} are accepted`));
      return;
    }
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    /** @param {Buffer} chunk */
    const onData = (chunk) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        reject(new BodyTooLargeError(`the body is over ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', (/** @type {NodeJS.ErrnoException} */ error) => reject(error.code === 'ECONNRESET' ? new RequestAbortedError('the client reset the connection mid-body') : error));
    req.once('close', () => {
      if (!req.readableEnded) reject(new RequestAbortedError('the client closed the connection before its body was read'));
    });
  });
}
