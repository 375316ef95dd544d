// PopSettings and ImapSettings: every parameter of Exchange 2013's Set-PopSettings and
// Set-ImapSettings with its default (shared/research/exchange-features.md §2). Only the banner
// (it names Mailroom) and MaxConnectionFromSingleIP differ from Exchange.
import {
  checkBinding,
  checkConnectionSetting,
  parseBinding,
  parseConnectionSetting,
} from './endpoints.ts';
import { SettingsValidationError, type SettingDef, type SettingsDocument } from './model.ts';

export type Protocol = 'pop' | 'imap';

const MAX_INT32 = 2147483647;
export const DEFAULT_MAX_CONNECTIONS_FROM_ONE_ADDRESS = 2000;

export const MIME_FORMATS = [
  'TextOnly', 'HtmlOnly', 'HtmlAndTextAlternative', 'TextEnrichedOnly',
  'TextEnrichedAndTextAlternative', 'BestBodyFormat', 'Tnef',
] as const;

/** TNEF (winmail.dat) is Outlook's own encoding of its item properties; nothing here stores them. */
export const unsupportedMimeFormat = (v: string | number | boolean): string | undefined =>
  v === 'Tnef'
    ? 'Mailroom stores messages as MIME, not as Outlook items, so it has no TNEF (winmail.dat) rendering to offer; use BestBodyFormat or one of the text and HTML formats.'
    : undefined;

export const LOGIN_TYPES = ['PlainTextLogin', 'PlainTextAuthentication', 'SecureLogin'] as const;
export type LoginType = (typeof LOGIN_TYPES)[number];

export const CALENDAR_OPTIONS = ['iCalendar', 'IntranetUrl', 'InternetUrl', 'Custom'] as const;

export const NO_INTEGRATED_AUTH =
  'Mailroom does not support NTLM or Kerberos (GSSAPI): they need a Windows domain controller to check the tickets against. Clients use PLAIN, LOGIN or SCRAM-SHA-256 (which never sends the password).';

/** Exchange's $false reports estimated sizes; estimates make strict clients truncate mail. */
export const NO_ESTIMATED_SIZES =
  'Mailroom always reports exact message sizes (what $true asks for): estimated sizes make clients that trust them (RFC 1939 §5 LIST, RFC 3501 RFC822.SIZE) drop or truncate mail.';

export const NO_DOWNLOAD_RECEIPTS =
  'Mailroom does not send read receipts when a POP3 or IMAP4 client downloads a message; the mail client sends one when the user opens it (what $true means). Exchange\'s $false would send a second receipt at download.';

