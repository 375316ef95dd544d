// Every default of Get-PopSettings, Get-ImapSettings, Get-ReceiveConnector, Get-TransportConfig,
// Get-CASMailbox and the mailbox database, checked against the Exchange 2013 values in
// shared/research/exchange-features.md §2, §3, §4.6 and §7.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultsOf } from '../../src/config/model.ts';
import { IMAP_SETTINGS, POP_SETTINGS } from '../../src/config/pop-imap.ts';
import { connectorDefaults, DEFAULT_CONNECTORS } from '../../src/config/receive-connector.ts';
import { TRANSPORT_CONFIG } from '../../src/config/transport.ts';
import { ORGANIZATION_CONFIG } from '../../src/config/organization.ts';
import { CAS_MAILBOX_SETTINGS, DATABASE_SETTINGS } from '../../src/config/mailbox.ts';
import { SERVICES } from '../../src/config/services.ts';

const ctx = { serverName: 'MAIL01', fqdn: 'mail01.contoso.com' };
const MB = 1024 * 1024;

const COMMON = {
  AuthenticatedConnectionTimeout: 1800,
  PreAuthenticatedConnectionTimeout: 60,
  CalendarItemRetrievalOption: 'iCalendar',
  OwaServerUrl: null,
  EnableExactRFC822Size: true, // Exchange: $false (estimates); refused here (test/config/unsupported)
  // Exchange: $true. Mailroom has no NTLM or Kerberos and refuses $true (test/config/unsupported.test.ts).
  EnableGSSAPIAndNTLMAuth: false,
  EnforceCertificateErrors: false,
  ExtendedProtectionPolicy: 'None',
  ExternalConnectionSettings: [],
  X509CertificateName: null,
  LoginType: 'SecureLogin',
  MaxConnections: 2147483647,
  // Mailroom's one deliberate difference here (docs/security.md): Exchange 2013 says 2147483647.
  MaxConnectionFromSingleIP: 2000,
  MaxConnectionsPerUser: 16,
  MessageRetrievalMimeFormat: 'BestBodyFormat',
  // Exchange: $false (a read receipt at download too). Mailroom never sends one at download.
  SuppressReadReceipt: true,
  ProtocolLogEnabled: false,
  LogFileRollOverSettings: 'Daily',
  LogPerFileSizeQuota: 0,
};

test('PopSettings defaults are Exchange 2013 defaults', () => {
  assert.deepEqual(defaultsOf(POP_SETTINGS, ctx), {
    ...COMMON,
    Banner: 'The Mailroom POP3 service is ready.',
    UnencryptedOrTLSBindings: ['[::]:110', '0.0.0.0:110'],
    SSLBindings: ['[::]:995', '0.0.0.0:995'],
    InternalConnectionSettings: ['mail01.contoso.com:995:SSL', 'mail01.contoso.com:110:TLS'],
    MaxCommandSize: 512,
    LogFileLocation: 'Logging/Pop3',
    ProxyTargetPort: 1995,
    MessageRetrievalSortOrder: 'Ascending',
  });
});

test('ImapSettings defaults are Exchange 2013 defaults', () => {
  assert.deepEqual(defaultsOf(IMAP_SETTINGS, ctx), {
    ...COMMON,
    Banner: 'The Mailroom IMAP4 service is ready.',
    UnencryptedOrTLSBindings: ['[::]:143', '0.0.0.0:143'],
    SSLBindings: ['[::]:993', '0.0.0.0:993'],
    InternalConnectionSettings: ['mail01.contoso.com:993:SSL', 'mail01.contoso.com:143:TLS'],
    MaxCommandSize: 10240,
    LogFileLocation: 'Logging/Imap4',
    ProxyTargetPort: 1993,
    ShowHiddenFoldersEnabled: false,
  });
});

test('allowed ranges follow the cmdlet documentation', () => {
  const range = (defs: typeof POP_SETTINGS, name: string) => {
    const d = defs.find((x) => x.name === name)!;
    return [d.min, d.max];
  };
  assert.deepEqual(range(POP_SETTINGS, 'MaxCommandSize'), [40, 1024]);
  assert.deepEqual(range(IMAP_SETTINGS, 'MaxCommandSize'), [1024, 16384]);
  assert.deepEqual(range(POP_SETTINGS, 'PreAuthenticatedConnectionTimeout'), [30, 3600]);
  assert.deepEqual(POP_SETTINGS.find((d) => d.name === 'LoginType')!.values, ['PlainTextLogin', 'PlainTextAuthentication', 'SecureLogin']);
  assert.deepEqual(IMAP_SETTINGS.find((d) => d.name === 'MessageRetrievalMimeFormat')!.values, [
    'TextOnly', 'HtmlOnly', 'HtmlAndTextAlternative', 'TextEnrichedOnly', 'TextEnrichedAndTextAlternative', 'BestBodyFormat', 'Tnef',
  ]);
});

