// A slow-drip client: bytes of a line that never ends, one at a time, faster than any idle
// timeout under test, until the server closes the connection.
import type { SocketTestClient } from './socket-client.ts';

/**
 * Writes `text` one byte every `everyMs` (starting over when it runs out) until the server
 * closes the connection; resolves with the bytes written. Rejects when the connection is still
 * open after `giveUpMs`: a server that lets a dribble of bytes keep a connection would hold it
 * for ever.
 */
export async function dripUntilClosed(client: SocketTestClient, text: string, everyMs: number, giveUpMs: number): Promise<number> {
  const bytes = Buffer.from(text, 'latin1');
  const started = Date.now();
  let sent = 0;
  while (!client.isClosed) {
    if (Date.now() - started > giveUpMs) throw new Error(`the server still holds a connection that sent ${sent} bytes and no complete line`);
    client.socket.write(bytes.subarray(sent % bytes.length, (sent % bytes.length) + 1));
    sent++;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return sent;
}
