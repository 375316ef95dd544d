// The `mailroom` command as an admin uses it: setup, then cmdlets in Exchange syntax from
// separate processes, with Format-List and JSON output and errors that name the parameter.
// (Mailboxes, services, certificates and databases: cmdlets-objects-e2e.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mailroom, tempDataDir } from '../helpers.ts';
import { cliOrganization } from '../support/cli-organization.ts';

const { run, json } = cliOrganization();

test('setup refuses a second organization and weak admin passwords', () => {
  const again = run('setup', '--organization', 'X', '--domain', 'x.com', '--admin-password', 'Admin-Pass-2026');
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /already exists/);
  const other = tempDataDir();
  const weak = mailroom(['setup', '--organization', 'X', '--domain', 'x.com', '--admin-password', 'short'], { MAILROOM_DATA: other.path });
  other.cleanup();
  assert.notEqual(weak.status, 0);
  assert.match(weak.stderr, /--admin-password must be at least 8 characters/);
});

test('Exchange documentation examples work verbatim after mailroom', () => {
  // What bash passes for: Set-PopSettings -ExternalConnectionSettings '{Dublin01.Contoso.com:995:SSL}'
  assert.equal(run('Set-PopSettings', '-ExternalConnectionSettings', '{Dublin01.Contoso.com:995:SSL}').status, 0);
  // …for: Set-ImapSettings -ExternalConnectionSettings "mail.contoso.com:993:SSL","mail.contoso.com:143:TLS"
  assert.equal(run('Set-ImapSettings', '-ExternalConnectionSettings', 'mail.contoso.com:993:SSL,mail.contoso.com:143:TLS').status, 0);
  // …for: Set-ReceiveConnector "Client Frontend MAIL01" -AdvertiseClientSettings $true -Fqdn Dublin01.Contoso.com ($true expands to nothing)
  const r = run('Set-ReceiveConnector', 'Client Frontend MAIL01', '-AdvertiseClientSettings', '-Fqdn', 'Dublin01.Contoso.com');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /taken as \$true/);
  const pop = json('Get-PopSettings')[0];
  assert.deepEqual(pop.ExternalConnectionSettings, ['Dublin01.Contoso.com:995:SSL']);
  const imap = json('Get-ImapSettings')[0];
  assert.deepEqual(imap.ExternalConnectionSettings, ['mail.contoso.com:993:SSL', 'mail.contoso.com:143:TLS']);
  const rc = json('Get-ReceiveConnector', 'Client Frontend MAIL01')[0];
  assert.equal(rc.AdvertiseClientSettings, true);
  assert.equal(rc.Fqdn, 'Dublin01.Contoso.com');
});

test('Format-List shows sizes and time spans the Exchange way', () => {
  assert.equal(run('Set-ImapSettings', '-AuthenticatedConnectionTimeout', '00:45:00', '-LogPerFileSizeQuota', '10MB').status, 0);
  const r = run('Get-ImapSettings');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^AuthenticatedConnectionTimeout\s+: 00:45:00$/m);
  assert.match(r.stdout, /^LogPerFileSizeQuota\s+: 10 MB \(10,485,760 bytes\)$/m);
  assert.match(r.stdout, /^LoginType\s+: SecureLogin$/m);
  assert.match(r.stdout, /^UnencryptedOrTLSBindings\s+: \{\[::\]:143, 0\.0\.0\.0:143\}$/m);
});

test('invalid values are refused with the parameter and the allowed values, exit non-zero', () => {
  const cases: [string[], RegExp][] = [
    [['Set-PopSettings', '-LoginType', 'Kerberos'], /-LoginType must be one of PlainTextLogin, PlainTextAuthentication, SecureLogin/],
    [['Set-ImapSettings', '-MaxCommandSize', '100'], /-MaxCommandSize must be from 1024 to 16384/],
    [['Set-PopSettings', '-ExternalConnectionSettings', 'mail.contoso.com:993:SSL'], /must match a binding/],
    [['Set-PopSettings', '-PreAuthenticatedConnectionTimeout', 'soon'], /-PreAuthenticatedConnectionTimeout/],
    [['Set-PopSettings', '-Nonsense', '1'], /-Nonsense/],
    [['Set-Service', 'imap4', '-StartupType', 'Sometimes'], /-StartupType must be one of Automatic, Manual, Disabled/],
    [['Start-Service', 'MSExchangePOP3'], /disabled/],
    [['Get-Mailbox', 'nobody'], /not found/],
    [['New-Mailbox', '-Name', 'Weak', '-Password', 'abc'], /-Password must be at least 8/],
    [['Get-Frobnicate'], /no cmdlet/],
  ];
  for (const [args, pattern] of cases) {
    const r = run(...args);
    assert.notEqual(r.status, 0, args.join(' '));
    assert.match(r.stderr, pattern, args.join(' '));
  }
  // Nothing was stored by the refused changes.
  assert.equal(json('Get-PopSettings')[0].LoginType, 'SecureLogin');
});

test('a password never appears in an error', () => {
  const r = run('New-Mailbox', '-Name', 'Leak', '-Password', 'Sup3r-Secret-Word', 'extra-argument');
  assert.notEqual(r.status, 0);
  assert.doesNotMatch(r.stderr + r.stdout, /Sup3r-Secret-Word/);
});

test('Get-Help, -? and Get-Command describe every cmdlet', () => {
  const help = run('Get-Help', 'Set-PopSettings');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /-LoginType <PlainTextLogin \| PlainTextAuthentication \| SecureLogin>/);
  assert.match(help.stdout, /mailroom Set-PopSettings -ExternalConnectionSettings '\{Dublin01.Contoso.com:995:SSL\}'/);
  assert.equal(run('Set-ImapSettings', '-?').stdout, run('Get-Help', 'set-imapsettings').stdout);
  const all = run('Get-Command').stdout;
  for (const name of ['New-Mailbox', 'Set-CASMailbox', 'Set-ReceiveConnector', 'Enable-ExchangeCertificate', 'Start-Service']) assert.match(all, new RegExp(name));
});
