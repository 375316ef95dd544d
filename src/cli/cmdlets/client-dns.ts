// Get-ClientDnsRecords: the DNS records to publish so mail clients set themselves up (RFC 6186 and
// RFC 8314 SRV, autoconfig/autodiscover) and other servers deliver and trust the domain's mail
// (MX, SPF, DKIM). Built from the same published settings as the web pages and autoconfig.
import { isIP } from 'node:net';
import { parseBinding } from '../../config/endpoints.ts';
import { readClientSettings, setupSettings } from '../../client-setup/settings.ts';
import { dnsRecords } from '../../client-setup/dns-records.ts';
import { dkimTxtRecord, signingKey } from '../../smtp/dkim/dkim-keys.ts';
import type { Cmdlet } from '../cmdlet.ts';

export const clientDnsCmdlets: Cmdlet[] = [
  {
    name: 'Get-ClientDnsRecords',
    synopsis: 'Prints the SRV, CNAME, MX, SPF and DKIM records to publish for mail clients, from the published client settings.',
    parameters: [
      { name: 'Domain', kind: 'string', positional: 0, help: 'Accepted domain to print records for; every accepted domain when omitted.' },
      { name: 'Server', kind: 'string', help: 'Server whose settings are published; this server when omitted (MAILROOM_SERVER, or the host name).' },
    ],
    examples: ['Get-ClientDnsRecords', 'Get-ClientDnsRecords -Domain contoso.com'],
    async run(args, ctx) {
      const server = await ctx.directory.server(args.Server as string | undefined);
      const accepted = (await ctx.directory.acceptedDomains()).map((d) => d.name);
      const wanted = args.Domain ? [String(args.Domain).toLowerCase()] : accepted;
      for (const d of wanted) {
        if (!accepted.includes(d)) throw new Error(`-Domain: ${d} is not an accepted domain (accepted: ${accepted.join(', ')}).`);
      }
      const settings = setupSettings(await readClientSettings(ctx.directory, server.name));
      const connectors = await ctx.directory.receiveConnectors(server.name);
      // Inbound mail arrives on the connector that takes anonymous mail on port 25.
      const inbound = connectors.find((c) => c.settings.Enabled === true
        && (c.settings.PermissionGroups as string[]).includes('AnonymousUsers')
        && (c.settings.Bindings as string[]).some((b) => parseBinding(b)?.port === 25));
      const mxHost = inbound ? String(inbound.settings.Fqdn) : server.fqdn;
      // The web service answers autoconfig and Autodiscover on the host clients already use.
      const named = [...settings.endpoints.imap, ...settings.endpoints.pop, ...settings.endpoints.smtp].find((e) => isIP(e.host) === 0);
      const webHost = named?.host ?? server.fqdn;
      if (settings.source === 'internal') {
        ctx.warn('Nothing is published for clients outside the network yet; the records below use the internal settings. Publish with Set-ImapSettings/Set-PopSettings -ExternalConnectionSettings and Set-ReceiveConnector -AdvertiseClientSettings $true.');
      }
      const blocks: string[] = [];
      for (const domain of wanted) {
        const key = await signingKey(ctx.directory, domain);
        // DNS wants TXT data in quoted strings of at most 255 octets each.
        const dkim = key ? { selector: key.selector, value: dkimTxtRecord(key).strings.map((s) => `"${s}"`).join(' ') } : undefined;
        blocks.push(dnsRecords({ domain, settings, webHost, mxHost, serverName: server.name, ...(dkim ? { dkim } : {}) }));
      }
      return blocks.join('\n\n');
    },
  },
];
