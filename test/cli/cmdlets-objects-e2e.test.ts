// Cmdlets on the organization's objects from separate processes, as an admin runs them from
// bash: mailboxes and their permissions, services, quotas, certificates, databases, and the
// same cmdlets read by `mailroom shell`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cliOrganization } from '../support/cli-organization.ts';

const { data, env, run, json } = cliOrganization();

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
