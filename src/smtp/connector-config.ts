// A receive connector's settings document (config/receive-connector.ts) read once into the typed
// values the SMTP service works with, combined with the organization's transport limits
// (Set-TransportConfig). The smallest applicable size and recipient limits win, as in Exchange
// (research notes §4.6): with the defaults that is 10 MB and 200 recipients.
import { parseIpRange, type IpRange } from '../config/ip-ranges.ts';
import type { SettingsDocument } from '../config/model.ts';
import type { ReceiveConnector } from '../directory/directory.ts';

export type SizeAdvertisement = 'Disabled' | 'Enabled' | 'EnabledWithoutValue';
export type DmarcRejectAction = 'Reject' | 'Junk' | 'Accept';

export interface ConnectorConfig {
  identity: string;
  name: string;
  enabled: boolean;
  bindings: string[];
  /** RemoteIPRanges, parsed (entries that do not parse were refused when set). */
  remoteIpRanges: IpRange[];
  fqdn: string;
  /** The whole 220 line when the admin set -Banner; null for the default greeting. */
  banner: string | null;
  /** AuthMechanism Tls: STARTTLS is offered (on connectors without implicit TLS). */
  startTls: boolean;
  /** AuthMechanism BasicAuth: AUTH PLAIN and LOGIN are offered. */
  basicAuth: boolean;
  /** AuthMechanism BasicAuthRequireTLS: AUTH only once the connection is encrypted. */
  basicAuthRequiresTls: boolean;
  /** PermissionGroups AnonymousUsers: mail from unauthenticated clients, for accepted domains only. */
  anonymous: boolean;
  /** PermissionGroups ExchangeUsers: authenticated mailbox users may submit and relay. */
  exchangeUsers: boolean;
  /** RejectUnauthenticatedInternalSenders: anonymous mail claiming an accepted domain needs SPF, DKIM or DMARC to pass for it. */
  rejectUnauthenticatedInternalSenders: boolean;
  requireTls: boolean;
  implicitTls: boolean;
  tlsCertificateName: string | null;
  /** Largest message: the connector's MaxMessageSize and the organization's limit for this kind of connector. */
  maxMessageSize: number;
  maxHeaderSize: number;
  maxRecipients: number;
  maxInboundConnections: number;
  maxConnectionsPerSource: number;
  connectionTimeoutMs: number;
  inactivityTimeoutMs: number;
  maxProtocolErrors: number;
  tarpitMs: number;
  authTarpitMs: number;
  maxHopCount: number;
  /** Received fields this server (the connector's Fqdn) may have added before a loop is assumed. */
  maxLocalHopCount: number;
  /** Messages per client per minute; Infinity when unlimited. */
  messageRateLimit: number;
  protocolLogging: boolean;
  sizeAdvertisement: SizeAdvertisement;
  pipelining: boolean;
  eightBitMime: boolean;
  /** ChunkingEnabled: BDAT (RFC 3030). */
  chunking: boolean;
  /** BinaryMimeEnabled, in force only with chunking. */
  binaryMime: boolean;
  dsn: boolean;
  enhancedStatusCodes: boolean;
  smtpUtf8: boolean;
  /** Organization-wide: MaxReceiveSize, applied to every message for a local mailbox. */
  maxReceiveSize: number;
  /** Organization-wide: MaxSendSize, applied to every message an authenticated user submits. */
  maxSendSize: number;
  dmarcRejectAction: DmarcRejectAction;
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : v === 'unlimited' ? Infinity : fallback);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

