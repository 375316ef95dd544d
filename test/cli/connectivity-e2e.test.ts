// Test-ImapConnectivity, Test-PopConnectivity and Test-SmtpConnectivity run as separate processes
// against a running server, over real sockets: a certificate clients would refuse fails the test
// with the reason, the same certificate trusted (NODE_EXTRA_CA_CERTS, as a client would be set
// up) passes, and the full test's message goes through SMTP and is gone from the mailbox after.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Directory } from '../../src/directory/directory.ts';
import { freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';

const data = tempDataDir();
const PASSWORD = 'Connect-Pass-2026';
let offset = 0;
let env: Record<string, string>;
/** The CLI as a client that trusts the server's certificate. */
let trusting: Record<string, string>;
let server: RunningServer;

type Row = Record<string, unknown>;
function run(extraEnv: Record<string, string>, ...args: string[]) {
  return mailroom([...args, '--json'], { ...env, ...extraEnv });
}
function rows(extraEnv: Record<string, string>, ...args: string[]): Row[] {
  const r = run(extraEnv, ...args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  return Array.isArray(out) ? out : [out];
}

before(async () => {
  offset = await freePortOffset();
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  await createTestOrganization(data.path, { mailboxes: [['Chris Ashton', 'chris']], password: PASSWORD });
  // The self-signed certificate setup made, given to the client as a trusted one.
  process.env.MAILROOM_DATA = data.path;
  const dir = await Directory.open();
  const certs = await dir.certificates('MAIL01');
  await dir.close();
  delete process.env.MAILROOM_DATA;
  const caFile = join(data.path, 'trusted.pem');
  writeFileSync(caFile, certs.map((c) => c.certPem).join('\n'));
  trusting = { NODE_EXTRA_CA_CERTS: caFile };
  server = await startMailroom(['start'], env);
});
after(async () => {
  await server?.stop();
  data.cleanup();
});

test('without a test account or -MailboxCredential the test says what to do', () => {
  const r = mailroom(['Test-ImapConnectivity', 'MAIL01', '-LightMode'], env);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /There is no test account for MAIL01: run New-TestCasConnectivityUser/);
});

test('a self-signed certificate fails the test the way it fails a client; trusted, it passes', () => {
  const created = rows({}, 'New-TestCasConnectivityUser', '-MailboxServer', 'MAIL01');
  assert.match(String(created[0]!.UserPrincipalName), /^extest_[0-9a-f]{10}@contoso\.com$/);

  const refused = rows({}, 'Test-ImapConnectivity', 'MAIL01', '-LightMode');
  assert.equal(refused.length, 1);
  assert.equal(refused[0]!.Scenario, 'Test IMAP4 Connectivity');
  assert.equal(refused[0]!.Result, 'Failure');
  assert.equal(refused[0]!.CasServer, 'MAIL01');
  assert.equal(refused[0]!.LocalSite, 'Default-First-Site-Name');
  assert.match(String(refused[0]!.Error), /not valid for mail01\.contoso\.com: .*self.signed.*-TrustAnySSLCertificate/);

  const trusted = rows(trusting, 'Test-ImapConnectivity', 'MAIL01', '-LightMode');
  assert.equal(trusted[0]!.Result, 'Success', String(trusted[0]!.Error));
  assert.equal(typeof trusted[0]!['Latency(MS)'], 'number');

  const starttls = rows(trusting, 'Test-PopConnectivity', 'MAIL01', '-LightMode', '-ConnectionType', 'Tls');
  assert.equal(starttls[0]!.Result, 'Success', String(starttls[0]!.Error));

  // SecureLogin (the default) refuses logons in the clear: the test says so.
  const clear = rows({}, 'Test-ImapConnectivity', 'MAIL01', '-LightMode', '-ConnectionType', 'Plaintext');
  assert.equal(clear[0]!.Result, 'Failure');
  assert.match(String(clear[0]!.Error), /LOGINDISABLED/);
});

test('the full IMAP4 test sends a message through SMTP, finds it and deletes it', () => {
  const out = rows(trusting, 'Test-ImapConnectivity', 'MAIL01');
  assert.deepEqual(out.map((r) => [r.Scenario, r.Result]), [
    ['Test IMAP4 Connectivity', 'Success'], ['Send test message (SMTP)', 'Success'], ['Find and delete test message (IMAP4)', 'Success'],
  ], JSON.stringify(out));
  const account = rows({}, 'Get-Mailbox').find((m) => String(m.Alias).startsWith('extest_'))!;
  const stats = rows({}, 'Get-MailboxFolderStatistics', String(account.Alias));
  assert.equal(stats.find((f) => f.FolderPath === '/Inbox')!.ItemsInFolder, 0, 'the test message is gone');
  assert.equal(stats.find((f) => f.FolderPath === '/Recoverable Items')!.ItemsInFolder, 1, 'and recoverable, as any deleted message');
});

test('the full POP3 test with -MailboxCredential logs on as that user over STARTTLS', () => {
  const out = rows({ ...trusting, MAILROOM_CREDENTIAL_PASSWORD: PASSWORD }, 'Test-PopConnectivity', 'MAIL01', '-MailboxCredential', 'chris@contoso.com', '-ConnectionType', 'Tls');
  assert.deepEqual(out.map((r) => [r.Scenario, r.Result]), [
    ['Test POP3 Connectivity', 'Success'], ['Send test message (SMTP)', 'Success'], ['Find and delete test message (POP3)', 'Success'],
  ], JSON.stringify(out));
  const stats = rows({}, 'Get-MailboxFolderStatistics', 'chris', '-FolderScope', 'Inbox');
  assert.equal(stats[0]!.ItemsInFolder, 0);

  const wrong = rows({ ...trusting, MAILROOM_CREDENTIAL_PASSWORD: 'not-the-password' }, 'Test-PopConnectivity', 'MAIL01', '-MailboxCredential', 'chris@contoso.com');
  assert.deepEqual(wrong.map((r) => r.Result), ['Failure', 'Skipped', 'Skipped']);
  assert.match(String(wrong[0]!.Error), /logon failed: -ERR/);
});

test('Test-SmtpConnectivity greets every receive connector binding; a stopped service is UnableToConnect', () => {
  const out = rows(trusting, 'Test-SmtpConnectivity', 'MAIL01');
  assert.deepEqual(out.map((r) => [r.ReceiveConnector, r.StatusCode]).sort(), [
    ['MAIL01\\Client Frontend MAIL01', 'Success'], ['MAIL01\\Client Frontend Secure MAIL01', 'Success'], ['MAIL01\\Default Frontend MAIL01', 'Success'],
  ]);
  assert.match(String(out.find((r) => r.Binding === '127.0.0.1:465')!.Details), /^220 /);
  assert.equal(out.find((r) => r.Binding === '127.0.0.1:587')!.EndPoint, `127.0.0.1:${587 + offset}`);

  const imapStopped = mailroom(['Stop-Service', 'MSExchangeIMAP4'], env);
  assert.equal(imapStopped.status, 0);
  // Until the server applies the stop the port may still answer; the refusal is what is checked.
  let result: Row | undefined;
  for (let i = 0; i < 20; i++) {
    result = rows(trusting, 'Test-ImapConnectivity', 'MAIL01', '-LightMode')[0];
    if (result!.Result === 'Failure') break;
  }
  assert.match(String(result!.Error), /connection refused/);
});
