import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { readSocketLine, SocketLineError } from '../../src/lib/socket-line.ts';

/** A connected pair of sockets on loopback: what `write` gets is sent by the client side. */
async function pair(): Promise<{ server: Socket; client: Socket; close: () => void }> {
  const listener = createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const port = (listener.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const client = connect(port, '127.0.0.1');
  const server = await accepted;
  server.on('error', () => undefined);
  client.on('error', () => undefined);
  return { server, client, close: () => { client.destroy(); server.destroy(); listener.close(); } };
}

test('one line, with the bytes after it given back, across chunks', async () => {
  const { server, client, close } = await pair();
  try {
    const read = readSocketLine(server, 100, 5000);
    client.write('HEL');
    await new Promise((r) => setTimeout(r, 20));
    client.write('LO there\r\nNEXT');
    const { line, rest } = await read;
    assert.equal(line.toString(), 'HELLO there\r\n');
    assert.equal(rest.toString(), 'NEXT');
    assert.equal(server.isPaused(), true, 'left paused for whoever reads on');
    assert.equal(server.listenerCount('data'), 0);
  } finally {
    close();
  }
});

test('refused: a line over the limit, a connection that closes first, a line that does not come in time', async () => {
  let { server, client, close } = await pair();
  try {
    const read = readSocketLine(server, 10, 5000);
    client.write('x'.repeat(50));
    await assert.rejects(read, (err: unknown) => err instanceof SocketLineError && err.code === 'too-long');
  } finally {
    close();
  }
  ({ server, client, close } = await pair());
  try {
    const read = readSocketLine(server, 10, 5000);
    client.end('half');
    await assert.rejects(read, (err: unknown) => err instanceof SocketLineError && err.code === 'closed');
  } finally {
    close();
  }
  ({ server, client, close } = await pair());
  try {
    await assert.rejects(readSocketLine(server, 10, 50), (err: unknown) => err instanceof SocketLineError && err.code === 'timeout');
  } finally {
    close();
  }
});

test('exactly the limit plus CRLF is a line', async () => {
  const { server, client, close } = await pair();
  try {
    const read = readSocketLine(server, 10, 5000);
    client.write(`${'y'.repeat(10)}\r\n`);
    assert.equal((await read).line.length, 12);
  } finally {
    close();
  }
});
