// The outbound queue against loopback servers started here (smtp-server as the remote MX and as a
// smart host) and a DNS table: MX routing with STARTTLS, DKIM signatures that verify, retries,
// DSNs for permanent failures and expiry, smart hosts with AUTH, and the queue cmdlets.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { authenticate } from 'mailauth';
import nodemailer from 'nodemailer';
import { cmdletCommand } from '../../src/cli/run.ts';
import { dkimTxtRecord, newDkimKey } from '../../src/smtp/dkim/dkim-keys.ts';
import { tableResolver } from '../../src/smtp/dns.ts';
import { OutboundQueueRunner } from '../../src/smtp/queue/outbound-queue.ts';
import { QueueStore } from '../../src/smtp/queue/queue-store.ts';
import { newSendConnector, removeSendConnector } from '../../src/smtp/queue/send-connectors.ts';
import { eventually } from '../helpers.ts';
import { startFakeMx, type FakeMx } from './fake-mx.ts';
import { PASSWORDS, startSmtpServer, type SmtpTestServer } from './harness.ts';

const DNS: Record<string, unknown[]> = {
  'example.net MX': [{ exchange: 'mx1.example.net', priority: 10 }],
  'mx1.example.net A': ['127.0.0.1'],
  'nomail.example MX': [{ exchange: '.', priority: 0 }],
  'slow.example MX': [{ exchange: 'mx.slow.example', priority: 10 }],
  'mx.slow.example A': ['127.0.0.1'],
};

let s: SmtpTestServer;
let mx: FakeMx;
let runner: OutboundQueueRunner;
/** HubTransport Inactive (Set-ServerComponentState) holds the queue; the service passes its state here. */
let held = false;

before(async () => {
  s = await startSmtpServer({
    dns: DNS,
    deps: async ({ dir, delivery, data, log }) => {
      runner = await OutboundQueueRunner.open({
        dataFolder: data, directory: dir, resolver: tableResolver(DNS), delivery, log, fqdn: () => 'mail01.contoso.com',
        retryScheduleMs: [300], expirationMs: 2500, pollMs: 100, held: () => held,
      });
      return { outbound: runner };
    },
  });
  const cert = (await s.dir.certificates())[0]!;
  mx = await startFakeMx({ certPem: cert.certPem, keyPem: cert.keyPem });
  await newSendConnector(s.dir, 'To Internet', { AddressSpaces: ['*'], Port: mx.port });
});
after(async () => {
  await s.stop();
  await mx.close();
});

const alice = () => nodemailer.createTransport({
  host: '127.0.0.1', port: s.ports.secure, secure: true, auth: { user: 'alice@contoso.com', pass: PASSWORDS.alice }, tls: { rejectUnauthorized: false },
});

async function cmdlet(name: string, ...args: string[]): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const status = await cmdletCommand(name, [...args], out, s.dir);
  assert.equal(status, 0, `${name} failed`);
  return text;
}

const lastMx = () => mx.received.at(-1)!;
const reports = async () => (await s.messages('alice')).map((m) => m.raw.toString()).filter((t) => /report-type=delivery-status/.test(t));

