// Table tests for the pure parts of the SMTP service: line-ending checks, trace fields, the
// connector view of the settings, the greeting, certificate names and the submission rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectorDefaults, DEFAULT_CONNECTORS } from '../../src/config/receive-connector.ts';
import { defaultsOf } from '../../src/config/model.ts';
import { TRANSPORT_CONFIG } from '../../src/config/transport.ts';
import { readConnector, serverShapeKey } from '../../src/smtp/connector-config.ts';
import { certificateNameOf } from '../../src/smtp/connector-runtime.ts';
import { countLocalReceived, countReceived, hasBareLineBreak, headerLength, originatorAddresses, readHeader } from '../../src/smtp/message-checks.ts';
import { greetingLine } from '../../src/smtp/session-handlers.ts';
import { SubmissionRate } from '../../src/smtp/submission-policy.ts';
import { receivedHeader, rfc5322Date, withProtocol } from '../../src/smtp/trace-headers.ts';
import { receivedBy } from '../../src/smtp/message-checks.ts';
import { cpuCost } from '../support/cpu-time.ts';
import { pick, prng, randomInt } from '../support/random.ts';

const ctx = { serverName: 'MAIL01', fqdn: 'mail01.contoso.com' };
const MB = 1024 * 1024;
const transport = defaultsOf(TRANSPORT_CONFIG, ctx);
const connector = (index: number, overrides: Record<string, unknown> = {}) =>
  readConnector({ identity: `MAIL01\\C${index}`, server: 'MAIL01', name: `C${index}`, settings: { ...connectorDefaults(DEFAULT_CONNECTORS[index]!, ctx), ...overrides } as never }, transport);

test('bare CR and LF are found anywhere; CRLF pairs are fine', () => {
  const cases: [string, boolean][] = [
    ['', false], ['a\r\nb\r\n', false], ['\r\n', false], ['a\nb', true], ['\n', true], ['a\rb', true], ['\r', true],
    ['a\r\n.\nb', true], ['a\r\r\n', true], ['a\r\n\n', true], ['x\r\n.\r\n', false], ['end\r', true],
  ];
  for (const [text, expected] of cases) assert.equal(hasBareLineBreak(Buffer.from(text, 'latin1')), expected, JSON.stringify(text));
});

test('header length, Received count and originator addresses', () => {
  const raw = Buffer.from('Received: a\r\nreceived: b\r\n c\r\nFrom: "Wong, Alice" <alice@contoso.com>, bob@contoso.com\r\nSender: =?utf-8?q?x?= <sales@contoso.com>\r\n\r\nbody\r\n');
  const header = readHeader(raw);
  assert.equal(header.size, raw.indexOf('body'));
  assert.equal(headerLength(Buffer.from('\r\nbody')), 2);
  assert.equal(countReceived(header), 2);
  assert.deepEqual(originatorAddresses(raw, header), { from: ['alice@contoso.com', 'bob@contoso.com'], sender: ['sales@contoso.com'] });
  const utf8 = Buffer.from('From: 鮑勃 <鮑勃@contoso.com>\r\n\r\n', 'utf8');
  assert.deepEqual(originatorAddresses(utf8, readHeader(utf8)).from, ['鮑勃@contoso.com']);
});

test('receivedBy: the host after `by`, whatever the folding, comments or case', () => {
  const cases: Array<[string, string]> = [
    [' from a.example ([192.0.2.1]) by mail01.contoso.com (Mailroom) with ESMTPS id x; Thu, 26 Nov 2026', 'mail01.contoso.com'],
    [' from a.example\r\n\tby MX.Example.ORG with SMTP; Thu', 'mx.example.org'],
    [' from a.example by mx.example.org;Thu', 'mx.example.org'],
    [' from a.example by mx.example.org(comment)', 'mx.example.org'],
    [' from byline.example (nearby.example) by x.example', 'x.example'],
    [' from a.example with SMTP; Thu', ''],
    [' from a.example by', ''],
    ['by first.example', 'first.example'],
    ['', ''],
  ];
  for (const [value, host] of cases) assert.equal(receivedBy(value), host, JSON.stringify(value));
  const raw = Buffer.from('Received: from a by mail01.contoso.com; x\r\nReceived: from b\r\n by MAIL01.CONTOSO.COM with ESMTP\r\nReceived: from c by other.example\r\n\r\n');
  assert.equal(countLocalReceived(raw, readHeader(raw), new Set(['mail01.contoso.com'])), 2);
});

