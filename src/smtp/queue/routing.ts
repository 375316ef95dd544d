// Where mail for a remote domain goes: the send connector whose address space fits best, then its
// smart hosts or the domain's MX hosts (RFC 5321 §5.1: lowest preference first; no MX means the
// domain itself; a "null MX" of "." means the domain takes no mail, RFC 7505). Host names are
// resolved here, through the injectable resolver, so the SMTP client only ever gets addresses.
import { isIP } from 'node:net';
import type { DnsResolver, MxRecord } from '../dns.ts';
import { connectorFor, type SendConnector } from './send-connectors.ts';

export interface DeliveryTarget {
  /** The name to greet and to check the certificate against. */
  hostname: string;
  address: string;
  port: number;
}

/**
 * How much of the remote certificate is checked: nothing (opportunistic TLS, EncryptionOnly),
 * its chain up to a trusted CA (CertificateValidation), or its chain and its name
 * (DomainValidation, and always before a password is sent).
 */
export type CertificateCheck = 'none' | 'chain' | 'name';

export interface Route {
  /** Undefined when no send connector exists: DNS routing on port 25 (see docs/smtp.md). */
  connector: SendConnector | undefined;
  targets: DeliveryTarget[];
  requireTls: boolean;
  certificateCheck: CertificateCheck;
  /** The name the certificate must carry when certificateCheck is 'name'; the target's host name when absent. */
  tlsDomain?: string;
  auth?: { user: string; pass: string; requireTls: boolean };
  /** EHLO name. */
  fqdn?: string;
  inactivityTimeoutMs: number;
}

/** Routing failed: permanently (no such domain, null MX) or for now (DNS trouble). */
export class RoutingError extends Error {
  constructor(message: string, readonly permanent: boolean) {
    super(message);
    this.name = 'RoutingError';
  }
}

const notFound = (err: unknown) => ['ENOTFOUND', 'ENODATA', 'NXDOMAIN'].includes((err as { code?: string }).code ?? '');

async function addressesOf(resolver: DnsResolver, host: string): Promise<string[]> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return [bare];
  const out: string[] = [];
  for (const type of ['A', 'AAAA']) {
    try {
      out.push(...((await resolver(host, type)) as string[]));
    } catch (err) {
      if (!notFound(err)) throw err;
    }
  }
  return out;
}

async function mxHosts(resolver: DnsResolver, domain: string): Promise<string[]> {
  let records: MxRecord[];
  try {
    records = (await resolver(domain, 'MX')) as MxRecord[];
  } catch (err) {
    if (!notFound(err)) throw new RoutingError(`DNS lookup of ${domain} MX failed: ${(err as Error).message}`, false);
    records = [];
  }
  if (records.length === 1 && (records[0]!.exchange === '' || records[0]!.exchange === '.')) {
    throw new RoutingError(`${domain} does not accept mail (null MX, RFC 7505)`, true);
  }
  if (records.length === 0) return [domain];
  // Equal preferences are shuffled so the load spreads, as RFC 5321 §5.1 asks.
  return [...records]
    .map((r) => ({ r, tie: Math.random() }))
    .sort((a, b) => a.r.priority - b.r.priority || a.tie - b.tie)
    .map(({ r }) => r.exchange.replace(/\.$/, ''));
}

export async function routeFor(domain: string, connectors: readonly SendConnector[], resolver: DnsResolver): Promise<Route> {
  const connector = connectorFor(connectors, domain);
  const s = connector?.settings;
  const port = typeof s?.Port === 'number' ? s.Port : 25;
  const viaSmartHosts = s !== undefined && s.DNSRoutingEnabled === false;
  const hosts = viaSmartHosts ? (s.SmartHosts as string[]) : await mxHosts(resolver, domain);
  const targets: DeliveryTarget[] = [];
  let lookupError: unknown;
  for (const hostname of hosts) {
    try {
      for (const address of await addressesOf(resolver, hostname)) targets.push({ hostname: hostname.replace(/^\[|\]$/g, ''), address, port });
    } catch (err) {
      lookupError = err;
    }
  }
  if (targets.length === 0) {
    if (lookupError) throw new RoutingError(`DNS lookup for ${domain} failed: ${(lookupError as Error).message}`, false);
    throw new RoutingError(viaSmartHosts ? `no address for the smart hosts of "${connector!.name}"` : `${domain} has no mail server address (no MX, A or AAAA record)`, !viaSmartHosts);
  }
  const mechanism = s?.SmartHostAuthMechanism;
  const auth = viaSmartHosts && mechanism !== 'None' && s.AuthenticationUserName && s.AuthenticationPassword
    ? { user: String(s.AuthenticationUserName), pass: String(s.AuthenticationPassword), requireTls: true }
    : undefined;
  const level = s?.RequireTLS === true ? s.TlsAuthLevel : null;
  return {
    connector,
    targets,
    // Credentials travel only inside TLS with a verified certificate, whatever the mechanism's
    // name says: BasicAuth without TLS would hand the password to anyone on the path.
    requireTls: s?.RequireTLS === true || mechanism === 'BasicAuthRequireTLS' || auth !== undefined,
    certificateCheck: auth || level === 'DomainValidation' ? 'name' : level === 'CertificateValidation' ? 'chain' : 'none',
    ...(typeof s?.TlsDomain === 'string' && s.TlsDomain !== '' ? { tlsDomain: s.TlsDomain } : {}),
    ...(auth ? { auth } : {}),
    ...(typeof s?.Fqdn === 'string' && s.Fqdn !== '' ? { fqdn: s.Fqdn } : {}),
    inactivityTimeoutMs: (typeof s?.ConnectionInactivityTimeOut === 'number' ? s.ConnectionInactivityTimeOut : 600) * 1000,
  };
}
