// A running `mailroom start` applies admin commands made by other processes without a restart:
// services started and stopped, banners, bindings. Real processes, real sockets. The tests wait
// for each change to show, not for a time: how soon it shows is the host's poll interval.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { eventually, freePortOffset, mailroom, mailroomOk, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';

const data = tempDataDir();
let offset = 0;
let env: Record<string, string>;
let server: RunningServer;

const admin = (...args: string[]) => mailroomOk(args, env).stdout;

/**
 * The greeting line, or null when nothing listens (the connection is refused). A listener that
 * says nothing for 2 s gives '': it is there, so "nothing listens" must not be read from it.
 */
function greeting(port: number, host = '127.0.0.1'): Promise<string | null> {
  return new Promise((resolve) => {
    const s = connect({ port: port + offset, host });
    let buf = '';
    s.setTimeout(2000, () => { s.destroy(); resolve(''); });
    s.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n')) { s.destroy(); resolve(buf.split('\r\n')[0]!); }
    });
    s.on('error', () => resolve(null));
  });
}

before(async () => {
  offset = await freePortOffset();
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  admin('setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026');
  admin('Set-ImapSettings', '-UnencryptedOrTLSBindings', '127.0.0.1:143', '-SSLBindings', '127.0.0.1:993');
  admin('Set-PopSettings', '-UnencryptedOrTLSBindings', '127.0.0.1:110', '-SSLBindings', '127.0.0.1:995');
  server = await startMailroom(['start'], env);
});
after(async () => {
  await server?.stop();
  data.cleanup();
});

test('POP3 and IMAP4 are off until enabled', async () => {
  assert.equal(await greeting(143), null);
  assert.equal(await greeting(110), null);
});

test('Set-Service from another process starts IMAP4', async () => {
  admin('Set-Service', 'MSExchangeIMAP4,MSExchangeIMAP4BE', '-StartupType', 'Automatic');
  await eventually(async () => Boolean(await greeting(143)), 10_000);
  assert.equal(await greeting(143), '* OK The Mailroom IMAP4 service is ready.');
  await eventually(() => {
    const imap = JSON.parse(mailroom(['Get-Service', 'imap4', '--json'], env).stdout)[0];
    return imap.Status === 'Running' && /127\.0\.0\.1:\d+/.test(imap.Listening);
  }, 10_000);
});

test('a new banner shows on the next connection, in any language', async () => {
  admin('Set-ImapSettings', '-Banner', 'Contoso 郵件服務 ready');
  await eventually(async () => (await greeting(143)) === '* OK Contoso 郵件服務 ready', 10_000);
});

test('new bindings open and old ones close without a restart', async () => {
  admin(
    'Set-ImapSettings',
    '-UnencryptedOrTLSBindings', '127.0.0.1:1143',
    '-InternalConnectionSettings', 'mail01.contoso.com:993:SSL,mail01.contoso.com:1143:TLS',
  );
  await eventually(async () => (await greeting(1143)) !== null && (await greeting(143)) === null, 10_000);
});

test('Start-Service of a Manual service, then Stop-Service', async () => {
  admin('Set-Service', 'pop3', '-StartupType', 'Manual');
  // A banner set after it shows once the server has read the change; a second one shows once
  // that whole pass is over. Only then does "POP3 is not listening" mean it was not started.
  for (const marker of ['one', 'two']) {
    admin('Set-ImapSettings', '-Banner', `Contoso pass ${marker}`);
    await eventually(async () => (await greeting(1143)) === `* OK Contoso pass ${marker}`, 10_000);
  }
  assert.equal(await greeting(110), null);
  admin('Start-Service', 'pop3');
  await eventually(async () => (await greeting(110)) === '+OK The Mailroom POP3 service is ready.', 10_000);
  admin('Stop-Service', 'pop3');
  await eventually(async () => (await greeting(110)) === null, 10_000);
  admin('Set-Service', 'imap4', '-StartupType', 'Disabled');
  await eventually(async () => (await greeting(1143)) === null, 10_000);
});

test('a second server on the same ports fails with a clear message', async () => {
  admin('Set-Service', 'imap4', '-StartupType', 'Automatic');
  await eventually(async () => (await greeting(1143)) !== null, 10_000);
  const r = mailroom(['start'], env);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`Port ${1143 + offset} .* already in use.*MAILROOM_PORT_OFFSET`));
});

test('SIGTERM stops cleanly', async () => {
  const code = await server.stop();
  assert.equal(code, 0);
  assert.match(server.output(), /"msg":"stopped"/);
  assert.equal(await greeting(1143), null);
});
