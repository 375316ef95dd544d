// Thunderbird autoconfig, config-v1.1.xml (protocols.md §4.3; draft-ietf-mailmaint-autoconfig).
// Served at /.well-known/autoconfig/mail/config-v1.1.xml and /mail/config-v1.1.xml on the
// autoconfig.<domain> host. Every entry is listed, implicit TLS first, so a client falls back
// to STARTTLS when a port is blocked. The user name is the email address, which is one of the
// logon name forms every Mailroom protocol accepts.
import type { Endpoint, SetupSettings } from './settings.ts';
import { element, escapeXml } from './xml.ts';

export interface AutoconfigInput {
  /** The accepted domains, the default first: the provider id and <domain> entries. */
  domains: readonly string[];
  organization: string;
  settings: SetupSettings;
}

const SOCKET_TYPE = { SSL: 'SSL', TLS: 'STARTTLS', '': 'plain' } as const;

function server(tag: 'incomingServer' | 'outgoingServer', type: string, e: Endpoint): string {
  return [
    `    <${tag} type="${type}">`,
    `      ${element('hostname', e.host)}`,
    `      ${element('port', e.port)}`,
    `      ${element('socketType', SOCKET_TYPE[e.encryption])}`,
    `      ${element('authentication', 'password-cleartext')}`,
    `      ${element('username', '%EMAILADDRESS%')}`,
    `    </${tag}>`,
  ].join('\n');
}

export function autoconfigXml(input: AutoconfigInput): string {
  const { endpoints } = input.settings;
  const id = input.domains[0] ?? 'localhost';
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<clientConfig version="1.1">',
    `  <emailProvider id="${escapeXml(id)}">`,
    ...input.domains.map((d) => `    ${element('domain', d)}`),
    `    ${element('displayName', input.organization)}`,
    `    ${element('displayShortName', input.organization)}`,
    // IMAP before POP3: clients offer the first type they support as the default.
    ...endpoints.imap.map((e) => server('incomingServer', 'imap', e)),
    ...endpoints.pop.map((e) => server('incomingServer', 'pop3', e)),
    ...endpoints.smtp.map((e) => server('outgoingServer', 'smtp', e)),
    '  </emailProvider>',
    '</clientConfig>',
    '',
  ].join('\n');
}