export function readConnector(connector: ReceiveConnector, transport: SettingsDocument): ConnectorConfig {
  const s = connector.settings;
  const auth = list(s.AuthMechanism);
  const groups = list(s.PermissionGroups);
  const anonymous = groups.includes('AnonymousUsers');
  const maxReceiveSize = num(transport.MaxReceiveSize, 10 * 1024 * 1024);
  const maxSendSize = num(transport.MaxSendSize, 10 * 1024 * 1024);
  // Internet mail is bounded by what the organization receives; a submission connector by what
  // its users may send (and, for local recipients, receive: checked again at DATA).
  const orgLimit = anonymous ? maxReceiveSize : maxSendSize;
  const maxInbound = num(s.MaxInboundConnection, 5000);
  const perSource = num(s.MaxInboundConnectionPerSource, 20);
  const percent = num(s.MaxInboundConnectionPercentagePerSource, 100);
  const byPercent = Number.isFinite(maxInbound) ? Math.max(1, Math.ceil((maxInbound * percent) / 100)) : Infinity;
  return {
    identity: connector.identity,
    name: connector.name,
    enabled: s.Enabled === true,
    bindings: list(s.Bindings),
    remoteIpRanges: list(s.RemoteIPRanges).map(parseIpRange).filter((r): r is IpRange => r !== undefined),
    fqdn: String(s.Fqdn ?? ''),
    banner: typeof s.Banner === 'string' && s.Banner.trim() !== '' ? s.Banner : null,
    startTls: auth.includes('Tls'),
    basicAuth: auth.includes('BasicAuth') || auth.includes('BasicAuthRequireTLS'),
    basicAuthRequiresTls: auth.includes('BasicAuthRequireTLS'),
    anonymous,
    exchangeUsers: groups.includes('ExchangeUsers'),
    rejectUnauthenticatedInternalSenders: s.RejectUnauthenticatedInternalSenders !== false,
    requireTls: s.RequireTLS === true,
    implicitTls: s.ImplicitTls === true,
    tlsCertificateName: typeof s.TlsCertificateName === 'string' ? s.TlsCertificateName : null,
    maxMessageSize: Math.min(num(s.MaxMessageSize, 36 * 1024 * 1024), orgLimit),
    maxHeaderSize: num(s.MaxHeaderSize, 256 * 1024),
    maxRecipients: Math.min(num(s.MaxRecipientsPerMessage, 200), num(transport.MaxRecipientEnvelopeLimit, 500)),
    maxInboundConnections: maxInbound,
    maxConnectionsPerSource: Math.min(perSource, byPercent),
    connectionTimeoutMs: num(s.ConnectionTimeout, 600) * 1000,
    inactivityTimeoutMs: num(s.ConnectionInactivityTimeout, 300) * 1000,
    maxProtocolErrors: num(s.MaxProtocolErrors, 5),
    tarpitMs: num(s.TarpitInterval, 5) * 1000,
    authTarpitMs: num(s.AuthTarpitInterval, 5) * 1000,
    maxHopCount: num(s.MaxHopCount, 30),
    maxLocalHopCount: num(s.MaxLocalHopCount, 8),
    messageRateLimit: num(s.MessageRateLimit, Infinity),
    protocolLogging: s.ProtocolLoggingLevel === 'Verbose',
    sizeAdvertisement: (s.SizeEnabled as SizeAdvertisement | undefined) ?? 'Enabled',
    pipelining: s.PipeliningEnabled !== false,
    eightBitMime: s.EightBitMimeEnabled !== false,
    chunking: s.ChunkingEnabled !== false,
    // Exchange offers BINARYMIME only together with CHUNKING (RFC 3030 §3 needs BDAT for it).
    binaryMime: s.ChunkingEnabled !== false && s.BinaryMimeEnabled !== false,
    dsn: s.DsnEnabled !== false,
    enhancedStatusCodes: s.EnhancedStatusCodesEnabled !== false,
    smtpUtf8: s.SmtpUtf8Enabled !== false,
    maxReceiveSize,
    maxSendSize,
    dmarcRejectAction: (['Reject', 'Junk', 'Accept'] as const).find((a) => a === transport.DmarcRejectAction) ?? 'Reject',
  };
}

/**
 * What makes a new smtp-server instance necessary: the options it takes at construction. Other
 * settings are read per command from the current ConnectorConfig, so they apply to open sessions.
 */
export function serverShapeKey(c: ConnectorConfig, certificateThumbprint: string | undefined): string {
  return JSON.stringify([
    c.fqdn, c.implicitTls, c.startTls, c.basicAuth, c.sizeAdvertisement, c.maxMessageSize, c.pipelining, c.eightBitMime,
    c.dsn, c.enhancedStatusCodes, c.smtpUtf8, c.inactivityTimeoutMs, certificateThumbprint ?? null,
  ]);
}
