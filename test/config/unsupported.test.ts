// Settings Exchange has that Mailroom cannot honour are refused with a reason, never stored and
// ignored; a value stored before it was refused reads back as the default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySettings, completeDocument, defaultsOf, type SettingDef } from '../../src/config/model.ts';
import { POP_SETTINGS, IMAP_SETTINGS } from '../../src/config/pop-imap.ts';
import { CAS_MAILBOX_SETTINGS } from '../../src/config/mailbox.ts';
import { RECEIVE_CONNECTOR_SETTINGS } from '../../src/config/receive-connector.ts';
import { unsupportedSendConnectorUsage } from '../../src/cli/cmdlets/transport-queue.ts';
import { mailroom, tempDataDir } from '../helpers.ts';

const ctx = { serverName: 'MAIL01', fqdn: 'mail01.contoso.com' };

const REFUSED: Array<[string, readonly SettingDef[], Record<string, unknown>, RegExp]> = [
  ['PopSettings', POP_SETTINGS, { EnableGSSAPIAndNTLMAuth: true }, /-EnableGSSAPIAndNTLMAuth \$true is not supported: Mailroom does not support NTLM or Kerberos/],
  ['ImapSettings', IMAP_SETTINGS, { EnableGSSAPIAndNTLMAuth: true }, /not supported: Mailroom does not support NTLM/],
  ['ImapSettings', IMAP_SETTINGS, { ExtendedProtectionPolicy: 'Require' }, /-ExtendedProtectionPolicy Require is not supported: Extended Protection/],
  ['PopSettings', POP_SETTINGS, { ExtendedProtectionPolicy: 'allow' }, /-ExtendedProtectionPolicy Allow is not supported/],
  ['PopSettings', POP_SETTINGS, { MessageRetrievalMimeFormat: 'Tnef' }, /-MessageRetrievalMimeFormat Tnef is not supported: .*TNEF \(winmail\.dat\)/],
  ['CASMailbox', CAS_MAILBOX_SETTINGS, { ImapMessagesRetrievalMimeFormat: 'Tnef' }, /Tnef is not supported/],
  ['ReceiveConnector', RECEIVE_CONNECTOR_SETTINGS, { AuthMechanism: ['Tls', 'Integrated'] }, /-AuthMechanism Integrated is not supported: Mailroom does not support NTLM or Kerberos/],
  ['ReceiveConnector', RECEIVE_CONNECTOR_SETTINGS, { AuthMechanism: ['ExternalAuthoritative'] }, /ExternalAuthoritative is not supported/],
  ['ReceiveConnector', RECEIVE_CONNECTOR_SETTINGS, { PermissionGroups: ['Partners'] }, /Partners is not supported: .*Domain Security/],
  ['PopSettings', POP_SETTINGS, { SuppressReadReceipt: false }, /-SuppressReadReceipt \$false is not supported: Mailroom does not send read receipts when a POP3 or IMAP4 client downloads/],
  ['CASMailbox', CAS_MAILBOX_SETTINGS, { ImapSuppressReadReceipt: false }, /-ImapSuppressReadReceipt \$false is not supported/],
  ['ReceiveConnector', RECEIVE_CONNECTOR_SETTINGS, { AuthMechanism: ['Tls', 'ExchangeServer'] }, /-AuthMechanism ExchangeServer is not supported: servers of a Mailroom organization pass mail to each other over the delivery port/],
  ['ReceiveConnector', RECEIVE_CONNECTOR_SETTINGS, { PermissionGroups: ['AnonymousUsers', 'ExchangeServers'] }, /-PermissionGroups ExchangeServers is not supported: no client of a receive connector is an Exchange server/],
  ['ReceiveConnector', RECEIVE_CONNECTOR_SETTINGS, { PermissionGroups: ['ExchangeLegacyServers'] }, /ExchangeLegacyServers is not supported/],
  ['PopSettings', POP_SETTINGS, { EnableExactRFC822Size: false }, /-EnableExactRFC822Size \$false is not supported: Mailroom always reports exact message sizes/],
  ['CASMailbox', CAS_MAILBOX_SETTINGS, { ImapEnableExactRFC822Size: false }, /-ImapEnableExactRFC822Size \$false is not supported/],
  ['ReceiveConnector', RECEIVE_CONNECTOR_SETTINGS, { EnableAuthGSSAPI: true }, /-EnableAuthGSSAPI \$true is not supported/],
];

for (const [what, defs, change, message] of REFUSED) {
  test(`${what}: ${JSON.stringify(change)} is refused with the reason`, () => {
    const current = defaultsOf(defs, ctx);
    assert.throws(() => applySettings(defs, current, change), message);
  });
}

test('the values Mailroom does honour are still accepted', () => {
  const pop = applySettings(POP_SETTINGS, defaultsOf(POP_SETTINGS, ctx), {
    EnableGSSAPIAndNTLMAuth: false, ExtendedProtectionPolicy: 'None', MessageRetrievalMimeFormat: 'TextOnly',
  });
  assert.equal(pop.MessageRetrievalMimeFormat, 'TextOnly');
  const rc = applySettings(RECEIVE_CONNECTOR_SETTINGS, defaultsOf(RECEIVE_CONNECTOR_SETTINGS, ctx), {
    AuthMechanism: ['Tls', 'BasicAuth'], PermissionGroups: ['AnonymousUsers', 'ExchangeUsers'],
  });
  assert.deepEqual(rc.AuthMechanism, ['Tls', 'BasicAuth']);
});