function protocolDefs(p: Protocol): SettingDef[] {
  const pop = p === 'pop';
  const ssl = pop ? 995 : 993;
  const plain = pop ? 110 : 143;
  const label = pop ? 'POP3' : 'IMAP4';
  const defs: SettingDef[] = [
    { name: 'Banner', kind: 'string', default: `The Mailroom ${label} service is ready.`,
      check: (v) => (/[\r\n]/.test(v) ? 'cannot contain line breaks.' : v.length > 1000 ? 'must be at most 1000 characters.' : undefined),
      help: `Greeting sent after ${pop ? '+OK' : '* OK'} when a client connects.` },
    { name: 'LoginType', kind: 'enum', values: LOGIN_TYPES, default: 'SecureLogin',
      help: 'SecureLogin: TLS before any logon; PlainTextAuthentication: passwords only over TLS; PlainTextLogin: passwords allowed in clear.' },
    { name: 'UnencryptedOrTLSBindings', kind: 'string', multi: true, check: checkBinding,
      default: [`[::]:${plain}`, `0.0.0.0:${plain}`], help: `Listeners for plain text with ${pop ? 'STLS' : 'STARTTLS'}.` },
    { name: 'SSLBindings', kind: 'string', multi: true, check: checkBinding,
      default: [`[::]:${ssl}`, `0.0.0.0:${ssl}`], help: 'Listeners with implicit TLS.' },
    { name: 'InternalConnectionSettings', kind: 'string', multi: true, check: checkConnectionSetting,
      default: (ctx) => [`${ctx.fqdn}:${ssl}:SSL`, `${ctx.fqdn}:${plain}:TLS`],
      help: 'Host:Port:Encryption shown to users inside the network; also used when a session is forwarded to another server.' },
    { name: 'ExternalConnectionSettings', kind: 'string', multi: true, check: checkConnectionSetting, default: [],
      help: 'Host:Port:Encryption published to users on the settings page and in autoconfig.' },
    { name: 'X509CertificateName', kind: 'string', nullable: true, default: null,
      help: 'Host name of the certificate to use for TLS (see Enable-ExchangeCertificate).' },
    { name: 'AuthenticatedConnectionTimeout', kind: 'timespan', min: 30, max: 86400, default: 1800,
      help: 'Time after logon without a complete command (or without reading replies) before the connection is closed.' },
    { name: 'PreAuthenticatedConnectionTimeout', kind: 'timespan', min: 30, max: 3600, default: 60,
      help: 'Time from connecting to logging on before the connection is closed, however busy it is.' },
    { name: 'MaxCommandSize', kind: 'int', min: pop ? 40 : 1024, max: pop ? 1024 : 16384, default: pop ? 512 : 10240,
      help: 'Longest command line accepted, in bytes.' },
    { name: 'MaxConnections', kind: 'int', min: 1, max: MAX_INT32, default: MAX_INT32,
      help: 'Connections the server accepts at once.' },
    // Exchange 2013's default is 2147483647: one address could hold every connection the server
    // can take, logged on or not. 2000 was Exchange 2010's default; at about six connections per
    // person (a desktop client keeps up to five, a phone one or two) it is an office of 300
    // behind one NAT address. docs/security.md lists the difference.
    { name: 'MaxConnectionFromSingleIP', kind: 'int', min: 1, max: MAX_INT32, default: DEFAULT_MAX_CONNECTIONS_FROM_ONE_ADDRESS,
      help: 'Connections accepted at once from one client address. Mailroom: 2000 by default (Exchange 2013: 2147483647).' },
    { name: 'MaxConnectionsPerUser', kind: 'int', min: 1, max: MAX_INT32, default: 16,
      help: 'Connections one user may hold at once.' },
    { name: 'MessageRetrievalMimeFormat', kind: 'enum', values: MIME_FORMATS, default: 'BestBodyFormat', unsupported: unsupportedMimeFormat,
      help: 'How messages are rendered when retrieved; BestBodyFormat serves the message as stored.' },
    { name: 'CalendarItemRetrievalOption', kind: 'enum', values: CALENDAR_OPTIONS, default: 'iCalendar',
      help: 'Meeting requests as iCalendar, or as a link to the web view (IntranetUrl, InternetUrl, Custom).' },
    { name: 'OwaServerUrl', kind: 'string', nullable: true, default: null,
      check: (v) => (/^https?:\/\/[^\s]+$/i.test(v) ? undefined : `must be an http:// or https:// URL (got '${v}').`),
      help: 'Base URL of the meeting web view when CalendarItemRetrievalOption is Custom.' },
    // Exchange's default is $false (estimates); Mailroom's sizes are always exact.
    { name: 'EnableExactRFC822Size', kind: 'bool', default: true, unsupported: (v) => (v === false ? NO_ESTIMATED_SIZES : undefined),
      help: 'Exact message sizes in LIST, STAT and RFC822.SIZE. Mailroom: always $true.' },
    // Exchange's default is $true; Mailroom has no Windows domain to check NTLM or Kerberos
    // tickets against, so the only value it can honour is $false (docs/security.md).
    { name: 'EnableGSSAPIAndNTLMAuth', kind: 'bool', default: false,
      unsupported: (v) => (v === true ? NO_INTEGRATED_AUTH : undefined),
      help: 'Offer NTLM and Kerberos (GSSAPI). Mailroom: always $false; SCRAM-SHA-256 is offered instead.' },
    { name: 'EnforceCertificateErrors', kind: 'bool', default: false,
      help: 'Refuse TLS (and so TLS logons) while the certificate served is expired, not yet valid, or does not cover X509CertificateName (else the server FQDN): STLS/STARTTLS get an error, implicit-TLS connections are closed.' },
    { name: 'ExtendedProtectionPolicy', kind: 'enum', values: ['None', 'Allow', 'Require'], default: 'None',
      unsupported: (v) => (v === 'None' ? undefined : `Extended Protection binds NTLM and Kerberos logons to the TLS channel. ${NO_INTEGRATED_AUTH}`),
      help: 'Channel binding for integrated (NTLM/Kerberos) authentication. Mailroom: always None, as it offers no integrated authentication.' },
    // Exchange's default $false sends a read receipt when a message is downloaded, and the client
    // another when it is opened. Mailroom never sends one on download (the client sends it when
    // the user opens the message), which is what $true means; $false is refused.
    { name: 'SuppressReadReceipt', kind: 'bool', default: true, unsupported: (v) => (v === false ? NO_DOWNLOAD_RECEIPTS : undefined),
      help: 'Read receipts only when the user opens a message, not when it is downloaded. Mailroom: always $true.' },
    { name: 'ProtocolLogEnabled', kind: 'bool', default: false, help: 'Write one CSV line per command.' },
    { name: 'LogFileLocation', kind: 'string', default: pop ? 'Logging/Pop3' : 'Logging/Imap4',
      help: 'Protocol log folder; relative paths are inside the data folder.' },
    { name: 'LogFileRollOverSettings', kind: 'enum', values: ['Hourly', 'Daily', 'Weekly', 'Monthly'], default: 'Daily',
      help: 'When to start a new protocol log file (used when LogPerFileSizeQuota is 0).' },
    { name: 'LogPerFileSizeQuota', kind: 'size', min: 0, max: 2 ** 50, allowUnlimited: true, default: 0,
      help: 'Size at which to start a new protocol log file; 0 rolls by time, unlimited keeps one file.' },
    // The back end's proxy port: front ends on other servers (and in another process of this
    // one) hand logged-on sessions over here, over TLS with both servers' certificates. A change
    // applies at once; the front ends read the port from this server's heartbeat.
    { name: 'ProxyTargetPort', kind: 'int', min: 1, max: 65535, default: pop ? 1995 : 1993,
      help: `The ${label} back end's proxy port (plus MAILROOM_PORT_OFFSET): front ends on other servers hand logged-on sessions over here, over TLS with the servers' certificates.` },
  ];
  if (pop) {
    defs.push({ name: 'MessageRetrievalSortOrder', kind: 'enum', values: ['Ascending', 'Descending'], default: 'Ascending',
      help: 'Order of POP3 message numbers by received time.' });
  } else {
    defs.push({ name: 'ShowHiddenFoldersEnabled', kind: 'bool', default: false, help: 'Show hidden folders over IMAP4.' });
  }
  return defs;
}

