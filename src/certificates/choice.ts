// Which certificate each service serves, as Exchange 2013 chooses it, and whether that
// certificate covers the names clients use.
//
// - IIS, POP and IMAP have one certificate each: the one last enabled for the service
//   (Enable-ExchangeCertificate takes the service away from the certificate that had it).
//   POP and IMAP use the certificate that covers X509CertificateName when it is set.
// - SMTP may have several: a receive connector uses the enabled one that covers its FQDN (or
//   its -TlsCertificateName), CA-issued before self-signed, the one valid longest first.
// - A service with no certificate enabled for it falls back to any valid certificate of the
//   server, so a server set up by an older version keeps serving TLS.
import type { Certificate, ReceiveConnector, Server } from '../directory/directory.ts';
import type { SettingsDocument } from '../config/model.ts';
import { certificateCovers, tlsCertificateHost } from '../lib/certificates.ts';

export type CertificateService = 'IMAP' | 'POP' | 'SMTP' | 'IIS';

/** The services that have exactly one certificate: enabling one for them displaces the other. */
export const EXCLUSIVE_SERVICES: readonly CertificateService[] = ['IIS', 'POP', 'IMAP'];

function isValid(c: Certificate, now: number): boolean {
  return Date.parse(c.notAfter) > now && Date.parse(c.notBefore) <= now + 5 * 60_000;
}

/** Valid first, then CA-issued before self-signed, then the one that stays valid longest. */
function ranked(list: Certificate[], now: number): Certificate[] {
  return [...list].sort((a, b) =>
    Number(isValid(b, now)) - Number(isValid(a, now))
    || Number(a.selfSigned) - Number(b.selfSigned)
    || Date.parse(b.notAfter) - Date.parse(a.notAfter)
    || Date.parse(b.notBefore) - Date.parse(a.notBefore));
}

/**
 * The certificate a service serves. `name` is X509CertificateName (POP, IMAP), the connector's
 * -TlsCertificateName or FQDN (SMTP); `explicit` says the admin named it (X509CertificateName,
 * TlsCertificateName), so a certificate covering it is used even if not enabled for the service.
 */
export function pickCertificate(
  certificates: Certificate[], service: CertificateService, name?: string | null, explicit = true, now = Date.now(),
): Certificate | undefined {
  const enabled = certificates.filter((c) => c.services.includes(service));
  const valid = certificates.filter((c) => isValid(c, now));
  if (name) {
    const covering = (list: Certificate[]) => ranked(list.filter((c) => certificateCovers(c.names, name)), now)[0];
    const named = covering(enabled.filter((c) => isValid(c, now))) ?? (explicit ? covering(valid) : undefined);
    if (named) return named;
  }
  return ranked(enabled, now)[0] ?? ranked(valid, now)[0] ?? ranked(certificates, now)[0];
}

/** What a server's certificates are chosen from and checked against. */
export interface CertificateScene {
  server: Server;
  certificates: Certificate[];
  popSettings: SettingsDocument;
  imapSettings: SettingsDocument;
  receiveConnectors: ReceiveConnector[];
}

/** One service's (or connector's) served certificate and the names its clients use. */
export interface ServedCertificate {
  service: CertificateService;
  /** The receive connector for SMTP. */
  connector?: string;
  certificate: Certificate | undefined;
  clientNames: string[];
}

/** Host names of Host:Port:Method connection settings. */
function hostsOf(settings: unknown): string[] {
  return ((settings as string[] | undefined) ?? []).map((s) => {
    const text = s.trim();
    // [IPv6]:port:method, else host:port:method.
    if (text.startsWith('[')) return text.slice(1, text.indexOf(']'));
    return text.split(':')[0]!;
  }).filter((h) => h.length > 0);
}

/** What every service serves on this server, and which names clients reach it by. */
export function servedCertificates(scene: CertificateScene, now = Date.now()): ServedCertificate[] {
  const fqdn = scene.server.fqdn;
  const out: ServedCertificate[] = [];
  for (const [service, settings] of [['IMAP', scene.imapSettings], ['POP', scene.popSettings]] as const) {
    const published = hostsOf(settings.ExternalConnectionSettings);
    const x509 = settings.X509CertificateName as string | null;
    out.push({
      service,
      certificate: pickCertificate(scene.certificates, service, x509, true, now),
      clientNames: [...new Set([...(published.length > 0 ? published : [fqdn]), ...(x509 ? [x509] : [])])],
    });
  }
  for (const connector of scene.receiveConnectors) {
    if (connector.server.toLowerCase() !== scene.server.name.toLowerCase() || connector.settings.Enabled === false) continue;
    const named = tlsCertificateHost(connector.settings.TlsCertificateName as string | null);
    const connectorFqdn = (connector.settings.Fqdn as string | null) || fqdn;
    out.push({
      service: 'SMTP',
      connector: connector.name,
      certificate: pickCertificate(scene.certificates, 'SMTP', named ?? connectorFqdn, named !== null, now),
      clientNames: [connectorFqdn],
    });
  }
  out.push({ service: 'IIS', certificate: pickCertificate(scene.certificates, 'IIS', null, false, now), clientNames: [fqdn] });
  return out;
}

/** Sentences for the admin about served certificates that are expired or miss a client name. */
export function certificateWarnings(scene: CertificateScene, services?: readonly string[], now = Date.now()): string[] {
  const warnings: string[] = [];
  for (const served of servedCertificates(scene, now)) {
    if (services && !services.includes(served.service)) continue;
    const what = served.connector ? `SMTP (receive connector "${served.connector}")` : served.service;
    const cert = served.certificate;
    if (!cert) continue;
    if (Date.parse(cert.notAfter) <= now) {
      warnings.push(`${what} serves certificate ${cert.thumbprint}, which expired on ${cert.notAfter}; clients will refuse it.`);
    }
    const missing = served.clientNames.filter((n) => !certificateCovers(cert.names, n));
    if (missing.length > 0) {
      warnings.push(`${what} serves certificate ${cert.thumbprint} (${cert.names.join(', ')}), which does not cover ${missing.join(', ')}; clients connecting by that name will see a name mismatch.`);
    }
  }
  return warnings;
}
