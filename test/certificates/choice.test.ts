// The choice of served certificate and the warnings about it, as tables over made-up
// certificates (no I/O in certificates/choice.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Certificate, Server } from '../../src/directory/directory.ts';
import { certificateWarnings, pickCertificate, type CertificateScene } from '../../src/certificates/choice.ts';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const day = 86400_000;

function cert(thumbprint: string, names: string[], services: string[], o: { selfSigned?: boolean; from?: number; to?: number } = {}): Certificate {
  return {
    thumbprint, server: 'MAIL01', subject: `CN=${names[0]}`, issuer: o.selfSigned === false ? 'CN=CA' : `CN=${names[0]}`, names,
    notBefore: new Date(NOW + (o.from ?? -10) * day).toISOString(), notAfter: new Date(NOW + (o.to ?? 300) * day).toISOString(),
    services, selfSigned: o.selfSigned ?? true, certPem: '', keyPem: '',
  };
}

const setup = cert('SETUP', ['mail01.contoso.com', 'mail01', 'localhost'], ['SMTP'], { from: -1 });
const real = cert('REAL', ['mail.contoso.com', 'imap.contoso.com'], ['IMAP', 'POP', 'IIS', 'SMTP'], { selfSigned: false, from: -30 });
const other = cert('OTHER', ['other.contoso.com'], [], { from: 0 });
const expired = cert('OLD', ['mail.contoso.com'], ['SMTP'], { selfSigned: false, from: -400, to: -1 });
const wildcard = cert('WILD', ['*.contoso.com'], ['SMTP'], { selfSigned: false, to: 100 });

const cases: [string, Certificate[], Parameters<typeof pickCertificate>[1], string | null, boolean, string | undefined][] = [
  ['the enabled one, although setup’s is newer', [setup, real, other], 'IMAP', null, true, 'REAL'],
  ['X509CertificateName picks by name', [setup, real, other], 'IMAP', 'other.contoso.com', true, 'OTHER'],
  ['X509CertificateName nobody covers: the enabled one', [setup, real], 'POP', 'nowhere.contoso.com', true, 'REAL'],
  ['SMTP: the enabled one covering the FQDN', [setup, real], 'SMTP', 'mail01.contoso.com', false, 'SETUP'],
  ['SMTP: CA-issued before self-signed', [setup, real, cert('S2', ['mail.contoso.com'], ['SMTP'])], 'SMTP', 'mail.contoso.com', false, 'REAL'],
  ['SMTP: expired ones last', [expired, cert('S3', ['mail.contoso.com'], ['SMTP'])], 'SMTP', 'mail.contoso.com', false, 'S3'],
  ['SMTP: the one valid longest', [real, wildcard], 'SMTP', 'mail.contoso.com', false, 'REAL'],
  ['SMTP FQDN is not explicit: no unenabled cert by name', [setup, other], 'SMTP', 'other.contoso.com', false, 'SETUP'],
  ['TlsCertificateName is explicit', [setup, other], 'SMTP', 'other.contoso.com', true, 'OTHER'],
  ['nothing enabled: any valid one', [other, expired], 'IIS', null, false, 'OTHER'],
  ['only an expired one: still served', [expired], 'IMAP', null, false, 'OLD'],
  ['none', [], 'IMAP', null, false, undefined],
];

for (const [name, certs, service, wanted, explicit, expected] of cases) {
  test(`pickCertificate: ${name}`, () => {
    assert.equal(pickCertificate(certs, service, wanted, explicit, NOW)?.thumbprint, expected);
  });
}

const server: Server = { name: 'MAIL01', fqdn: 'mail.contoso.com' } as Server;
const scene = (certificates: Certificate[], external: string[] = [], x509: string | null = null): CertificateScene => ({
  server, certificates,
  popSettings: { ExternalConnectionSettings: external, X509CertificateName: x509 },
  imapSettings: { ExternalConnectionSettings: external, X509CertificateName: x509 },
  receiveConnectors: [{ identity: 'MAIL01\\Client Frontend MAIL01', server: 'MAIL01', name: 'Client Frontend MAIL01', settings: { Enabled: true, Fqdn: 'mail.contoso.com', TlsCertificateName: null } }],
});

test('certificateWarnings: none when the served certificates cover the names', () => {
  assert.deepEqual(certificateWarnings(scene([real], ['imap.contoso.com:993:SSL']), undefined, NOW), []);
});

test('certificateWarnings: a published host the certificate misses, per service', () => {
  const w = certificateWarnings(scene([real], ['pop.contoso.com:995:SSL', '[2001:db8::1]:995:SSL']), ['POP'], NOW);
  assert.equal(w.length, 1);
  assert.match(w[0]!, /^POP serves certificate REAL \(mail\.contoso\.com, imap\.contoso\.com\), which does not cover pop\.contoso\.com, 2001:db8::1;/);
});

test('certificateWarnings: the FQDN when nothing is published, and an expired certificate', () => {
  const w = certificateWarnings(scene([cert('X', ['elsewhere.example'], ['IMAP', 'POP', 'IIS', 'SMTP'], { to: -2 })]), undefined, NOW);
  assert.ok(w.some((x) => /^IMAP serves certificate X, which expired on /.test(x)));
  assert.ok(w.some((x) => /^SMTP \(receive connector "Client Frontend MAIL01"\) serves certificate X .* does not cover mail\.contoso\.com/.test(x)));
  assert.ok(w.some((x) => /^IIS serves certificate X .* does not cover mail\.contoso\.com/.test(x)));
});

test('certificateWarnings: a wildcard covers one label only', () => {
  assert.deepEqual(certificateWarnings(scene([cert('W', ['*.contoso.com'], ['IMAP', 'POP', 'IIS', 'SMTP'])], ['imap.contoso.com:993:SSL']), ['IMAP'], NOW), []);
  assert.equal(certificateWarnings(scene([cert('W', ['*.contoso.com'], ['IMAP', 'POP', 'IIS', 'SMTP'])], ['a.b.contoso.com:993:SSL']), ['IMAP'], NOW).length, 1);
});
