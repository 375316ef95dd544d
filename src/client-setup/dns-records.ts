// The DNS records that let mail clients and other servers find this organization, built from
// the same settings the web pages publish: RFC 6186 SRV records for IMAP and POP3, RFC 8314
// for submission over implicit TLS, the autoconfig/autodiscover names, MX, SPF and DKIM.
import { isIP } from 'node:net';
import type { Endpoint, SetupSettings } from './settings.ts';

export interface DnsRecordsInput {
  domain: string;
  settings: SetupSettings;
  /** Host that serves autoconfig and Autodiscover (the web service). */
  webHost: string;
  /** Host that receives the domain's mail on port 25. */
  mxHost: string;
  serverName: string;
  /** A DKIM TXT record to publish, when the SMTP service has made a key. */
  dkim?: { selector: string; value: string };
  ttl?: number;
}

interface Row {
  name: string;
  type: string;
  data: string;
  note?: string;
}

const fqdn = (host: string) => (host.endsWith('.') ? host : `${host}.`);

/**
 * RFC 6186 §3.4: clients compare priorities across _imaps/_imap/_pop3s/_pop3, lowest first; so
 * implicit TLS is preferred to STARTTLS and IMAP to POP3. RFC 8314 does the same for
 * _submissions over _submission.
 */
const SERVICES = [
  { label: '_imaps', protocol: 'imap', tls: true, priority: 0 },
  { label: '_imap', protocol: 'imap', tls: false, priority: 10 },
  { label: '_pop3s', protocol: 'pop', tls: true, priority: 20 },
  { label: '_pop3', protocol: 'pop', tls: false, priority: 30 },
  { label: '_submissions', protocol: 'smtp', tls: true, priority: 0 },
  { label: '_submission', protocol: 'smtp', tls: false, priority: 10 },
] as const;

function srvRows(input: DnsRecordsInput): Row[] {
  const rows: Row[] = [];
  for (const s of SERVICES) {
    const name = `${s.label}._tcp.${fqdn(input.domain)}`;
    const matching = (input.settings.endpoints[s.protocol] as readonly Endpoint[]).filter((e) => (e.encryption === 'SSL') === s.tls);
    if (matching.length === 0) {
      // RFC 6186 §4: a target of "." says the service is not offered, so clients stop looking.
      rows.push({ name, type: 'SRV', data: '0 0 0 .', note: 'not offered' });
      continue;
    }
    for (const e of matching) {
      if (isIP(e.host) !== 0) {
        rows.push({ name, type: 'SRV', data: `${s.priority} 1 ${e.port} .`, note: `the setting names the address ${e.host}; SRV targets must be host names` });
      } else {
        rows.push({ name, type: 'SRV', data: `${s.priority} 1 ${e.port} ${fqdn(e.host)}` });
      }
    }
  }
  return rows;
}

export function dnsRecords(input: DnsRecordsInput): string {
  const ttl = input.ttl ?? 3600;
  const domain = fqdn(input.domain);
  const rows: Row[] = [
    ...srvRows(input),
    { name: `autoconfig.${domain}`, type: 'CNAME', data: fqdn(input.webHost), note: 'Thunderbird, K-9 / Thunderbird for Android' },
    { name: `autodiscover.${domain}`, type: 'CNAME', data: fqdn(input.webHost), note: 'Outlook, Windows Mail' },
    { name: `_autodiscover._tcp.${domain}`, type: 'SRV', data: `0 0 443 ${fqdn(input.webHost)}` },
    { name: domain, type: 'MX', data: `10 ${fqdn(input.mxHost)}` },
    { name: domain, type: 'TXT', data: '"v=spf1 mx -all"', note: 'add any other host that sends mail for the domain before -all' },
  ];
  if (input.dkim) rows.push({ name: `${input.dkim.selector}._domainkey.${domain}`, type: 'TXT', data: input.dkim.value });
  const nameWidth = Math.max(...rows.map((r) => r.name.length));
  const typeWidth = Math.max(...rows.map((r) => r.type.length));
  const source = input.settings.source === 'external'
    ? 'the published settings (ExternalConnectionSettings; connectors with AdvertiseClientSettings $true)'
    : 'the internal settings, because nothing is published yet (set ExternalConnectionSettings and AdvertiseClientSettings to publish)';
  const lines = [
    `; ${input.domain}: records for mail clients and servers, from ${source} of server ${input.serverName}.`,
    ...rows.map((r) => `${r.name.padEnd(nameWidth)} ${ttl} IN ${r.type.padEnd(typeWidth)} ${r.data}${r.note ? `   ; ${r.note}` : ''}`),
  ];
  if (!input.dkim) {
    lines.push(`; DKIM: no signing key for ${input.domain} yet. Create one with: mailroom New-DkimSigningKey -Domain ${input.domain}`);
  }
  return lines.join('\n');
}
