// One line read off a socket before it is handed to something else (the proxy hand-off): the
// bytes after the line are given back, not lost, and nothing past `limit` is kept.
import type { Socket } from 'node:net';

export class SocketLineError extends Error {
  constructor(message: string, readonly code: 'closed' | 'too-long' | 'timeout') {
    super(message);
    this.name = 'SocketLineError';
  }
}

/**
 * Reads up to the first LF. Resolves with the line (LF included) and the bytes that came after
 * it in the same chunk; the socket is left paused with no data listener of ours. Rejects when
 * the socket closes or errs first, when `limit` bytes pass without an LF, or after `timeoutMs`.
 */
export function readSocketLine(socket: Socket, limit: number, timeoutMs: number): Promise<{ line: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (err: SocketLineError | null, value?: { line: Buffer; rest: Buffer }) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      socket.removeListener('error', onClose);
      socket.pause();
      if (err) reject(err);
      else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const lf = buffered.indexOf(0x0a);
      if (lf >= 0 && lf <= limit + 1) return finish(null, { line: buffered.subarray(0, lf + 1), rest: buffered.subarray(lf + 1) });
      if (lf > limit + 1 || (lf < 0 && buffered.length > limit + 1)) finish(new SocketLineError(`a line longer than ${limit} bytes`, 'too-long'));
    };
    const onClose = () => finish(new SocketLineError('the connection closed before the line ended', 'closed'));
    const timer = setTimeout(() => finish(new SocketLineError(`no line within ${timeoutMs} ms`, 'timeout')), timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
    socket.resume();
  });
}
