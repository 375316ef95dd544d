// New-AcmeCertificate and Get-AcmeCertificate: Mailroom's own cmdlets (Exchange has none) for
// certificates from an ACME certificate authority such as Let's Encrypt (RFC 8555).
import { certificateCovers } from '../../lib/certificates.ts';
import { LETS_ENCRYPT } from '../../lib/acme/messages.ts';
import type { Cmdlet } from '../cmdlet.ts';
import { certificateScene, warnAboutServedCertificates } from './certificates.ts';

// The ACME client and its metrics load when an ACME cmdlet runs, not with every admin command.
const acme = () => import('../../certificates/acme.ts');

const SERVICES = ['IMAP', 'POP', 'SMTP', 'IIS'] as const;

/** A DNS name a public CA can issue for: no IP literals, no single-label names. */
function isDnsName(name: string): boolean {
  return name.includes('.') && !name.includes(':') && ![...name].every((c) => (c >= '0' && c <= '9') || c === '.');
}

export const acmeCmdlets: Cmdlet[] = [
  {
    name: 'New-AcmeCertificate',
    synopsis: "Mailroom's own (not in Exchange): gets a certificate from an ACME certificate authority (Let's Encrypt by default), answering its HTTP-01 challenge on port 80 (or TLS-ALPN-01 on 443) through the running web service, and enables it for the services. The running server renews it at two thirds of its lifetime.",
    parameters: [
      { name: 'Domains', kind: 'string', multi: true, help: "Host names; by default the names clients are given: the POP and IMAP ExternalConnectionSettings hosts, the receive connectors' FQDNs and the server FQDN." },
      { name: 'AcmeServer', kind: 'string', help: `The CA's ACME directory URL; ${LETS_ENCRYPT} when omitted.` },
      { name: 'Services', kind: 'enum', multi: true, values: SERVICES, help: 'Services to enable it for; IMAP, POP, SMTP and IIS when omitted.' },
      { name: 'Contact', kind: 'string', help: 'E-mail address the CA may write to about the account (expiry notices, policy changes).' },
      { name: 'ChallengeType', kind: 'enum', values: ['Http01', 'TlsAlpn01'], help: 'How the CA checks the names: Http01 (port 80, the default) or TlsAlpn01 (port 443, RFC 8737, for servers whose port 80 is closed). Renewals use the same.' },
      { name: 'AcceptTermsOfService', kind: 'switch', help: "Accepts the CA's terms of service, which Let's Encrypt requires; the command shows their URL when they are needed." },
      { name: 'Server', kind: 'string', help: 'Server; this server when omitted (MAILROOM_SERVER, or the host name). Its web service must be running and reachable on port 80 under every name.' },
    ],
    examples: [
      'New-AcmeCertificate -Contact hostmaster@contoso.com -AcceptTermsOfService',
      'New-AcmeCertificate -Domains mail.contoso.com,autodiscover.contoso.com -Services IMAP,POP,SMTP -Contact hostmaster@contoso.com -AcceptTermsOfService',
      'New-AcmeCertificate -ChallengeType TlsAlpn01 -AcceptTermsOfService',
    ],
    async run(args, ctx) {
      const server = await ctx.directory.server(args.Server as string | undefined);
      const scene = await certificateScene(ctx.directory, server.name);
      let domains = (args.Domains as string[] | undefined)?.map((d) => d.trim().toLowerCase()).filter((d) => d.length > 0);
      if (!domains?.length) {
        const hosts = (settings: unknown) => ((settings as string[] | undefined) ?? []).map((s) => s.trim().split(':')[0]!.toLowerCase());
        domains = [...new Set([
          server.fqdn.toLowerCase(),
          ...hosts(scene.imapSettings.ExternalConnectionSettings), ...hosts(scene.popSettings.ExternalConnectionSettings),
          ...scene.receiveConnectors.map((c) => String(c.settings.Fqdn ?? '').toLowerCase()),
        ])].filter(isDnsName);
        if (domains.length === 0) throw new Error(`No published host name to ask for: set the server's FQDN or -ExternalConnectionSettings, or give -Domains.`);
      }
      const bad = domains.filter((d) => !isDnsName(d) || d.startsWith('*.'));
      if (bad.length > 0) throw new Error(`-Domains: ${bad.join(', ')} cannot be validated over HTTP-01 (it needs DNS host names; wildcards need DNS-01, which Mailroom does not do).`);
      const directoryUrl = (args.AcmeServer as string | undefined) ?? LETS_ENCRYPT;
      let parsed: URL;
      try {
        parsed = new URL(directoryUrl);
      } catch {
        throw new Error(`-AcmeServer must be the CA's directory URL, such as ${LETS_ENCRYPT}.`);
      }
      if (parsed.protocol !== 'https:') throw new Error('-AcmeServer must be an https:// URL (RFC 8555 §6.1).');
      const services = ((args.Services as string[] | undefined) ?? [...SERVICES]).filter((s) => s !== 'None');
      const contact = (args.Contact as string | undefined) ?? null;
      if (contact !== null && (!contact.includes('@') || contact.includes(' '))) throw new Error('-Contact must be an e-mail address.');
      const challenge = args.ChallengeType === 'TlsAlpn01' ? 'tls-alpn-01' as const : 'http-01' as const;
      const { AcmeTermsError, issueAcmeCertificate } = await acme();
      let cert;
      try {
        cert = await issueAcmeCertificate(ctx.directory, {
          serverName: server.name, domains, directoryUrl, services, contact, agreeTerms: args.AcceptTermsOfService === true, challenge,
        });
      } catch (err) {
        if (err instanceof AcmeTermsError) throw err;
        const message = err instanceof Error ? err.message : String(err);
        const how = challenge === 'http-01' ? 'by fetching http://NAME/.well-known/acme-challenge/… on port 80' : 'by a TLS connection to NAME on port 443 (TLS-ALPN-01)';
        throw new Error(`${message}\nThe CA checks each name ${how}: the web service of ${server.name} must be running (Get-Service web) and every name must resolve to this server.`);
      }
      await warnAboutServedCertificates(ctx, server.name, services);
      const uncovered = domains.filter((d) => !certificateCovers(cert.names, d));
      if (uncovered.length) ctx.warn(`The CA left out ${uncovered.join(', ')}.`);
      return [{
        Thumbprint: cert.thumbprint, Subject: cert.subject, Issuer: cert.issuer, CertificateDomains: cert.names,
        NotBefore: cert.notBefore, NotAfter: cert.notAfter, Services: cert.services.join(', ') || 'None', AcmeServer: directoryUrl,
      }];
    },
  },
  {
    name: 'Get-AcmeCertificate',
    synopsis: "Mailroom's own (not in Exchange): lists the certificates the server renews from an ACME certificate authority, and when.",
    parameters: [{ name: 'Server', kind: 'string', help: 'Only those of this server.' }],
    async run(args, ctx) {
      const { acmeRecords } = await acme();
      const records = await acmeRecords(ctx.directory, args.Server as string | undefined);
      const certificates = await ctx.directory.certificates();
      return records.map((r) => {
        const cert = certificates.find((c) => c.thumbprint === r.thumbprint);
        const renewAfter = cert ? new Date(Date.parse(cert.notBefore) + (Date.parse(cert.notAfter) - Date.parse(cert.notBefore)) * 2 / 3).toISOString() : null;
        return {
          Domains: r.domains, Server: r.server, AcmeServer: r.directoryUrl, Services: r.services.join(', '), Contact: r.contact,
          ChallengeType: r.challenge === 'tls-alpn-01' ? 'TlsAlpn01' : 'Http01', Thumbprint: r.thumbprint, NotAfter: cert?.notAfter ?? null, RenewAfter: renewAfter,
        };
      });
    },
  },
];