describe('MX routing', () => {
  test('a remote recipient is delivered to the domain\'s MX over STARTTLS; local recipients of the same message get their copy', async () => {
    const before = { mx: mx.received.length, bob: (await s.messages('bob')).length };
    const info = await alice().sendMail({ from: 'alice@contoso.com', to: ['friend@example.net', 'bob@contoso.com'], subject: 'Hello out there', text: 'Hi' });
    assert.deepEqual(info.accepted.sort(), ['bob@contoso.com', 'friend@example.net']);
    assert.equal((await s.messages('bob')).length, before.bob + 1, 'the local copy is in place when 250 is given');
    await eventually(() => mx.received.length > before.mx, 5000);
    const got = lastMx();
    assert.equal(got.from, 'alice@contoso.com');
    assert.deepEqual(got.to, ['friend@example.net']);
    assert.equal(got.secure, true, 'STARTTLS was used because it was offered');
    assert.match(got.raw.toString(), /^Received: from \S+ \(\[127\.0\.0\.1\]\)\r\n by mail01\.contoso\.com \(Mailroom\) with ESMTPSA/m);
    await eventually(async () => (await runner.store.messages()).length === 0, 3000);
  });

  test('with a DKIM key for the sender\'s domain, outbound mail is signed and verifies against the published record', async () => {
    const key = await newDkimKey(s.dir, { domain: 'contoso.com', selector: 'test1', keySize: 1024 });
    const record = dkimTxtRecord(key);
    assert.equal(record.name, 'test1._domainkey.contoso.com');
    const stored = await s.dir.db.get<{ private_key: string }>(`SELECT private_key FROM dkim_keys WHERE selector = 'test1'`);
    assert.ok(!stored!.private_key.includes('PRIVATE KEY'), 'the private key is stored sealed (docs/security.md, Data at rest)');
    await alice().sendMail({ from: 'Alice <alice@contoso.com>', to: 'friend@example.net', subject: 'Signed', text: 'Body\n' });
    await eventually(() => /Subject: Signed/.test(lastMx().raw.toString()), 5000);
    const raw = lastMx().raw;
    assert.match(raw.toString(), /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=contoso\.com;/);
    const verified = await authenticate(raw, {
      ip: '127.0.0.1', helo: 'mail01.contoso.com', sender: 'alice@contoso.com', mta: 'mx1.example.net', disableArc: true, disableBimi: true,
      resolver: tableResolver({ [`${record.name} TXT`]: [[record.value]], '_dmarc.contoso.com TXT': [['v=DMARC1; p=reject']], 'contoso.com TXT': [['v=spf1 ip4:127.0.0.1 -all']] }) as never,
    });
    assert.equal(verified.dkim.results[0]?.status.result, 'pass');
    assert.equal(verified.dmarc && verified.dmarc.status.result, 'pass');
  });

  test('a permanent refusal ends in a DSN to the sender, with the remote reply', async () => {
    mx.answer = (a) => (a === 'nobody@example.net' ? '550 5.1.1 No such user here' : undefined);
    const before = (await reports()).length;
    await alice().sendMail({ from: 'alice@contoso.com', to: 'nobody@example.net', subject: 'Will bounce', text: 'x' });
    await eventually(async () => (await reports()).length > before, 5000);
    const report = (await reports()).at(-1)!;
    assert.match(report, /^Return-Path: <>\r\n/);
    assert.match(report, /Subject: Undeliverable: Will bounce/);
    assert.match(report, /Final-Recipient: rfc822; nobody@example\.net\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx1\.example\.net \[127\.0\.0\.1\]/);
    assert.match(report, /Diagnostic-Code: smtp; 550 5\.1\.1 No such user here/);
    assert.match(report, /Content-Type: message\/rfc822\r\n\r\n[^]*Subject: Will bounce/);
    mx.answer = () => undefined;
  });

  test('a held queue (HubTransport Inactive) keeps its messages and delivers them once released', async () => {
    const before = mx.received.length;
    held = true;
    try {
      await alice().sendMail({ from: 'alice@contoso.com', to: 'friend@example.net', subject: 'Held back', text: 'x' });
      // Ten poll intervals: a running queue would have delivered long before.
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(mx.received.length, before, 'nothing leaves while the queue is held');
      assert.equal((await runner.store.messages()).length, 1, 'the message waits in the queue');
    } finally {
      held = false;
    }
    await eventually(() => mx.received.length > before, 5000);
    assert.match(lastMx().raw.toString(), /Subject: Held back/);
    await eventually(async () => (await runner.store.messages()).length === 0, 3000);
  });

  test('a temporary refusal is retried, and the queue shows it meanwhile', async () => {
    let refusals = 0;
    mx.answer = (a) => (a === 'later@example.net' && refusals++ < 1 ? '451 4.3.0 Try again later' : undefined);
    const before = mx.received.length;
    await alice().sendMail({ from: 'alice@contoso.com', to: 'later@example.net', subject: 'Retried', text: 'x' });
    await eventually(async () => (await runner.store.recipients()).some((r) => r.status === 'retry'), 3000);
    const queue = await cmdlet('Get-Queue');
    assert.match(queue, /Identity\s+: MAIL01\\example\.net/);
    assert.match(queue, /Status\s+: Retry/);
    assert.match(queue, /LastError\s+: 451 4\.3\.0 Try again later/);
    await eventually(() => mx.received.length > before, 5000);
    assert.match(lastMx().raw.toString(), /Subject: Retried/);
    mx.answer = () => undefined;
  });

  test('a domain with a null MX fails at once (RFC 7505)', async () => {
    const before = (await reports()).length;
    await alice().sendMail({ from: 'alice@contoso.com', to: 'someone@nomail.example', subject: 'Null MX', text: 'x' });
    await eventually(async () => (await reports()).length > before, 5000);
    assert.match((await reports()).at(-1)!, /Status: 5\.4\.4[^]*null MX/);
  });

  test('a message that cannot be delivered before it expires ends in a 4.4.7 DSN', async () => {
    mx.answer = (a) => (a.endsWith('@slow.example') ? '451 4.4.1 Busy' : undefined);
    const before = (await reports()).length;
    await alice().sendMail({ from: 'alice@contoso.com', to: 'x@slow.example', subject: 'Expires', text: 'x' });
    await eventually(async () => (await reports()).length > before, 8000);
    const report = (await reports()).at(-1)!;
    assert.match(report, /Subject: Undeliverable: Expires/);
    assert.match(report, /Status: 4\.4\.7/);
    mx.answer = () => undefined;
  });
});