test('receive connectors: Default Frontend on 25, Client Frontend on 587, implicit TLS on 465', () => {
  const [inbound, client, secure] = DEFAULT_CONNECTORS.map((t) => ({ name: t.name('MAIL01'), doc: connectorDefaults(t, ctx) }));
  assert.equal(inbound!.name, 'Default Frontend MAIL01');
  assert.deepEqual(inbound!.doc.Bindings, ['[::]:25', '0.0.0.0:25']);
  // Exchange's setup also lists ExchangeServer and ExchangeServers/ExchangeLegacyServers, which
  // have no meaning where servers deliver to each other over LMTP (refused, test/config/unsupported).
  assert.deepEqual(inbound!.doc.AuthMechanism, ['Tls', 'BasicAuth', 'BasicAuthRequireTLS']);
  assert.deepEqual(inbound!.doc.PermissionGroups, ['AnonymousUsers']);
  assert.equal(inbound!.doc.ProtocolLoggingLevel, 'Verbose');
  assert.equal(client!.name, 'Client Frontend MAIL01');
  assert.deepEqual(client!.doc.Bindings, ['[::]:587', '0.0.0.0:587']);
  // Exchange also lists Integrated (NTLM/Kerberos), which Mailroom does not offer.
  assert.deepEqual(client!.doc.AuthMechanism, ['Tls', 'BasicAuth', 'BasicAuthRequireTLS']);
  assert.deepEqual(client!.doc.PermissionGroups, ['ExchangeUsers']);
  assert.equal(client!.doc.ProtocolLoggingLevel, 'None');
  assert.equal(secure!.name, 'Client Frontend Secure MAIL01');
  assert.deepEqual(secure!.doc.Bindings, ['[::]:465', '0.0.0.0:465']);
  assert.equal(secure!.doc.ImplicitTls, true);
  for (const c of [inbound!, client!, secure!]) {
    assert.equal(c.doc.MaxMessageSize, 36 * MB);
    assert.equal(c.doc.MaxHeaderSize, 256 * 1024);
    assert.equal(c.doc.MaxRecipientsPerMessage, 200);
    assert.equal(c.doc.MaxInboundConnection, 5000);
    assert.equal(c.doc.MaxInboundConnectionPerSource, 20);
    assert.equal(c.doc.MaxInboundConnectionPercentagePerSource, 2);
    assert.equal(c.doc.ConnectionTimeout, 600);
    assert.equal(c.doc.ConnectionInactivityTimeout, 300);
    assert.equal(c.doc.MaxProtocolErrors, 5);
    assert.equal(c.doc.TarpitInterval, 5);
    assert.equal(c.doc.AuthTarpitInterval, 5);
    assert.equal(c.doc.MaxHopCount, 30);
    assert.equal(c.doc.MaxLocalHopCount, 8);
    assert.equal(c.doc.MessageRateLimit, 'unlimited');
    assert.equal(c.doc.AdvertiseClientSettings, false);
    assert.equal(c.doc.RequireTLS, false);
    assert.equal(c.doc.Fqdn, 'mail01.contoso.com');
    assert.equal(c.doc.SizeEnabled, 'Enabled');
  }
});

test('organization limits: 10 MB send and receive, 500 envelope recipients', () => {
  assert.deepEqual(defaultsOf(TRANSPORT_CONFIG, ctx), {
    MaxReceiveSize: 10 * MB, MaxSendSize: 10 * MB, MaxRecipientEnvelopeLimit: 500, DmarcRejectAction: 'Reject', ExternalPostmasterAddress: null,
    DelayNotificationTimeout: 4 * 3600,
  });
});

test('mailbox database quotas and retention', () => {
  assert.deepEqual(defaultsOf(DATABASE_SETTINGS, ctx), {
    IssueWarningQuota: 2039480320,
    ProhibitSendQuota: 2147483648,
    ProhibitSendReceiveQuota: 2469396480,
    RecoverableItemsWarningQuota: 20 * 1024 ** 3,
    RecoverableItemsQuota: 30 * 1024 ** 3,
    DeletedItemRetention: 14 * 86400,
    MailboxRetention: 30 * 86400,
  });
});

test('CAS mailbox settings: POP3 and IMAP4 enabled, protocol defaults used', () => {
  const d = defaultsOf(CAS_MAILBOX_SETTINGS, ctx);
  for (const p of ['Pop', 'Imap']) {
    assert.equal(d[`${p}Enabled`], true);
    assert.equal(d[`${p}UseProtocolDefaults`], true);
    assert.equal(d[`${p}MessagesRetrievalMimeFormat`], 'BestBodyFormat');
    assert.equal(d[`${p}EnableExactRFC822Size`], true);
    assert.equal(d[`${p}SuppressReadReceipt`], true);
    assert.equal(d[`${p}ForceICalForCalendarRetrievalOption`], false);
  }
});

test('POP3 and IMAP4 services are disabled after setup; transport and web are automatic', () => {
  assert.deepEqual(
    SERVICES.map((s) => [s.name, s.exchangeName, s.initialStartupType]),
    [
      ['imap4', 'MSExchangeIMAP4', 'Disabled'],
      ['imap4-backend', 'MSExchangeIMAP4BE', 'Disabled'],
      ['pop3', 'MSExchangePOP3', 'Disabled'],
      ['pop3-backend', 'MSExchangePOP3BE', 'Disabled'],
      ['smtp', 'MSExchangeFrontEndTransport', 'Automatic'],
      ['smtp-backend', 'MSExchangeTransport', 'Automatic'],
      ['web', 'W3SVC', 'Automatic'],
    ],
  );
});

test('OrganizationConfig (Mailroom\'s own) defaults to OWASP\'s password storage cost', () => {
  // OWASP Password Storage Cheat Sheet: scrypt N=2^17, r=8, p=1; PBKDF2-HMAC-SHA256 600,000.
  assert.deepEqual(defaultsOf(ORGANIZATION_CONFIG, ctx), { PasswordHashCostFactor: 17, ScramIterationCount: 600_000 });
});
