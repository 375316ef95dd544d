// The IMAP4 back end's clocks over real sockets, with AuthenticatedConnectionTimeout below its
// 30-second minimum (given to the back end directly): a slow drip after logon, a literal that
// trickles in, and a client that stops reading a FETCH.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../../helpers.ts';
import { dripUntilClosed } from '../../support/drip.ts';
import { message, RawClient, startServer, type TestServer } from './harness.ts';

let server: TestServer;

before(async () => {
  server = await startServer();
  await server.addUser('slow');
  await server.backendSettings({ AuthenticatedConnectionTimeout: 0.5 });
});

after(async () => {
  await server.settings({});
  await server.stop();
});

function spoolFiles(): string[] {
  const folder = join(process.env.MAILROOM_DATA!, 'spool', 'imap');
  return existsSync(folder) ? readdirSync(folder) : [];
}

describe('AuthenticatedConnectionTimeout', () => {
  test('a slow drip after logon is closed like an idle client', async () => {
    const c = await RawClient.login(server.tlsPort, 'slow@contoso.com');
    // Complete commands for several timeouts keep the session.
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      assert.deepEqual(await c.command('n', 'NOOP'), ['n OK NOOP completed.']);
      await new Promise((r) => setTimeout(r, 100));
    }
    await dripUntilClosed(c, 'd1 SELECT INBOX', 20, 10_000);
    assert.equal(await c.line(), '* BYE Autologout; idle for too long.');
  });

  test('a message literal that trickles in does not keep the session, and its spool file goes', async () => {
    const c = await RawClient.login(server.tlsPort, 'slow@contoso.com');
    const raw = Buffer.from(message('Trickle', 'x'.repeat(1024 * 1024)));
    c.send(`a1 APPEND INBOX {${raw.length}}`);
    assert.match(await c.line(), /^\+ /);
    c.write(raw.subarray(0, 512 * 1024));
    await eventually(() => spoolFiles().length === 1, 5000);
    await dripUntilClosed(c, raw.subarray(512 * 1024).toString('latin1'), 20, 10_000);
    assert.equal(await c.line(), '* BYE Autologout; idle for too long.');
    await eventually(() => spoolFiles().length === 0, 5000);
  });

  test('a client that stops reading a FETCH is dropped', async () => {
    // Larger than what the socket buffers of both sides hold.
    const big = Buffer.from(message('Big', `${'y'.repeat(76)}\r\n`.repeat(160_000)));
    await server.seed('slow', big);
    const c = await RawClient.login(server.tlsPort, 'slow@contoso.com');
    assert.match(await c.status('s1', 'SELECT INBOX'), /^s1 OK /);
    c.socket.pause();
    c.write('f1 FETCH 1 BODY.PEEK[]\r\n');
    // A paused socket does not see the server close it; a write does, once the server is gone.
    const deadline = Date.now() + 10_000;
    while (!c.isClosed) {
      assert.ok(Date.now() < deadline, 'the server still waits for a client that reads nothing');
      c.write('n NOOP\r\n');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});