describe('queue commands', () => {
  test('the queue is on disk when 250 is given; Get-Message, Suspend, Resume, Remove-Message with an NDR', async () => {
    mx.answer = (a) => (a === 'held@example.net' ? '451 4.4.1 Not now' : undefined);
    await alice().sendMail({ from: 'alice@contoso.com', to: 'held@example.net', subject: 'Held', text: 'x' });
    // Another process opening the queue file sees the message: it was committed before the 250.
    const other = await QueueStore.open(s.data);
    const queued = (await other.messages()).find((m) => m.subject === 'Held');
    await other.close();
    assert.ok(queued);
    await eventually(async () => (await runner.store.recipients(queued.id)).some((r) => r.status === 'retry'), 3000);
    const listed = await cmdlet('Get-Message', `MAIL01\\${queued.id}`);
    assert.match(listed, /FromAddress\s+: alice@contoso\.com/);
    assert.match(listed, /Recipients\s+: \{held@example\.net;Retry\}/);
    await cmdlet('Suspend-Message', `MAIL01\\${queued.id}`);
    assert.match(await cmdlet('Get-Message', queued.id), /Status\s+: Suspended/);
    await cmdlet('Resume-Message', queued.id);
    const before = (await reports()).length;
    await cmdlet('Remove-Message', `MAIL01\\${queued.id}`);
    await eventually(async () => (await reports()).length > before, 5000);
    assert.match((await reports()).at(-1)!, /deleted by an administrator/);
    await eventually(async () => (await runner.store.message(queued.id)) === undefined, 3000);
    mx.answer = () => undefined;
  });

  test('Retry-Queue makes waiting mail due at once', async () => {
    await runner.stop();
    // A queue whose retries are far apart: only Retry-Queue brings the second attempt soon.
    runner = await OutboundQueueRunner.open({
      dataFolder: s.data, directory: s.dir, resolver: tableResolver(DNS), delivery: (s.service as never as { ctx: { delivery: never } }).ctx.delivery,
      log: (s.service as never as { ctx: { log: never } }).ctx.log, fqdn: () => 'mail01.contoso.com', retryScheduleMs: [60 * 60 * 1000], pollMs: 100,
    });
    (s.service as never as { ctx: { outbound: OutboundQueueRunner } }).ctx.outbound = runner;
    let refusals = 0;
    mx.answer = (a) => (a === 'again@example.net' && refusals++ < 1 ? '451 4.3.0 Later' : undefined);
    const before = mx.received.length;
    await alice().sendMail({ from: 'alice@contoso.com', to: 'again@example.net', subject: 'Retry-Queue', text: 'x' });
    await eventually(async () => (await runner.store.recipients()).some((r) => r.status === 'retry' && r.address === 'again@example.net'), 3000);
    assert.match(await cmdlet('Retry-Queue', 'MAIL01\\example.net'), /1 recipient\(s\) will be retried/);
    await eventually(() => mx.received.length > before, 3000);
    mx.answer = () => undefined;
  });
});

