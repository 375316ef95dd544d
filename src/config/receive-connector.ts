// Receive connectors with the defaults Exchange 2013 setup creates on a Client Access server
// (shared/research/exchange-features.md §4.6), plus an implicit-TLS submission connector on 465
// (RFC 8314), which Exchange does not have.
import { checkBinding } from './endpoints.ts';
import { checkIpRange } from './ip-ranges.ts';
import type { DefaultsContext, SettingDef, SettingsDocument } from './model.ts';
import { NO_INTEGRATED_AUTH } from './pop-imap.ts';
import { defaultsOf } from './model.ts';

const MB = 1024 * 1024;
const KB = 1024;

export const AUTH_MECHANISMS = [
  'None', 'Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer', 'ExternalAuthoritative',
] as const;
/** What a connector cannot do here; refused when set (see SettingDef.unsupported). */
const unsupportedAuthMechanism = (v: string | number | boolean): string | undefined => {
  if (v === 'Integrated') return NO_INTEGRATED_AUTH;
  if (v === 'ExchangeServer') return NO_SERVER_AUTH;
  if (v === 'ExternalAuthoritative') {
    return 'Mailroom does not treat a connection as authenticated because of the address it comes from (Exchange: for an externally secured link, such as IPsec); use BasicAuth or RemoteIPRanges with AnonymousUsers.';
  }
  return undefined;
};
// Exchange servers authenticate to each other's receive connectors (Kerberos, or mutual TLS
// with the certificates in Active Directory) and then hold ms-Exch-SMTP-Accept-Any-Sender and
// the other server rights. Mailroom's servers never pass mail to each other through a receive
// connector: they deliver over the delivery port, LMTP with mutual TLS (docs/smtp.md).
const NO_SERVER_AUTH =
  'servers of a Mailroom organization pass mail to each other over the delivery port (LMTP with mutual TLS, docs/smtp.md), never by authenticating to a receive connector as an Exchange server.';
const unsupportedPermissionGroup = (v: string | number | boolean): string | undefined =>
  v === 'ExchangeServers' || v === 'ExchangeLegacyServers'
    ? `no client of a receive connector is an Exchange server here: ${NO_SERVER_AUTH}`
    : v === 'Partners'
    ? 'Partners is for Exchange\'s Domain Security (mutual TLS with partner domains), which Mailroom does not offer.'
    : v === 'Custom'
      ? 'Mailroom has no per-permission rights (Add-ADPermission) on connectors; use AnonymousUsers or ExchangeUsers.'
      : undefined;

export const PERMISSION_GROUPS = [
  'None', 'AnonymousUsers', 'ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers', 'Partners', 'Custom',
] as const;

