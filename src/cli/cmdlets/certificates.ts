// New-ExchangeCertificate, Import-ExchangeCertificate, Enable-ExchangeCertificate,
// Get-ExchangeCertificate, Remove-ExchangeCertificate.
import { readFileSync } from 'node:fs';
import { createSelfSignedCertificate, decryptPrivateKey, describeCertificate, pemBlocks, RSA_KEY_SIZES } from '../../lib/certificates.ts';
import type { Certificate, Directory } from '../../directory/directory.ts';
import { certificateWarnings, servedCertificates, type CertificateScene } from '../../certificates/choice.ts';
import { forgetAcmeCertificate } from '../../certificates/acme.ts';
import type { Cmdlet, CmdletContext, OutputObject } from '../cmdlet.ts';

export const CERTIFICATE_SERVICES = ['None', 'IMAP', 'POP', 'SMTP', 'IIS'] as const;

function show(c: Certificate): OutputObject {
  return {
    Thumbprint: c.thumbprint, Subject: c.subject, Issuer: c.issuer, CertificateDomains: c.names,
    NotBefore: c.notBefore, NotAfter: c.notAfter, Services: c.services.length ? c.services.join(', ') : 'None',
    IsSelfSigned: c.selfSigned, Server: c.server,
  };
}

function servicesOf(value: unknown): string[] {
  return ((value as string[] | undefined) ?? []).filter((s) => s !== 'None');
}

/** What the server's services choose their certificates from, as the running server reads it. */
export async function certificateScene(directory: Directory, serverName: string): Promise<CertificateScene> {
  const server = await directory.server(serverName);
  return {
    server,
    certificates: await directory.certificates(server.name),
    popSettings: await directory.settings('PopSettings', server.name),
    imapSettings: await directory.settings('ImapSettings', server.name),
    receiveConnectors: await directory.receiveConnectors(server.name),
  };
}

/** Warns when `services` now serve a certificate that is expired or misses a name clients use. */
export async function warnAboutServedCertificates(ctx: CmdletContext, serverName: string, services: readonly string[]): Promise<void> {
  if (services.length === 0) return;
  for (const warning of certificateWarnings(await certificateScene(ctx.directory, serverName), services)) ctx.warn(warning);
}

/** Tells which certificate each exclusive service was taken from. */
function reportDisplaced(ctx: CmdletContext, before: Certificate[], thumbprint: string, services: readonly string[]): void {
  for (const service of services.filter((x) => x === 'IIS' || x === 'POP' || x === 'IMAP')) {
    const previous = before.find((c) => c.thumbprint !== thumbprint && c.services.includes(service));
    if (previous) ctx.warn(`${service} now uses this certificate instead of ${previous.thumbprint} (${previous.names.join(', ')}).`);
  }
}

