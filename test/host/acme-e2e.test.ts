// Certificates from an ACME CA, end to end: Debian's pebble (a real RFC 8555 server, with real
// HTTP-01 validation against Mailroom's web port) issues a certificate that New-AcmeCertificate
// asks for, a TLS client checks it against pebble's root on IMAP4 993, POP3 995, SMTP 465 and
// 587 (STARTTLS) and HTTPS 443, the running server renews it at two thirds of its (short)
// lifetime without a restart, and with pebble stopped a renewal fails with a log line and the
// mailroom_acme_renewal_* metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';
import { freePort, pebbleInstalled, startPebble, type Pebble } from '../support/pebble.ts';
import { servedCertificate } from '../support/served-certificate.ts';

const data = tempDataDir();
let offset = 0;
let pebble: Pebble;
let alpnPebble: Pebble | undefined;
let server: RunningServer;
let env: Record<string, string>;
const VALIDITY_SECONDS = 45;

function cmd(...args: string[]) {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}\n${pebble.output().slice(-3000)}`);
  return r;
}
const one = (...args: string[]) => [JSON.parse(cmd(...args, '--json').stdout)].flat()[0];

// Skipped without pebble, except in CI (.ci/run installs it), where a missing pebble fails.
const skip = pebbleInstalled() || process.env.MAILROOM_CI_TOOLS === '1' ? false : 'pebble is not installed (Debian package pebble)';

before(async () => {
  if (skip) return;
  offset = await freePortOffset();
  await createTestOrganization(data.path, { mailboxes: [], password: 'Pa55-word-2026', web: true });
  pebble = await startPebble({ dir: join(data.path, 'pebble'), httpPort: 80 + offset, tlsPort: 443 + offset, validitySeconds: VALIDITY_SECONDS });
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset), NODE_EXTRA_CA_CERTS: pebble.listenerCa };
  server = await startMailroom(['start'], env);
});
after(async () => {
  await server?.stop();
  await pebble?.stop();
  await alpnPebble?.stop();
  data.cleanup();
});

function served(caFile?: string) {
  const check = { servername: 'imap.contoso.com', ...(caFile ? { caFile } : {}) };
  return {
    imap: servedCertificate(993 + offset, check),
    pop: servedCertificate(995 + offset, check),
    smtps: servedCertificate(465 + offset, check),
    submission: servedCertificate(587 + offset, { ...check, starttls: 'smtp' }),
    https: servedCertificate(443 + offset, { ...check, servername: 'mail01.contoso.com' }),
  };
}

async function allServe(thumbprint: string) {
  let last: Record<string, string> = {};
  try {
    await eventually(() => {
      last = Object.fromEntries(Object.entries(served()).map(([k, v]) => [k, v.thumbprint]));
      return Object.values(last).every((t) => t === thumbprint);
    }, 8000, 200);
  } catch {
    assert.deepEqual(last, { imap: thumbprint, pop: thumbprint, smtps: thumbprint, submission: thumbprint, https: thumbprint });
  }
}

async function metric(name: string): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${80 + offset}/metrics`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name}{certificate="mail01.contoso.com"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

test('New-AcmeCertificate gets a certificate from pebble over HTTP-01; the server serves it, renews it and reports a failed renewal', { skip }, async () => {
  // The names clients are given: the FQDN and the published IMAP host.
  cmd('Set-ImapSettings', '-ExternalConnectionSettings', 'imap.contoso.com:993:SSL');
  const issued = one('New-AcmeCertificate', '-AcmeServer', pebble.directoryUrl, '-Contact', 'hostmaster@contoso.com', '-AcceptTermsOfService');
  assert.deepEqual([...issued.CertificateDomains].sort(), ['imap.contoso.com', 'mail01.contoso.com']);
  assert.equal(issued.Services, 'IMAP, POP, IIS, SMTP');
  const lifetime = (Date.parse(issued.NotAfter) - Date.parse(issued.NotBefore)) / 1000;
  assert.ok(Math.abs(lifetime - VALIDITY_SECONDS) <= 2, `lifetime ${lifetime} s`);
  // pebble really fetched the answers from the web service (PEBBLE_VA_ALWAYS_VALID=0).
  await server.waitFor(/ACME: answered an HTTP-01 challenge/);

  // Every service serves it, and a client that trusts pebble's root accepts it under the name.
  const rootFile = join(data.path, 'pebble-root.pem');
  writeFileSync(rootFile, await pebble.root());
  await allServe(issued.Thumbprint);
  for (const [service, s] of Object.entries(served(rootFile))) assert.equal(s.verify, '0 (ok)', service);

  const managed = one('Get-AcmeCertificate');
  assert.equal(managed.Thumbprint, issued.Thumbprint);
  assert.equal(managed.AcmeServer, pebble.directoryUrl);

  // Renewal by the running server at two thirds of the lifetime, served without a restart.
  const renewed = await server.waitFor(/ACME: renewed the certificate for [^:]+: ([0-9A-F]{40})/, VALIDITY_SECONDS * 1000);
  const renewedThumbprint = /([0-9A-F]{40})/.exec(renewed)![1]!;
  assert.notEqual(renewedThumbprint, issued.Thumbprint);
  await allServe(renewedThumbprint);
  for (const [service, s] of Object.entries(served(rootFile))) assert.equal(s.verify, '0 (ok)', service);
  assert.equal(await metric('mailroom_acme_renewal_failing'), 0);
  // The replaced certificate is gone; setup's and the renewed one remain.
  const thumbprints = [JSON.parse(cmd('Get-ExchangeCertificate', '--json').stdout)].flat().map((c: { Thumbprint: string }) => c.Thumbprint);
  assert.equal(thumbprints.length, 2);
  assert.ok(thumbprints.includes(renewedThumbprint) && !thumbprints.includes(issued.Thumbprint));

  // With the CA gone, the next renewal fails: a log line that says so, and the metrics.
  await pebble.stopCa();
  await server.waitFor(/ACME: renewing the certificate for mail01\.contoso\.com, imap\.contoso\.com failed \(attempt 1\): [^"]*cannot reach the CA/, VALIDITY_SECONDS * 1000);
  assert.ok((await metric('mailroom_acme_renewal_failures_total'))! >= 1);
  assert.equal(await metric('mailroom_acme_renewal_failing'), 1);
  // The certificate in place is still served.
  assert.equal(served().imap.thumbprint, renewedThumbprint);
});

test('New-AcmeCertificate -ChallengeType TlsAlpn01 is validated on port 443 when port 80 is closed', { skip }, async () => {
  // A CA whose HTTP-01 port leads nowhere: only TLS-ALPN-01 on Mailroom's 443 can succeed.
  alpnPebble = await startPebble({ dir: join(data.path, 'pebble-alpn'), httpPort: await freePort(), tlsPort: 443 + offset });
  const order = ['New-AcmeCertificate', '-Domains', 'alpn.contoso.com', '-Services', 'IIS', '-ChallengeType', 'TlsAlpn01', '-AcmeServer', alpnPebble.directoryUrl, '--json'];
  // The command runs the order: it trusts this pebble's listener.
  const alpnEnv = { ...env, NODE_EXTRA_CA_CERTS: alpnPebble.listenerCa };
  // A new account at a CA with terms of service needs them accepted; the command shows where they are.
  const refused = mailroom(order, alpnEnv);
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr, /accept its terms of service first: data:text\/plain,.*-AcceptTermsOfService/);
  const r = mailroom([...order, '-AcceptTermsOfService'], alpnEnv);
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}\n${alpnPebble.output().slice(-3000)}`);
  const issued = [JSON.parse(r.stdout)].flat()[0];
  assert.deepEqual(issued.CertificateDomains, ['alpn.contoso.com']);
  await server.waitFor(/ACME: answered a TLS-ALPN-01 challenge/);
  const rootFile = join(data.path, 'pebble-alpn-root.pem');
  writeFileSync(rootFile, await alpnPebble.root());
  let https = servedCertificate(443 + offset, { servername: 'alpn.contoso.com', caFile: rootFile });
  await eventually(() => {
    https = servedCertificate(443 + offset, { servername: 'alpn.contoso.com', caFile: rootFile });
    return https.thumbprint === issued.Thumbprint;
  }, 8000, 200).catch(() => assert.equal(https.thumbprint, issued.Thumbprint));
  assert.equal(https.verify, '0 (ok)');
  const managed = [JSON.parse(cmd('Get-AcmeCertificate', '--json').stdout)].flat().find((m: { Domains: string[] }) => m.Domains[0] === 'alpn.contoso.com');
  assert.equal(managed.ChallengeType, 'TlsAlpn01');
});