test('receivedBy: on random fields it returns a token of the field, after a standalone `by`, and stays linear', () => {
  const random = prng(0x5eed_4b7);
  const words = ['by', 'from', 'with', 'BY', 'bY', 'by;', '(by', 'x.example', ';', '(c)', '\t', '\r\n ', 'nearby', 'by\t'];
  for (let i = 0; i < 3000; i++) {
    const value = Array.from({ length: randomInt(random, 12) }, () => pick(random, words)).join(pick(random, [' ', '', '  ']));
    const host = receivedBy(value);
    if (host === '') continue;
    assert.ok(value.toLowerCase().includes(host), JSON.stringify(value));
    assert.ok(!/[\s;(]/.test(host), JSON.stringify(host));
  }
  const hostile = ' by'.repeat(200_000) + 'x';
  const { ms } = cpuCost(() => receivedBy(hostile));
  assert.ok(ms < 500, `${ms} ms of CPU`);
});

test('Received: RFC 5321 §4.4 form, TLS and authentication as comments, for only with one recipient', () => {
  const date = new Date(Date.UTC(2026, 10, 26, 10, 0, 0));
  const text = receivedHeader({
    helo: 'pc.example', clientAddress: '2001:db8::1', by: 'mail01.contoso.com', protocol: 'ESMTPSA',
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' }, authenticatedAs: 'alice@contoso.com', id: 'ABC', recipient: 'bob@contoso.com', date,
  });
  assert.equal(text, [
    'Received: from pc.example ([IPv6:2001:db8::1])',
    ' by mail01.contoso.com (Mailroom) with ESMTPSA',
    ' (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384)',
    ' (authenticated as alice@contoso.com)',
    ' id ABC for <bob@contoso.com>;',
    ` ${rfc5322Date(date)}`,
    '',
  ].join('\r\n'));
  assert.match(receivedHeader({ helo: 'evil)\r\nX-Injected: 1', clientAddress: '192.0.2.1', by: 'mx', protocol: 'ESMTP', id: '1' }), /^Received: from evilX-Injected: 1 \(\[192\.0\.2\.1\]\)/);
  assert.equal(withProtocol({ ehlo: true, tls: true, authenticated: false, utf8: true }), 'UTF8SMTPS');
  assert.equal(withProtocol({ ehlo: false, tls: false, authenticated: false, utf8: false }), 'SMTP');
  assert.match(rfc5322Date(date), /^Thu, 26 Nov 2026 \d\d:\d\d:00 [+-]\d{4}$/);
});

test('connector view: Exchange defaults, smallest size limit, permission groups', () => {
  const inbound = connector(0);
  const client = connector(1);
  const secure = connector(2);
  assert.equal(inbound.maxMessageSize, 10 * MB, '36 MB connector, 10 MB MaxReceiveSize');
  assert.equal(client.maxMessageSize, 10 * MB, '36 MB connector, 10 MB MaxSendSize');
  assert.equal(connector(1, { MaxMessageSize: 5 * MB }).maxMessageSize, 5 * MB);
  assert.equal(inbound.maxRecipients, 200);
  assert.equal(connector(0, { MaxRecipientsPerMessage: 1000 }).maxRecipients, 500, 'MaxRecipientEnvelopeLimit caps it');
  assert.deepEqual([inbound.anonymous, inbound.exchangeUsers, client.anonymous, client.exchangeUsers], [true, false, false, true]);
  assert.deepEqual([client.startTls, client.basicAuth, client.basicAuthRequiresTls, secure.implicitTls], [true, true, true, true]);
  assert.equal(inbound.maxConnectionsPerSource, 20, 'min of 20 and 2 % of 5000');
  assert.equal(connector(0, { MaxInboundConnection: 100 }).maxConnectionsPerSource, 2, '2 % of 100');
  assert.equal(client.messageRateLimit, Infinity);
  assert.equal(inbound.dmarcRejectAction, 'Reject');
  assert.equal(inbound.tarpitMs, 5000);
  assert.notEqual(serverShapeKey(inbound, 'A'), serverShapeKey(inbound, 'B'), 'a new certificate needs a new instance');
  assert.equal(serverShapeKey(inbound, 'A'), serverShapeKey(connector(0, { MaxRecipientsPerMessage: 7 }), 'A'), 'limits read per command do not');
});

test('greeting: default wording, or the Banner as written without its 220', () => {
  const date = new Date(Date.UTC(2026, 0, 5, 8, 9, 10));
  assert.equal(greetingLine(connector(1), date), `mail01.contoso.com Mailroom ESMTP MAIL service ready at ${rfc5322Date(date)}`);
  assert.equal(greetingLine(connector(1, { Banner: '220 Contoso SMTP' })), 'Contoso SMTP');
  assert.equal(greetingLine(connector(1, { Banner: 'Hello there' })), 'Hello there');
});

test('TlsCertificateName: the subject CN of "<I>issuer<S>subject", or the Fqdn', () => {
  assert.equal(certificateNameOf(connector(1, { TlsCertificateName: '<I>CN=Contoso CA, O=Contoso<S>CN=smtp.contoso.com, O=Contoso' })), 'smtp.contoso.com');
  assert.equal(certificateNameOf(connector(1, { TlsCertificateName: 'mail.contoso.com' })), 'mail.contoso.com');
  assert.equal(certificateNameOf(connector(1)), 'mail01.contoso.com');
});

test('submission rate: a sliding minute per key', () => {
  let now = 0;
  const rate = new SubmissionRate(() => now);
  assert.ok(rate.allows('a', 2));
  rate.record('a');
  rate.record('a');
  assert.ok(!rate.allows('a', 2));
  assert.ok(rate.allows('b', 2));
  assert.ok(rate.allows('a', Infinity));
  now = 60_001;
  assert.ok(rate.allows('a', 2));
});