export const certificateCmdlets: Cmdlet[] = [
  {
    name: 'New-ExchangeCertificate',
    synopsis: 'Creates a self-signed certificate for the given names.',
    parameters: [
      { name: 'DomainName', kind: 'string', multi: true, help: 'Host names; the server FQDN when omitted.' },
      { name: 'SubjectName', kind: 'string', help: 'X.500 subject such as "c=US, o=Contoso, cn=mail.contoso.com"; its CN becomes the first name.' },
      { name: 'Services', kind: 'enum', multi: true, values: CERTIFICATE_SERVICES, help: 'Services to use it for right away.' },
      { name: 'Server', kind: 'string', help: 'Server; this server when omitted (MAILROOM_SERVER, or the host name).' },
      { name: 'PrivateKeyExportable', kind: 'bool', help: '$false only: the private key never leaves the server (there is no Export-ExchangeCertificate).' },
      { name: 'KeySize', kind: 'int', help: 'An RSA key of 2048, 3072 or 4096 bits; an ECDSA P-256 key (smaller and faster, for every current client) when omitted.' },
    ],
    examples: ['New-ExchangeCertificate -DomainName mail.contoso.com,autodiscover.contoso.com -Services POP,IMAP,SMTP,IIS'],
    async run(args, ctx) {
      if (args.PrivateKeyExportable === true) {
        throw new Error('-PrivateKeyExportable $true is not supported: Mailroom keeps private keys sealed on the server and has no Export-ExchangeCertificate. To use a certificate elsewhere, create the key there and import the certificate here with Import-ExchangeCertificate.');
      }
      const keySize = args.KeySize as number | undefined;
      if (keySize !== undefined && !(RSA_KEY_SIZES as readonly number[]).includes(keySize)) {
        throw new Error(`-KeySize must be ${RSA_KEY_SIZES.join(', ')} (RSA bits), or left out for an ECDSA P-256 key (got ${keySize}).`);
      }
      const server = await ctx.directory.server(args.Server as string | undefined);
      const cn = /(?:^|,)\s*cn=([^,]+)/i.exec(String(args.SubjectName ?? ''))?.[1]?.trim();
      const names = [...new Set([...(cn ? [cn] : []), ...((args.DomainName as string[] | undefined) ?? [])])];
      const material = await createSelfSignedCertificate(names.length ? names : [server.fqdn], undefined, keySize);
      return [show(await addWithServices(ctx, { ...material, server: server.name, services: servicesOf(args.Services) }))];
    },
  },
  {
    name: 'Import-ExchangeCertificate',
    synopsis: 'Imports a PEM certificate (chain) and its private key.',
    parameters: [
      { name: 'FileName', kind: 'string', required: true, help: 'PEM file with the certificate chain, and the key unless -PrivateKeyFileName is given.' },
      { name: 'PrivateKeyFileName', kind: 'string', help: 'PEM file with the private key.' },
      { name: 'Services', kind: 'enum', multi: true, values: CERTIFICATE_SERVICES, help: 'Services to use it for right away.' },
      { name: 'Server', kind: 'string', help: 'Server; this server when omitted (MAILROOM_SERVER, or the host name).' },
      { name: 'Password', kind: 'secret', help: 'Password of an encrypted private key (-----BEGIN ENCRYPTED PRIVATE KEY----- or OpenSSL\'s legacy Proc-Type: 4,ENCRYPTED); the key is stored sealed, without it.' },
    ],
    examples: ['Import-ExchangeCertificate -FileName /etc/ssl/mail.contoso.com/fullchain.pem -PrivateKeyFileName /etc/ssl/mail.contoso.com/privkey.pem -Services POP,IMAP,SMTP'],
    async run(args, ctx) {
      const server = await ctx.directory.server(args.Server as string | undefined);
      const read = (p: string, param: string) => {
        try {
          return readFileSync(p, 'utf8');
        } catch (e) {
          throw new Error(`-${param}: cannot read ${p} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`);
        }
      };
      const certText = read(args.FileName as string, 'FileName');
      const keyText = args.PrivateKeyFileName ? read(args.PrivateKeyFileName as string, 'PrivateKeyFileName') : certText;
      const chain = pemBlocks(certText, ['-----BEGIN CERTIFICATE-----'], ['-----END CERTIFICATE-----']);
      const keyMarkers = (edge: string) => ['', 'RSA ', 'EC ', 'ENCRYPTED '].map((kind) => `-----${edge} ${kind}PRIVATE KEY-----`);
      const [found] = pemBlocks(keyText, keyMarkers('BEGIN'), keyMarkers('END'));
      if (chain.length === 0) throw new Error('-FileName holds no PEM certificate.');
      if (!found) throw new Error('No PEM private key found; give it with -PrivateKeyFileName.');
      const encrypted = found.includes('ENCRYPTED');
      if (encrypted && args.Password === undefined) throw new Error('The private key is encrypted: give its password with -Password.');
      const key = args.Password !== undefined ? decryptPrivateKey(found, String(args.Password)) : found;
      const material = describeCertificate(chain.join(''), key);
      return [show(await addWithServices(ctx, { ...material, server: server.name, services: servicesOf(args.Services) }))];
    },
  },
  {
    name: 'Enable-ExchangeCertificate',
    synopsis: 'Assigns a certificate to services (POP, IMAP, SMTP, IIS): it becomes the certificate of IIS, POP and IMAP, and one SMTP chooses from by connector FQDN. Running services switch within a second.',
    parameters: [
      { name: 'Thumbprint', kind: 'string', positional: 0, required: true, aliases: ['Identity'], help: 'Thumbprint from Get-ExchangeCertificate.' },
      { name: 'Services', kind: 'enum', multi: true, values: CERTIFICATE_SERVICES, required: true, help: 'POP, IMAP, SMTP, IIS.' },
      { name: 'Server', kind: 'string', help: 'The server the certificate belongs to; refused when it has no certificate with this thumbprint.' },
      { name: 'Force', kind: 'switch', help: 'Replaces the certificate a service had without asking, as Exchange does with -Force; Mailroom never asks.' },
      { name: 'DoNotRequireSsl', kind: 'switch', help: 'Not supported: the web service always moves sign-in and the pages to HTTPS.' },
    ],
    examples: ['Enable-ExchangeCertificate -Thumbprint 5113AE0233A72FCCB75DE2D6C1E0F1A8B1A5D4E2 -Services POP,IMAP'],
    async run(args, ctx) {
      if (args.DoNotRequireSsl === true) {
        throw new Error('-DoNotRequireSsl is not supported: Mailroom\'s web service always moves sign-in and the pages to HTTPS, whatever certificate it serves.');
      }
      const services = servicesOf(args.Services);
      const server = args.Server !== undefined ? (await ctx.directory.server(args.Server as string)).name : undefined;
      const certificates = await ctx.directory.certificates(server);
      const wanted = (args.Thumbprint as string).replace(/[\s:]/g, '');
      const cert = certificates.find((c) => c.thumbprint.toLowerCase() === wanted.toLowerCase());
      if (server !== undefined && !cert) throw new Error(`Server ${server} has no certificate with thumbprint ${args.Thumbprint as string}. Get-ExchangeCertificate -Server ${server} lists them.`);
      if (cert && services.length > 0 && cert.names.some((n) => n.startsWith('*.')) && services.some((s) => s === 'POP' || s === 'IMAP')) {
        ctx.warn('This is a wildcard certificate. Exchange refuses these for POP and IMAP; Mailroom allows them, but set -X509CertificateName so clients see a matching name.');
      }
      const before = await ctx.directory.certificates(cert?.server);
      const enabled = await ctx.directory.enableCertificate(wanted, services);
      reportDisplaced(ctx, before, enabled.thumbprint, services);
      await warnAboutServedCertificates(ctx, enabled.server, services);
      return [show(enabled)];
    },
  },
  {
    name: 'Get-ExchangeCertificate',
    synopsis: 'Lists certificates and the services they are assigned to.',
    parameters: [
      { name: 'Thumbprint', kind: 'string', positional: 0, aliases: ['Identity'], help: 'Only this certificate.' },
      { name: 'Server', kind: 'string', help: 'Only the certificates of this server.' },
    ],
    async run(args, ctx) {
      const all = await ctx.directory.certificates(args.Server as string | undefined);
      return all.filter((c) => !args.Thumbprint || c.thumbprint.toLowerCase() === String(args.Thumbprint).toLowerCase()).map(show);
    },
  },
  {
    name: 'Remove-ExchangeCertificate',
    synopsis: 'Deletes a certificate and its private key. Refused while a service would be left without a certificate.',
    parameters: [
      { name: 'Thumbprint', kind: 'string', positional: 0, required: true, aliases: ['Identity'], help: 'Thumbprint from Get-ExchangeCertificate.' },
      { name: 'Server', kind: 'string', help: 'Only a certificate of this server.' },
    ],
    examples: ['Remove-ExchangeCertificate -Thumbprint 5113AE0233A72FCCB75DE2D6C1E0F1A8B1A5D4E2'],
    async run(args, ctx) {
      const wanted = (args.Thumbprint as string).replace(/[\s:]/g, '').toLowerCase();
      const server = args.Server !== undefined ? (await ctx.directory.server(args.Server as string)).name : undefined;
      const cert = (await ctx.directory.certificates(server)).find((c) => c.thumbprint.toLowerCase() === wanted);
      if (!cert) throw new Error(`There is no certificate with thumbprint ${args.Thumbprint as string}. Get-ExchangeCertificate lists them.`);
      // Exchange refuses to remove the certificate transport depends on until another takes
      // over; here every service is checked: what it serves now, and what it would serve after.
      const scene = await certificateScene(ctx.directory, cert.server);
      const before = servedCertificates(scene);
      const after = servedCertificates({ ...scene, certificates: scene.certificates.filter((c) => c.thumbprint !== cert.thumbprint) });
      const label = (s: { service: string; connector?: string }) => (s.connector ? `SMTP (receive connector "${s.connector}")` : s.service);
      const stranded = before.filter((s, i) => s.certificate?.thumbprint === cert.thumbprint && !after[i]!.certificate);
      if (stranded.length > 0) {
        throw new Error(`The certificate ${cert.thumbprint} is the only one ${stranded.map(label).join(', ')} can use; removing it would leave them without TLS. Import or create another certificate and enable it (Enable-ExchangeCertificate) first.`);
      }
      for (const [i, s] of before.entries()) {
        const next = after[i]!.certificate;
        if (s.certificate?.thumbprint === cert.thumbprint && next) ctx.warn(`${label(s)} will use certificate ${next.thumbprint} (${next.names.join(', ')}).`);
      }
      await ctx.directory.removeCertificate(cert.thumbprint);
      // A certificate from an ACME CA is no longer renewed once removed.
      await forgetAcmeCertificate(ctx.directory, cert.thumbprint);
      for (const warning of certificateWarnings({ ...scene, certificates: scene.certificates.filter((c) => c.thumbprint !== cert.thumbprint) }, cert.services)) ctx.warn(warning);
    },
  },
];

/** Stores a new certificate with its -Services, reporting what it displaced and what it misses. */
async function addWithServices(ctx: CmdletContext, cert: Certificate): Promise<Certificate> {
  const before = await ctx.directory.certificates(cert.server);
  await ctx.directory.addCertificate(cert);
  reportDisplaced(ctx, before, cert.thumbprint, cert.services);
  await warnAboutServedCertificates(ctx, cert.server, cert.services);
  return (await ctx.directory.certificates(cert.server)).find((c) => c.thumbprint === cert.thumbprint) ?? cert;
}
