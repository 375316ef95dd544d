// Certificates as Exchange 2013 serves them, seen by a real TLS client (openssl s_client) on
// IMAP4 993, POP3 995, SMTP 465 and 587 (STARTTLS) and HTTPS 443 of a running server, changed
// from another process without a restart: an imported certificate enabled for the services is
// served although setup's and a later one are newer, -X509CertificateName picks by name, and
// Remove-ExchangeCertificate hands the services to another certificate or is refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { configurationApplied, directoryRevision, eventually, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';
import { issueWithTestCa, servedCertificate } from '../support/served-certificate.ts';

const data = tempDataDir();
let offset = 0;
let server: RunningServer;
let env: Record<string, string>;

function cmd(...args: string[]) {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}
const json = (...args: string[]) => JSON.parse(cmd(...args, '--json').stdout);
/** One object: --json prints a single result without the list around it. */
const one = (...args: string[]) => [json(...args)].flat()[0];

const ports = () => ({
  imap: 993 + offset, pop: 995 + offset, smtps: 465 + offset, submission: 587 + offset, https: 443 + offset,
});

function servedEverywhere(): Record<string, string> {
  const p = ports();
  return {
    imap: servedCertificate(p.imap).thumbprint,
    pop: servedCertificate(p.pop).thumbprint,
    smtps: servedCertificate(p.smtps).thumbprint,
    submission: servedCertificate(p.submission, { starttls: 'smtp' }).thumbprint,
    https: servedCertificate(p.https).thumbprint,
  };
}

async function until(expected: Record<string, string>) {
  let last: Record<string, string> = {};
  try {
    await eventually(() => {
      last = servedEverywhere();
      return Object.entries(expected).every(([k, v]) => last[k] === v);
    }, 5000, 100);
  } catch {
    assert.deepEqual(last, { ...last, ...expected });
  }
}

before(async () => {
  offset = await freePortOffset();
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  await createTestOrganization(data.path, { mailboxes: [], password: 'Pa55-word-2026', web: true });
  server = await startMailroom(['start'], env);
});
after(async () => {
  await server?.stop();
  data.cleanup();
});

test('an imported certificate enabled for the services is served, by name, and removal hands over', async () => {
  const setupCert = one('Get-ExchangeCertificate');
  assert.equal(setupCert.Services, 'IMAP, POP, IIS, SMTP');
  await until({ imap: setupCert.Thumbprint, pop: setupCert.Thumbprint, smtps: setupCert.Thumbprint, submission: setupCert.Thumbprint, https: setupCert.Thumbprint });

  // A CA-issued certificate for the FQDN, imported with -Services: every service takes it.
  const issued = issueWithTestCa(data.path, ['mail01.contoso.com', 'imap.contoso.com'], 'issued');
  const imported = one('Import-ExchangeCertificate', '-FileName', issued.cert, '-PrivateKeyFileName', issued.key, '-Services', 'IMAP,POP,SMTP,IIS');
  assert.equal(imported.Services, 'IMAP, POP, IIS, SMTP');
  const all = () => [json('Get-ExchangeCertificate')].flat() as { Thumbprint: string; Services: string }[];
  // IIS, POP and IMAP have one certificate: setup's keeps only SMTP.
  assert.equal(all().find((c) => c.Thumbprint === setupCert.Thumbprint)!.Services, 'SMTP');
  await until({ imap: imported.Thumbprint, pop: imported.Thumbprint, smtps: imported.Thumbprint, submission: imported.Thumbprint, https: imported.Thumbprint });
  // The client trusts the CA and checks the name.
  assert.equal(servedCertificate(ports().imap, { caFile: issued.ca, servername: 'mail01.contoso.com' }).verify, '0 (ok)');
  assert.equal(servedCertificate(ports().submission, { starttls: 'smtp', caFile: issued.ca, servername: 'mail01.contoso.com' }).verify, '0 (ok)');
  await server.waitFor(new RegExp(`IMAP now serves certificate ${imported.Thumbprint}`));

  // A newer self-signed certificate, enabled for SMTP only, changes nothing: SMTP prefers the
  // CA-issued one for the connector's FQDN, and the others are the imported one's.
  const later = one('New-ExchangeCertificate', '-DomainName', 'other.contoso.com', '-Services', 'SMTP');
  await configurationApplied(server, directoryRevision(data.path));
  assert.deepEqual(servedEverywhere(), { imap: imported.Thumbprint, pop: imported.Thumbprint, smtps: imported.Thumbprint, submission: imported.Thumbprint, https: imported.Thumbprint });

  // -X509CertificateName picks the certificate covering that name for IMAP alone; it does not
  // cover the FQDN clients use, which the cmdlet and the server's log say.
  const set = cmd('Set-ImapSettings', '-X509CertificateName', 'other.contoso.com');
  assert.match(set.stderr, /IMAP serves certificate \w+ \(other\.contoso\.com\), which does not cover mail01\.contoso\.com/);
  await until({ imap: later.Thumbprint, pop: imported.Thumbprint, https: imported.Thumbprint });
  await server.waitFor(/IMAP serves certificate \w+ \(other\.contoso\.com\), which does not cover mail01\.contoso\.com/);
  cmd('Set-ImapSettings', '-X509CertificateName', 'imap.contoso.com');
  await until({ imap: imported.Thumbprint });

  // Enabling setup's certificate for POP takes POP from the imported one.
  const enabled = cmd('Enable-ExchangeCertificate', '-Thumbprint', setupCert.Thumbprint, '-Services', 'POP');
  assert.match(enabled.stderr, new RegExp(`POP now uses this certificate instead of ${imported.Thumbprint}`));
  assert.equal(all().find((c) => c.Thumbprint === imported.Thumbprint)!.Services, 'IMAP, IIS, SMTP');
  await until({ pop: setupCert.Thumbprint, imap: imported.Thumbprint });

  // Removing the imported certificate: IMAP, SMTP and IIS move on to the others, live.
  const removed = cmd('Remove-ExchangeCertificate', '-Thumbprint', imported.Thumbprint);
  assert.match(removed.stderr, /IIS will use certificate/);
  assert.equal(all().length, 2);
  await until({ imap: later.Thumbprint, smtps: setupCert.Thumbprint, submission: setupCert.Thumbprint, pop: setupCert.Thumbprint });
  assert.notEqual(servedEverywhere().https, imported.Thumbprint);

  // The last certificate cannot go: the services would have none.
  cmd('Remove-ExchangeCertificate', later.Thumbprint);
  const refused = mailroom(['Remove-ExchangeCertificate', setupCert.Thumbprint], env);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /is the only one .*IMAP.*can use/);
  assert.equal(all().length, 1);
  await until({ imap: setupCert.Thumbprint, pop: setupCert.Thumbprint, https: setupCert.Thumbprint });
});