describe('smart host', () => {
  /** Sends one message to partner@<domain> and waits until its attempt failed; its queue entry. */
  async function failedAttempt(domain: string, subject: string) {
    await alice().sendMail({ from: 'alice@contoso.com', to: `partner@${domain}`, subject, text: 'x' });
    let id = '';
    await eventually(async () => {
      const queued = (await runner.store.messages()).find((m) => m.subject === subject);
      if (!queued) return false;
      id = queued.id;
      return (await runner.store.recipients(id)).some((r) => r.status === 'retry');
    }, 5000);
    return { id, recipient: (await runner.store.recipients(id))[0]! };
  }

  test('a smart host whose certificate is not trusted never gets the password; the message waits, saying why', async () => {
    // The organization's self-signed certificate: nothing on this machine trusts it.
    const cert = (await s.dir.certificates())[0]!;
    const relay = await startFakeMx({ certPem: cert.certPem, keyPem: cert.keyPem, auth: { user: 'relay@contoso.com', pass: 'Relay-Pass-2026' } });
    try {
      await cmdlet('New-SendConnector', '-Name', 'Via provider', '-AddressSpaces', 'fabrikam.example', '-SmartHosts', '127.0.0.1', '-Port', String(relay.port),
        '-SmartHostAuthMechanism', 'BasicAuthRequireTLS', '-AuthenticationUserName', 'relay@contoso.com', '-AuthenticationPassword', 'Relay-Pass-2026');
      const shown = await cmdlet('Get-SendConnector', 'Via provider');
      assert.match(shown, /DNSRoutingEnabled\s+: False/);
      assert.match(shown, /AuthenticationPassword\s+: \*{8}/);
      const stored = await s.dir.db.get<{ value: string }>(`SELECT value FROM send_connectors WHERE name_key = 'via provider'`);
      assert.ok(!stored!.value.includes('Relay-Pass-2026'), 'the password is stored sealed (docs/security.md, Data at rest)');
      const { id, recipient } = await failedAttempt('fabrikam.example', 'Via untrusted smart host');
      assert.ok(relay.connections > 0, 'the smart host was reached');
      assert.equal(relay.authAttempts, 0, 'no AUTH was sent');
      assert.equal(relay.received.length, 0);
      assert.match(recipient.lastError!, /^TLS: 127\.0\.0\.1:\d+ did not present a trusted certificate for 127\.0\.0\.1; the send connector needs one before it sends the smart host password: /);
      assert.match(await cmdlet('Get-Queue'), /LastError\s+: TLS: 127\.0\.0\.1:\d+ did not present a trusted certificate/);
      await runner.store.remove(id, false);
    } finally {
      await removeSendConnector(s.dir, 'Via provider');
      await relay.close();
    }
  });

  test('-SmartHostAuthMechanism BasicAuth does not send the password in clear to a smart host without STARTTLS', async () => {
    const cert = (await s.dir.certificates())[0]!;
    const relay = await startFakeMx({ certPem: cert.certPem, keyPem: cert.keyPem, startTls: false, auth: { user: 'relay@contoso.com', pass: 'Relay-Pass-2026' } });
    try {
      await newSendConnector(s.dir, 'Plain provider', { AddressSpaces: ['plain.example'], SmartHosts: ['127.0.0.1'], Port: relay.port, SmartHostAuthMechanism: 'BasicAuth',
        AuthenticationUserName: 'relay@contoso.com', AuthenticationPassword: 'Relay-Pass-2026' });
      const { id, recipient } = await failedAttempt('plain.example', 'Via plain smart host');
      assert.equal(relay.authAttempts, 0, 'no AUTH was sent');
      assert.match(recipient.lastError!, /TLS required by the send connector but not available at 127\.0\.0\.1/);
      await runner.store.remove(id, false);
    } finally {
      await removeSendConnector(s.dir, 'Plain provider');
      await relay.close();
    }
  });

  test('-TlsAuthLevel and -TlsDomain keep Exchange\'s rules, and a password never goes with EncryptionOnly', async () => {
    await assert.rejects(newSendConnector(s.dir, 'Broken', { TlsAuthLevel: 'CertificateValidation' }), /-TlsAuthLevel can be set only with -RequireTLS \$true/);
    await assert.rejects(newSendConnector(s.dir, 'Broken', { RequireTLS: true, TlsAuthLevel: 'CertificateValidation', TlsDomain: 'relay.example' }), /-TlsDomain is used only with -TlsAuthLevel DomainValidation/);
    await assert.rejects(newSendConnector(s.dir, 'Broken', { RequireTLS: true, TlsAuthLevel: 'EncryptionOnly', SmartHosts: ['relay.example'], SmartHostAuthMechanism: 'BasicAuthRequireTLS', AuthenticationUserName: 'u', AuthenticationPassword: 'p' }), /EncryptionOnly would send the smart host password/);
  });

  test('-RequireTLS with -TlsAuthLevel CertificateValidation refuses an untrusted MX certificate; EncryptionOnly accepts it', async () => {
    await cmdlet('Set-SendConnector', 'To Internet', '-RequireTLS', '$true', '-TlsAuthLevel', 'CertificateValidation');
    try {
      const before = mx.received.length;
      const { id, recipient } = await failedAttempt('example.net', 'Needs a trusted MX');
      assert.match(recipient.lastError!, /^TLS: mx1\.example\.net \[127\.0\.0\.1\]:\d+ did not present a trusted certificate; the send connector needs one \(-TlsAuthLevel CertificateValidation\)/);
      assert.equal(mx.received.length, before);
      await cmdlet('Set-SendConnector', 'To Internet', '-TlsAuthLevel', 'EncryptionOnly');
      await cmdlet('Retry-Queue', 'MAIL01\\example.net');
      await eventually(() => mx.received.length > before, 5000);
      await eventually(async () => (await runner.store.message(id)) === undefined, 3000);
    } finally {
      await cmdlet('Set-SendConnector', 'To Internet', '-TlsAuthLevel', '$null', '-RequireTLS', '$false');
    }
  });

  test('send connector settings are checked like Exchange checks them', async () => {
    await assert.rejects(newSendConnector(s.dir, 'Broken', { DNSRoutingEnabled: false }), /needs -SmartHosts/);
    await assert.rejects(newSendConnector(s.dir, 'Broken', { SmartHosts: ['relay.example'], SmartHostAuthMechanism: 'BasicAuth' }), /needs -AuthenticationUserName/);
    await assert.rejects(newSendConnector(s.dir, 'To Internet', {}), /already exists/);
  });
});

test('New-DkimSigningKey prints the record to publish, split into 255-octet strings', async () => {
  const text = await cmdlet('New-DkimSigningKey', 'contoso.com', '-Selector', 'print1');
  assert.match(text, /^Outbound mail from contoso\.com is signed with selector print1 from now on\./);
  assert.match(text, /\nprint1\._domainkey\.contoso\.com\. 3600 IN TXT "v=DKIM1; k=rsa; p=[A-Za-z0-9+/]{200,}" "[A-Za-z0-9+/=]+"/);
  assert.match(await cmdlet('Get-DkimSigningKey', 'contoso.com'), /Selector\s+: print1\nEnabled\s+: True/);
});
