// Restart-Service and Remove-ReceiveConnector against a running server, from another process:
// the IMAP4 listener comes back after a restart and serves TLS again, the sessions it had end as
// when Exchange restarts the service; a removed connector's port closes while the others stay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ImapFlow } from 'imapflow';
import { eventually, freePortOffset, mailroom, mailroomOk, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';

const data = tempDataDir();
const PASSWORD = 'Restart-Pass-2026';
let offset = 0;
let env: Record<string, string>;
let server: RunningServer;

const admin = (...args: string[]) => mailroomOk(args, env);

/** The first line a plain TCP client reads, or null when the connection is refused. */
function greeting(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = connect({ port: port + offset, host: '127.0.0.1' });
    let buf = '';
    s.setTimeout(3000, () => { s.destroy(); resolve(''); });
    s.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n')) { s.destroy(); resolve(buf.split('\r\n')[0]!); }
    });
    s.on('error', () => resolve(null));
  });
}

/** The greeting over implicit TLS (993), with the served certificate's subject names. */
function tlsGreeting(port: number): Promise<{ line: string; names: string } | null> {
  return new Promise((resolve) => {
    const s = tlsConnect({ port: port + offset, host: '127.0.0.1', servername: 'mail01.contoso.com', rejectUnauthorized: false });
    let buf = '';
    s.setTimeout(3000, () => { s.destroy(); resolve(null); });
    s.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n')) {
        const names = s.getPeerCertificate().subjectaltname ?? '';
        s.destroy();
        resolve({ line: buf.split('\r\n')[0]!, names });
      }
    });
    s.on('error', () => resolve(null));
  });
}

before(async () => {
  offset = await freePortOffset();
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  await createTestOrganization(data.path, { mailboxes: [['Chris Ashton', 'chris']], password: PASSWORD });
  server = await startMailroom(['start'], env);
});
after(async () => {
  await server?.stop();
  data.cleanup();
});

test('Restart-Service MSExchangeIMAP4 ends its sessions and the listener serves TLS again', async () => {
  const client = new ImapFlow({
    host: '127.0.0.1', port: 993 + offset, secure: true, tls: { rejectUnauthorized: false },
    auth: { user: 'chris@contoso.com', pass: PASSWORD }, logger: false,
  });
  await client.connect();
  await client.mailboxOpen('INBOX');
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  client.on('error', () => undefined);

  admin('Restart-Service', 'MSExchangeIMAP4');
  await server.waitFor(/imap4 stopped for a restart/, 10_000);
  await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('the session outlived the restart')), 10_000))]);
  await server.waitFor(/imap4 stopped for a restart[\s\S]*imap4 started/, 10_000);

  const tls = await tlsGreeting(993);
  assert.ok(tls, 'TLS on 993 after the restart');
  assert.match(tls.line, /^\* OK /);
  assert.match(tls.names, /DNS:mail01\.contoso\.com/i);
  const again = new ImapFlow({
    host: '127.0.0.1', port: 993 + offset, secure: true, tls: { rejectUnauthorized: false },
    auth: { user: 'chris@contoso.com', pass: PASSWORD }, logger: false,
  });
  await again.connect();
  const status = await again.status('INBOX', { messages: true });
  assert.ok(status && status.messages === 0);
  await again.logout();
});

test('Restart-Service starts a stopped service and refuses a disabled one', async () => {
  admin('Stop-Service', 'MSExchangePOP3');
  await eventually(async () => (await greeting(110)) === null, 10_000);
  admin('Restart-Service', 'MSExchangePOP3');
  await eventually(async () => /^\+OK/.test((await greeting(110)) ?? ''), 10_000);
  const pop = JSON.parse(admin('Get-Service', 'pop3', '--json').stdout)[0];
  assert.equal(pop.Wanted, 'Running');

  admin('Set-Service', 'W3SVC', '-StartupType', 'Disabled');
  const refused = mailroom(['Restart-Service', 'W3SVC'], env);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /cannot be restarted because it is disabled/);
});

test('Remove-ReceiveConnector closes its port; the other connectors keep listening', async () => {
  admin('New-ReceiveConnector', 'Scanners', '-Bindings', '127.0.0.1:2526', '-RemoteIPRanges', '127.0.0.1', '-PermissionGroups', 'AnonymousUsers');
  await eventually(async () => /^220 /.test((await greeting(2526)) ?? ''), 10_000);
  admin('Remove-ReceiveConnector', 'MAIL01\\Scanners');
  await eventually(async () => (await greeting(2526)) === null, 10_000);
  assert.match((await greeting(587)) ?? '', /^220 /);
  assert.match((await greeting(25)) ?? '', /^220 /);
  const names = JSON.parse(admin('Get-ReceiveConnector', '--json').stdout).map((c: { Name: string }) => c.Name);
  assert.ok(!names.includes('Scanners'));
  const missing = mailroom(['Remove-ReceiveConnector', 'Scanners'], env);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /There is no receive connector 'Scanners'/);
});