export const POP_SETTINGS: readonly SettingDef[] = protocolDefs('pop');
export const IMAP_SETTINGS: readonly SettingDef[] = protocolDefs('imap');

export function protocolSettingDefs(p: Protocol): readonly SettingDef[] {
  return p === 'pop' ? POP_SETTINGS : IMAP_SETTINGS;
}

/**
 * Rules between parameters, checked after every change. Exchange requires the encryption and
 * port of each published connection setting to match a binding: an SSL entry needs an
 * SSLBindings port, a TLS or blank entry an UnencryptedOrTLSBindings port.
 */
export function checkProtocolSettings(doc: SettingsDocument): void {
  const sslPorts = new Set((doc.SSLBindings as string[]).map((b) => parseBinding(b)!.port));
  const plainPorts = new Set((doc.UnencryptedOrTLSBindings as string[]).map((b) => parseBinding(b)!.port));
  for (const name of ['ExternalConnectionSettings', 'InternalConnectionSettings']) {
    for (const entry of doc[name] as string[]) {
      const s = parseConnectionSetting(entry)!;
      const ok = s.encryption === 'SSL' ? sslPorts.has(s.port) : plainPorts.has(s.port);
      if (!ok) {
        const which = s.encryption === 'SSL' ? 'SSLBindings' : 'UnencryptedOrTLSBindings';
        throw new SettingsValidationError(
          `-${name} entry '${entry}' must match a binding: port ${s.port} with ${s.encryption || 'no'} encryption needs a ${which} entry on port ${s.port} (now ${[...(s.encryption === 'SSL' ? sslPorts : plainPorts)].join(', ') || 'none'}).`,
          name,
        );
      }
    }
  }
  if (doc.CalendarItemRetrievalOption === 'Custom' && !doc.OwaServerUrl) {
    throw new SettingsValidationError(
      '-CalendarItemRetrievalOption Custom needs -OwaServerUrl (for example https://mail.contoso.com/owa).',
      'OwaServerUrl',
    );
  }
}

/**
 * The MessageRetrievalMimeFormat that applies to a user (exchange-features.md §3): the user's
 * Pop/ImapMessagesRetrievalMimeFormat when Pop/ImapUseProtocolDefaults is $false, else the
 * server's. Tnef, refused when set, never reaches here; a stored one reads as BestBodyFormat.
 */
export function effectiveRetrievalFormat(server: SettingsDocument, user: SettingsDocument, protocol: Protocol): string {
  const prefix = protocol === 'pop' ? 'Pop' : 'Imap';
  const own = user[`${prefix}UseProtocolDefaults`] === false ? user[`${prefix}MessagesRetrievalMimeFormat`] : undefined;
  const value = own ?? server.MessageRetrievalMimeFormat;
  return typeof value === 'string' && value !== 'Tnef' ? value : 'BestBodyFormat';
}