export const RECEIVE_CONNECTOR_SETTINGS: readonly SettingDef[] = [
  { name: 'Enabled', kind: 'bool', default: true, help: 'Whether the connector accepts connections.' },
  { name: 'TransportRole', kind: 'enum', values: ['FrontendTransport'], readOnly: true, default: 'FrontendTransport',
    help: 'The transport service the connector belongs to.' },
  { name: 'Bindings', kind: 'string', multi: true, check: checkBinding, default: ['[::]:25', '0.0.0.0:25'],
    help: 'Addresses and ports the connector listens on.' },
  { name: 'RemoteIPRanges', kind: 'string', multi: true, check: checkIpRange, default: ['::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '0.0.0.0-255.255.255.255'],
    help: 'Client addresses the connector serves: addresses, ranges (a-b), CIDR or address(mask). Connectors sharing a binding: the most specific match serves.' },
  { name: 'Fqdn', kind: 'string', default: (ctx: DefaultsContext) => ctx.fqdn,
    help: 'Name used in the banner, the EHLO reply and to choose the certificate; published when AdvertiseClientSettings is $true.' },
  { name: 'Banner', kind: 'string', nullable: true, default: null,
    help: 'Replaces the 220 greeting; $null gives "220 <Fqdn> Mailroom ESMTP MAIL service ready at <date>".' },
  { name: 'AuthMechanism', kind: 'enum', multi: true, values: AUTH_MECHANISMS, default: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'],
    unsupported: unsupportedAuthMechanism,
    help: 'Tls offers STARTTLS; BasicAuth offers AUTH; BasicAuthRequireTLS offers AUTH only after TLS.' },
  { name: 'PermissionGroups', kind: 'enum', multi: true, values: PERMISSION_GROUPS, default: ['ExchangeUsers'],
    unsupported: unsupportedPermissionGroup,
    help: 'Who may use the connector: AnonymousUsers for Internet mail, ExchangeUsers for authenticated mailbox users.' },
  // Mailroom's own, stricter than Exchange (docs/security.md, "SMTP: spoofed senders and relaying").
  // $true is Exchange with ms-Exch-SMTP-Accept-Authoritative-Domain-Sender removed from Anonymous
  // Logon, extended to From:/Sender: and to mail that SPF, DKIM or DMARC shows genuine.
  { name: 'RejectUnauthenticatedInternalSenders', kind: 'bool', default: true,
    help: 'Refuse unauthenticated mail whose MAIL FROM, From or Sender is in an accepted domain, unless SPF, DKIM or DMARC passes for that domain.' },
  { name: 'RequireTLS', kind: 'bool', default: false, help: 'Refuse mail until the client has started TLS.' },
  { name: 'ImplicitTls', kind: 'bool', default: false, help: 'TLS starts on connect (RFC 8314 submission on 465) instead of STARTTLS.' },
  { name: 'AdvertiseClientSettings', kind: 'bool', default: false,
    help: 'Publish Fqdn, port and encryption to users as their SMTP setting.' },
  { name: 'TlsCertificateName', kind: 'string', nullable: true, default: null, help: 'Certificate to use, as <I>issuer<S>subject or a host name.' },
  { name: 'MaxMessageSize', kind: 'size', min: 64 * KB, max: 2048 * MB, default: 36 * MB,
    help: 'Largest message accepted; the organization\'s MaxReceiveSize/MaxSendSize also apply and the smallest wins.' },
  { name: 'MaxHeaderSize', kind: 'size', min: 1, max: 2048 * MB, default: 256 * KB, help: 'Largest message header accepted.' },
  { name: 'MaxRecipientsPerMessage', kind: 'int', min: 1, max: 512000, default: 200, help: 'Recipients accepted per message.' },
  { name: 'MaxInboundConnection', kind: 'int', min: 1, max: 2147483647, allowUnlimited: true, default: 5000,
    help: 'Connections the connector accepts at once.' },
  { name: 'MaxInboundConnectionPerSource', kind: 'int', min: 1, max: 10000, allowUnlimited: true, default: 20,
    help: 'Connections accepted at once from one client address.' },
  { name: 'MaxInboundConnectionPercentagePerSource', kind: 'int', min: 1, max: 100, default: 2,
    help: 'Share of MaxInboundConnection one address may use.' },
  { name: 'ConnectionTimeout', kind: 'timespan', min: 1, max: 86400, default: 600, help: 'Longest a connection may stay open.' },
  { name: 'ConnectionInactivityTimeout', kind: 'timespan', min: 1, max: 86400, default: 300, help: 'Longest a connection may stay idle.' },
  { name: 'MaxProtocolErrors', kind: 'int', min: 0, max: 2147483647, allowUnlimited: true, default: 5,
    help: 'SMTP protocol errors before the connection is closed.' },
  { name: 'TarpitInterval', kind: 'timespan', min: 0, max: 600, default: 5, help: 'Delay before answering a suspicious command.' },
  { name: 'AuthTarpitInterval', kind: 'timespan', min: 0, max: 600, default: 5, help: 'Delay before answering a failed AUTH.' },
  { name: 'MaxHopCount', kind: 'int', min: 1, max: 500, default: 30, help: 'Received headers allowed before a message is refused as looping.' },
  { name: 'MaxLocalHopCount', kind: 'int', min: 0, max: 50, default: 8, help: "Received headers this server (the connector Fqdn) may have added before the message is refused as a loop." },
  { name: 'MessageRateLimit', kind: 'int', min: 1, max: 2147483647, allowUnlimited: true, default: 'unlimited',
    help: 'Messages one client may submit per minute.' },
  { name: 'ProtocolLoggingLevel', kind: 'enum', values: ['None', 'Verbose'], default: 'None', help: 'Write the SMTP conversation to the protocol log.' },
  { name: 'SizeEnabled', kind: 'enum', values: ['Disabled', 'Enabled', 'EnabledWithoutValue'], default: 'Enabled', help: 'How the SIZE extension is advertised.' },
  { name: 'EnableAuthGSSAPI', kind: 'bool', default: false, unsupported: (v) => (v === true ? NO_INTEGRATED_AUTH : undefined),
    help: 'Offer Kerberos (GSSAPI). Mailroom: always $false.' },
  { name: 'PipeliningEnabled', kind: 'bool', default: true, help: 'Advertise PIPELINING.' },
  { name: 'EightBitMimeEnabled', kind: 'bool', default: true, help: 'Advertise 8BITMIME.' },
  { name: 'BinaryMimeEnabled', kind: 'bool', default: true, help: 'Advertise BINARYMIME.' },
  { name: 'ChunkingEnabled', kind: 'bool', default: true, help: 'Advertise CHUNKING.' },
  { name: 'DsnEnabled', kind: 'bool', default: true, help: 'Advertise DSN.' },
  { name: 'EnhancedStatusCodesEnabled', kind: 'bool', default: true, help: 'Advertise ENHANCEDSTATUSCODES.' },
  { name: 'SmtpUtf8Enabled', kind: 'bool', default: true, help: 'Advertise SMTPUTF8.' },
  { name: 'Comment', kind: 'string', nullable: true, default: null, help: 'Free text for administrators.' },
];

export interface ConnectorTemplate {
  name: (server: string) => string;
  overrides: SettingsDocument;
}

/** The connectors setup creates on every server. */
export const DEFAULT_CONNECTORS: readonly ConnectorTemplate[] = [
  {
    name: (server) => `Default Frontend ${server}`,
    overrides: {
      Bindings: ['[::]:25', '0.0.0.0:25'],
      // Exchange's setup adds ExchangeServer and ExchangeServers/ExchangeLegacyServers here;
      // Mailroom's servers use the delivery port instead (NO_SERVER_AUTH).
      AuthMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'],
      PermissionGroups: ['AnonymousUsers'],
      ProtocolLoggingLevel: 'Verbose',
    },
  },
  {
    name: (server) => `Client Frontend ${server}`,
    overrides: {
      Bindings: ['[::]:587', '0.0.0.0:587'],
      AuthMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'],
      PermissionGroups: ['ExchangeUsers'],
    },
  },
  {
    name: (server) => `Client Frontend Secure ${server}`,
    overrides: {
      Bindings: ['[::]:465', '0.0.0.0:465'],
      ImplicitTls: true,
      AuthMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'],
      PermissionGroups: ['ExchangeUsers'],
      Comment: 'Submission with implicit TLS (RFC 8314).',
    },
  },
];

export function connectorDefaults(template: ConnectorTemplate, ctx: DefaultsContext): SettingsDocument {
  return { ...defaultsOf(RECEIVE_CONNECTOR_SETTINGS, ctx), ...template.overrides };
}
