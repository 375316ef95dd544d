// The IMAP4 protocol log (Set-ImapSettings -ProtocolLogEnabled $true): one CSV line per command
// in Exchange's 2013 fields, front end and back end in one session, and never a password.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../../helpers.ts';
import { PASSWORD, RawClient, startServer, type TestServer } from './harness.ts';

let server: TestServer;
before(async () => {
  server = await startServer();
  await server.addUser('logger');
});
after(async () => server.stop());

test('commands are logged per session with status and sizes; the password is not', async () => {
  await server.settings({ ProtocolLogEnabled: true, LogFileLocation: 'Logging/Imap4' });
  const c = await RawClient.login(server.tlsPort, 'logger@contoso.com');
  await c.command('A1', 'SELECT INBOX');
  await c.command('A2', 'SEARCH UNSEEN');
  await c.command('A3', 'LOGOUT');
  const folder = join(process.env.MAILROOM_DATA!, 'Logging', 'Imap4');
  const logFiles = () => (existsSync(folder) ? readdirSync(folder) : []).filter((f) => /^IMAP4\d{10}-\d+\.LOG$/.test(f));
  // The session's last line is written when the connection has closed.
  await eventually(() => logFiles().some((f) => readFileSync(join(folder, f), 'utf8').includes(',CloseSession,')), 5000);
  const files = logFiles();
  assert.equal(files.length, 1);
  const text = readFileSync(join(folder, files[0]!), 'utf8');
  assert.match(text, /^#Software: Mailroom\r\n/);
  assert.match(text, /#Log-type: IMAP4 Protocol Log/);
  assert.match(text, /#Fields: dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context/);
  assert.doesNotMatch(text, new RegExp(PASSWORD));
  const lines = text.split('\r\n').filter((l) => l && !l.startsWith('#'));
  const commands = lines.map((l) => l.split(',')[9]);
  assert.deepEqual(commands, ['OpenSession', 'login', 'select', 'search', 'logout', 'CloseSession']);
  const sessionIds = new Set(lines.map((l) => l.split(',')[1]));
  assert.equal(sessionIds.size, 1, 'front end and back end share the session id');
  const seq = lines.map((l) => Number(l.split(',')[2]));
  assert.deepEqual(seq, [0, 1, 2, 3, 4, 5]);
  const login = lines.find((l) => l.split(',')[9] === 'login')!;
  // The typed name shows as its first characters and a tag; the user column names the account.
  assert.match(login, /,login,log\.\.\.#[0-9a-f]{8} \*\*\*\*\*,/);
  assert.match(login, /R=OK \[CAPABILITY/);
  const select = lines.find((l) => l.split(',')[9] === 'select')!;
  assert.equal(select.split(',')[5], 'logger@contoso.com');
  assert.match(select, /R=OK \[READ-WRITE\] SELECT completed/);
  assert.ok(Number(select.split(',')[8]) > 50, 'response size counts the untagged lines');
  await server.settings({ ProtocolLogEnabled: false });
});

test('ENABLE IMAP4rev2 switches to RFC 9051 replies: LIST in SELECT, no \\Recent, ESEARCH', async () => {
  const c = await RawClient.login(server.tlsPort, 'logger@contoso.com');
  await server.seed('logger', 'Subject: rev2\r\n\r\nhello\r\n');
  const enabled = await c.command('R1', 'ENABLE IMAP4rev2');
  assert.ok(enabled.includes('* ENABLED IMAP4rev2'), enabled.join('\n'));
  const select = await c.command('R2', 'SELECT INBOX');
  assert.ok(select.some((l) => /^\* LIST \(\) "\/" INBOX$/.test(l)), select.join('\n'));
  assert.ok(!select.some((l) => /RECENT|\[UNSEEN/.test(l)), select.join('\n'));
  const fetch = await c.command('R3', 'FETCH 1 (FLAGS)');
  assert.ok(!fetch.join('\n').includes('\\Recent'), fetch.join('\n'));
  const search = await c.command('R4', 'SEARCH ALL');
  assert.ok(search.some((l) => /^\* ESEARCH \(TAG "R4"\) ALL 1/.test(l)), search.join('\n'));
  await c.command('R5', 'LOGOUT');
});

test('the host lists logged-on IMAP4 sessions for the admin center, and forgets them at LOGOUT', async () => {
  const c = await RawClient.login(server.tlsPort, 'logger@contoso.com');
  const live = server.host.liveSessions().filter((s) => s.user === 'logger@contoso.com');
  assert.equal(live.length, 1);
  assert.equal(live[0]!.protocol, 'IMAP4');
  assert.equal(live[0]!.mailbox, 'logger@contoso.com');
  assert.match(live[0]!.client, /^127\./);
  await c.command('Q', 'LOGOUT');
  await eventually(() => server.host.liveSessions().filter((s) => s.user === 'logger@contoso.com').length === 0, 5000);
});
