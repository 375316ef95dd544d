// A socket-shaped stream that inflates what arrives and deflates what is written (RFC 4978:
// raw DEFLATE, each response flushed with Z_SYNC_FLUSH so the client can decode it at once).
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { constants, createDeflateRaw, createInflateRaw } from 'node:zlib';

export function deflateSocket(raw: Socket): Socket {
  const inflate = createInflateRaw();
  const deflate = createDeflateRaw({ flush: constants.Z_SYNC_FLUSH });
  const stream = new Duplex({
    read() {
      if (raw.isPaused()) raw.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      deflate.write(chunk, () => callback());
    },
    final(callback) {
      deflate.end(() => {
        raw.end();
        callback();
      });
    },
    destroy(err, callback) {
      inflate.destroy();
      deflate.destroy();
      raw.destroy();
      callback(err);
    },
  });
  raw.on('data', (chunk: Buffer) => inflate.write(chunk));
  inflate.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) raw.pause();
  });
  deflate.on('data', (chunk: Buffer) => raw.write(chunk));
  // A corrupt compressed stream cannot be recovered from; the connection ends.
  inflate.on('error', () => stream.destroy());
  deflate.on('error', () => stream.destroy());
  raw.on('close', () => stream.destroy());
  raw.on('error', () => stream.destroy());
  return stream as unknown as Socket;
}
