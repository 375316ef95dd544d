// A client that asks for 96 MB of messages and then stops reading: the server must wait for it
// (back-pressure) instead of queueing everything in memory and keep answering everyone else.
// Before it blocks, the server legitimately sends what the loopback socket buffers take (two or
// three of the 6 MB messages), and each message sent leaves a few copies (read, rendered,
// encrypted) for the garbage collector: up to about 50 MB of resident memory that an idle
// server need not have returned yet. So the client asks for twice that, and the bound is two
// thirds of what it asked for: a server without back-pressure grows by all of it and more.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { serverPids, tempDataDir } from '../helpers.ts';
import { FaultServer, PASSWORD, statusOf, tokenMessage } from './harness.ts';

const data = tempDataDir('mailroom-faults-slow-');
let server: FaultServer;
const MESSAGES = 16;
const MESSAGE_BYTES = 6 * 1024 * 1024;

before(async () => {
  server = await FaultServer.create(data.path);
  await server.start();
  const client = server.imap('bob');
  await client.connect();
  for (let i = 0; i < MESSAGES; i++) await client.append('INBOX', tokenMessage(`large-${i}`, MESSAGE_BYTES));
  await client.append('INBOX', tokenMessage('small'));
  await client.logout();
});
after(async () => {
  await server?.kill();
  data.cleanup();
});

/** Resident memory of the server (the supervisor and its processes), from /proc. */
function residentBytes(): number {
  return serverPids(server.server!.child.pid!).reduce((sum, pid) => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return sum + Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)![1]) * 1024;
  }, 0);
}

test('a client that stops reading mid-FETCH holds back its own answer only', { timeout: 120_000 }, async () => {
  const baseline = residentBytes();
  const stalled = connect({ host: '127.0.0.1', port: server.port(993), rejectUnauthorized: false });
  let received = 0;
  let greeted = '';
  await new Promise<void>((resolve, reject) => {
    stalled.on('error', reject);
    const onData = (d: Buffer) => {
      greeted += d.toString('latin1');
      if (/^a OK/m.test(greeted)) {
        stalled.off('data', onData);
        resolve();
      }
    };
    stalled.on('data', onData);
    stalled.write(`a LOGIN bob@contoso.com ${PASSWORD}\r\n`);
  });
  stalled.write('b SELECT INBOX\r\nc FETCH 1:* BODY[]\r\n');
  // Read the first megabyte, then stop reading altogether.
  await new Promise<void>((resolve) => {
    stalled.on('data', (d: Buffer) => {
      received += d.length;
      if (received > 1024 * 1024) {
        stalled.pause();
        resolve();
      }
    });
  });

  // Everyone else is still served, quickly enough for a mail client to notice nothing.
  const other = server.imap('alice');
  await other.connect();
  const status = await statusOf(other, 'INBOX', { messages: true });
  assert.equal(typeof status.messages, 'number');
  await other.noop();
  await other.logout();

  // The server holds back what the stalled client did not read: far less than the 96 MB asked for.
  const grown = residentBytes() - baseline;
  assert.ok(grown < 64 * 1024 * 1024, `server grew by ${Math.round(grown / 1048576)} MB for a client that stopped reading`);

  // The client goes away; the mailbox is as it was.
  stalled.destroy();
  const bob = server.imap('bob');
  await bob.connect();
  const lock = await bob.getMailboxLock('INBOX');
  const fetched = await bob.fetchOne('*', { source: true });
  lock.release();
  await bob.logout();
  assert.match(fetched && fetched.source ? fetched.source.toString('latin1') : '', /^Subject: small\r$/m);
});
