// The `mailroom` command as an admin uses it: setup, then cmdlets in Exchange syntax from
// separate processes, with Format-List and JSON output and errors that name the parameter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mailroom, tempDataDir } from '../helpers.ts';
import { FAST_PASSWORDS_CMDLET } from '../support/passwords.ts';

const data = tempDataDir();
const env = { MAILROOM_DATA: data.path };
const run = (...args: string[]) => mailroom(args, env);
const json = (...args: string[]) => {
  const r = run(...args, '--json');
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
};

before(() => {
  const r = run('setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Organization\s+: Contoso/);
  assert.match(r.stdout, /POP3 and IMAP4 are disabled/);
  // Cheap password hashes: these tests are about the cmdlets, not the hashing cost.
  assert.equal(run(...FAST_PASSWORDS_CMDLET).status, 0);
});
after(() => data.cleanup());

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

test('mailboxes, CAS settings, permissions and role groups', () => {
  let r = run('New-Mailbox', '-Name', 'Chris Ashton', '-Alias', 'chris', '-UserPrincipalName', 'chris@contoso.com', '-Password', 'Pa$$w0rd2026');
  assert.equal(r.status, 0, r.stderr);
  r = run('New-Mailbox', '-Name', '王小明', '-Alias', 'xiaoming', '-Languages', 'zh-TW');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /Generated password for xiaoming@contoso.com: \S+/);
  assert.equal(run('New-Mailbox', '-Shared', '-Name', 'Sales Department', '-Alias', 'sales').status, 0);
  assert.equal(run('Add-MailboxPermission', '-Identity', 'sales', '-User', 'chris', '-AccessRights', 'FullAccess', '-InheritanceType', 'All').status, 0);
  assert.equal(run('Set-Mailbox', 'chris', '-EmailAddresses', '@{Add=c.ashton@contoso.com}').status, 0);
  assert.equal(run('Set-CASMailbox', 'chris', '-PopEnabled', '$false').status, 0);
  assert.equal(run('Add-RoleGroupMember', 'Organization Management', '-Member', 'chris').status, 0);
  const m = json('Get-Mailbox', 'chris@contoso.com')[0];
  assert.deepEqual(m.EmailAddresses, ['SMTP:chris@contoso.com', 'smtp:c.ashton@contoso.com']);
  assert.equal(m.RecipientTypeDetails, 'UserMailbox');
  assert.equal(json('Get-Mailbox', 'sales')[0].RecipientTypeDetails, 'SharedMailbox');
  assert.equal(json('Get-Mailbox', '王小明')[0].Languages[0], 'zh-TW');
  const cas = json('Get-CASMailbox', 'chris')[0];
  assert.equal(cas.PopEnabled, false);
  assert.equal(cas.ImapEnabled, true);
  assert.deepEqual(json('Get-MailboxPermission', 'sales').map((p: { User: string; AccessRights: string }) => [p.User, p.AccessRights]), [['Chris Ashton', 'FullAccess']]);
  assert.deepEqual(json('Get-RoleGroup', 'Organization Management')[0].Members, ['Administrator', 'Chris Ashton']);
  assert.equal(run('Remove-Mailbox', 'Administrator').status, 1);
});

test('services accept Exchange names; quotas and transport limits', () => {
  assert.equal(run('Set-Service', 'MSExchangeIMAP4,MSExchangeIMAP4BE', '-StartupType', 'Automatic').status, 0);
  const services = json('Get-Service');
  const imap = services.find((s: { Name: string }) => s.Name === 'imap4');
  assert.equal(imap.StartupType, 'Automatic');
  assert.equal(imap.Wanted, 'Running');
  assert.equal(imap.Status, 'Stopped');
  assert.equal(services.find((s: { Name: string }) => s.Name === 'pop3').StartupType, 'Disabled');
  assert.equal(run('Set-TransportConfig', '-MaxReceiveSize', '25MB', '-MaxSendSize', '25MB').status, 0);
  assert.equal(json('Get-TransportConfig')[0].MaxReceiveSize, '25 MB (26,214,400 bytes)');
  assert.equal(run('Set-Mailbox', 'chris', '-UseDatabaseQuotaDefaults', '$false', '-ProhibitSendQuota', '5GB', '-IssueWarningQuota', '4.5GB').status, 0);
  const m = json('Get-Mailbox', 'chris')[0];
  assert.equal(m.ProhibitSendQuota, '5 GB (5,368,709,120 bytes)');
  assert.equal(m.IssueWarningQuota, '4.5 GB (4,831,838,208 bytes)');
});

test('certificates: self-signed, imported PEM, enabled per service', async () => {
  const created = json('New-ExchangeCertificate', '-DomainName', 'mail.contoso.com,autodiscover.contoso.com', '-Services', 'IMAP,POP');
  assert.deepEqual(created.CertificateDomains, ['mail.contoso.com', 'autodiscover.contoso.com']);
  assert.equal(created.Services, 'IMAP, POP');
  const { execFileSync } = await import('node:child_process');
  const { join } = await import('node:path');
  const key = join(data.path, 'k.pem');
  const cert = join(data.path, 'c.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', '/CN=imported.contoso.com', '-addext', 'subjectAltName=DNS:imported.contoso.com,DNS:pop.contoso.com'], { stdio: 'ignore' });
  const imported = json('Import-ExchangeCertificate', '-FileName', cert, '-PrivateKeyFileName', key);
  assert.deepEqual(imported.CertificateDomains, ['imported.contoso.com', 'pop.contoso.com']);
  assert.equal(imported.Services, 'None');
  const enabled = json('Enable-ExchangeCertificate', '-Thumbprint', imported.Thumbprint, '-Services', 'POP,SMTP');
  assert.equal(enabled.Services, 'POP, SMTP');
  assert.equal(json('Get-ExchangeCertificate').length, 3);
  const mismatched = run('Import-ExchangeCertificate', '-FileName', cert, '-PrivateKeyFileName', join(data.path, 'directory.db'));
  assert.notEqual(mismatched.status, 0);
});

test('Set-MailboxDatabase changes retention and database quotas', () => {
  assert.equal(run('Set-MailboxDatabase', 'Mailbox Database MAIL01', '-DeletedItemRetention', '30.00:00:00', '-ProhibitSendReceiveQuota', '10GB').status, 0);
  const db = json('Get-MailboxDatabase')[0];
  assert.equal(db.DeletedItemRetention, '30.00:00:00');
  assert.equal(db.ProhibitSendReceiveQuota, '10 GB (10,737,418,240 bytes)');
  const bad = run('Set-MailboxDatabase', 'Mailbox Database MAIL01', '-DeletedItemRetention', 'forever');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /-DeletedItemRetention/);
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

test('mailroom shell reads whole lines with PowerShell quoting', async () => {
  const { spawnSync } = await import('node:child_process');
  const { BIN } = await import('../helpers.ts');
  const r = spawnSync(process.execPath, [BIN, 'shell'], {
    input: "Set-CASMailbox chris -ImapEnabled $false\nSet-ImapSettings -Banner 'Welcome, friends' # greeting\nGet-CASMailbox chris\n",
    env: { ...process.env, ...env, MAILROOM_LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ImapEnabled\s+: False/);
  assert.equal(json('Get-ImapSettings')[0].Banner, 'Welcome, friends');
});
