// A socket-shaped stream that inflates what arrives and deflates what is written (RFC 4978:
// raw DEFLATE, each response flushed with Z_SYNC_FLUSH so the client can decode it at once).
//
// Both directions keep back-pressure, so compression changes nothing about what a session may
// hold in memory. DEFLATE can expand a few hundred KB into hundreds of MB (about 1000:1 for
// repetitive text), so input is inflated only as fast as the session reads it: while inflated
// bytes wait, the inflater stops, and while the inflater holds input, the socket is not read.
// Output counts as written only once the socket has room for it, so a client that stops
// reading sees writableNeedDrain here exactly as on a plain socket, and the session stops
// running its commands (and, after its timeout, closes the connection).
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { constants, createDeflateRaw, createInflateRaw } from 'node:zlib';

export function deflateSocket(raw: Socket): Socket {
  const inflate = createInflateRaw();
  const deflate = createDeflateRaw({ flush: constants.Z_SYNC_FLUSH });
  const stream = new Duplex({
    read() {
      inflate.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      // zlib calls back once the chunk is compressed; while the socket is backed up the
      // compressed output is not taken (below), so zlib, and then this, waits.
      deflate.write(chunk, (err) => callback(err ?? null));
    },
    final(callback) {
      // 'end', not end()'s callback: the last compressed bytes (the BYE, a LOGOUT's OK) come
      // out of zlib after its writable side has finished, and must reach the socket first.
      deflate.once('end', () => {
        raw.end();
        callback();
      });
      deflate.end();
    },
    destroy(err, callback) {
      inflate.destroy();
      deflate.destroy();
      raw.destroy();
      callback(err);
    },
  });
  raw.on('data', (chunk: Buffer) => {
    if (!inflate.write(chunk)) raw.pause();
  });
  inflate.on('drain', () => raw.resume());
  inflate.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) inflate.pause();
  });
  deflate.on('data', (chunk: Buffer) => {
    if (!raw.write(chunk)) deflate.pause();
  });
  raw.on('drain', () => deflate.resume());
  // A corrupt compressed stream cannot be recovered from; the connection ends.
  inflate.on('error', () => stream.destroy());
  deflate.on('error', () => stream.destroy());
  raw.on('close', () => stream.destroy());
  raw.on('error', () => stream.destroy());
  // The caller paused the socket while it put this layer in place.
  raw.resume();
  return stream as unknown as Socket;
}