test('a refused value stored by an earlier version reads back as the default (or drops out of a list)', () => {
  const pop = completeDocument(POP_SETTINGS, { EnableGSSAPIAndNTLMAuth: true, ExtendedProtectionPolicy: 'Require', MessageRetrievalMimeFormat: 'Tnef', Banner: 'Hi' }, ctx);
  assert.equal(pop.EnableGSSAPIAndNTLMAuth, false);
  assert.equal(pop.ExtendedProtectionPolicy, 'None');
  assert.equal(pop.MessageRetrievalMimeFormat, 'BestBodyFormat');
  assert.equal(pop.Banner, 'Hi');
  const rc = completeDocument(RECEIVE_CONNECTOR_SETTINGS, { AuthMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS', 'Integrated'] }, ctx);
  assert.deepEqual(rc.AuthMechanism, ['Tls', 'BasicAuth', 'BasicAuthRequireTLS']);
  // The Default Frontend connector as earlier versions' setup stored it.
  const inbound = completeDocument(RECEIVE_CONNECTOR_SETTINGS, {
    AuthMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer'], PermissionGroups: ['AnonymousUsers', 'ExchangeLegacyServers', 'ExchangeServers'],
  }, ctx);
  assert.deepEqual(inbound.AuthMechanism, ['Tls', 'BasicAuth', 'BasicAuthRequireTLS']);
  assert.deepEqual(inbound.PermissionGroups, ['AnonymousUsers']);
});

test('New-SendConnector -Usage: Internet and Custom describe every Mailroom connector; Internal and Partner are refused', () => {
  assert.equal(unsupportedSendConnectorUsage(undefined), undefined);
  assert.equal(unsupportedSendConnectorUsage('Internet'), undefined);
  assert.equal(unsupportedSendConnectorUsage('Custom'), undefined);
  assert.match(unsupportedSendConnectorUsage('Internal')!, /-Usage Internal is not supported/);
  assert.match(unsupportedSendConnectorUsage('Partner')!, /-Usage Partner is not supported: .*Domain Security/);
});

test('the cmdlets refuse them from the command line and store nothing', () => {
  const data = tempDataDir();
  try {
    const env = { MAILROOM_DATA: data.path };
    const setup = mailroom(['setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026'], env);
    assert.equal(setup.status, 0, setup.stderr);
    const gss = mailroom(['Set-ImapSettings', '-EnableGSSAPIAndNTLMAuth', 'true', '-Banner', 'Changed'], env);
    assert.notEqual(gss.status, 0);
    assert.match(gss.stderr, /-EnableGSSAPIAndNTLMAuth \$true is not supported: Mailroom does not support NTLM or Kerberos/);
    const partner = mailroom(['New-SendConnector', 'Partner link', '-Usage', 'Partner', '-AddressSpaces', 'fabrikam.com'], env);
    assert.notEqual(partner.status, 0);
    assert.match(partner.stderr, /-Usage Partner is not supported/);
    const shown = mailroom(['Get-ImapSettings', '--json'], env);
    assert.equal(shown.status, 0, shown.stderr);
    const imap = JSON.parse(shown.stdout)[0];
    assert.equal(imap.EnableGSSAPIAndNTLMAuth, false);
    assert.notEqual(imap.Banner, 'Changed');
    const connectors = mailroom(['Get-SendConnector', '--json'], env);
    assert.equal(connectors.status, 0, connectors.stderr);
    assert.equal(connectors.stdout.includes('Partner link'), false);
    const reset = mailroom(['New-Mailbox', '-Name', 'Dana', '-Password', 'Dana-Pass-2026', '-ResetPasswordOnNextLogon', 'true'], env);
    assert.notEqual(reset.status, 0);
    assert.match(reset.stderr, /-ResetPasswordOnNextLogon \$true is not supported/);
    const whatIf = mailroom(['Set-PopSettings', '-Banner', 'Preview only', '-WhatIf'], env);
    assert.notEqual(whatIf.status, 0);
    assert.match(whatIf.stderr, /-WhatIf is not supported: .*nothing was done/);
    const after = mailroom(['Get-Mailbox', '--json'], env);
    assert.equal(after.stdout.includes('Dana'), false);
    assert.equal(JSON.parse(mailroom(['Get-PopSettings', '--json'], env).stdout)[0].Banner.includes('Preview only'), false);
  } finally {
    data.cleanup();
  }
});

test('ProxyTargetPort: the back end\'s proxy port, any port', () => {
  assert.equal(applySettings(POP_SETTINGS, defaultsOf(POP_SETTINGS, ctx), { ProxyTargetPort: 1995 }).ProxyTargetPort, 1995);
  assert.equal(applySettings(IMAP_SETTINGS, defaultsOf(IMAP_SETTINGS, ctx), { ProxyTargetPort: 2993 }).ProxyTargetPort, 2993);
  assert.throws(() => applySettings(IMAP_SETTINGS, defaultsOf(IMAP_SETTINGS, ctx), { ProxyTargetPort: 70000 }), /ProxyTargetPort/);
});
