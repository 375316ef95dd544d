// Delivery status notifications beyond failures (RFC 3461 NOTIFY, RFC 3464 reports): the one
// "delayed" report after DelayNotificationTimeout, "relayed" when the next server has no DSN,
// NOTIFY/ORCPT/RET/ENVID passed on to one that has, "delivered" for local mailboxes, and the
// structure of each report. Real sockets: the SMTP service, loopback MX servers and a DNS table.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import nodemailer from 'nodemailer';
import { cmdletCommand } from '../../src/cli/run.ts';
import type { SmtpContext } from '../../src/smtp/context.ts';
import { SqliteDatabase } from '../../src/lib/sql/sqlite.ts';
import { tableResolver } from '../../src/smtp/dns.ts';
import { OutboundQueueRunner, type OutboundQueueOptions } from '../../src/smtp/queue/outbound-queue.ts';
import { QueueStore } from '../../src/smtp/queue/queue-store.ts';
import { newSendConnector } from '../../src/smtp/queue/send-connectors.ts';
import { eventually, tempDataDir } from '../helpers.ts';
import { startFakeMx, type FakeMx } from './fake-mx.ts';
import { PASSWORDS, startSmtpServer, type SmtpTestServer } from './harness.ts';
import { plainAuth, SmtpTestClient } from './smtp-client.ts';

const DNS: Record<string, unknown[]> = {
  'example.net MX': [{ exchange: 'mx1.example.net', priority: 10 }],
  'mx1.example.net A': ['127.0.0.1'],
};
const EXPIRATION_MS = 120_000;

let s: SmtpTestServer;
/** Offers DSN; reached by MX for every domain but legacy.example. */
let mx: FakeMx;
/** Does not offer DSN; the smart host for legacy.example. */
let legacy: FakeMx;
let runner: OutboundQueueRunner;
let first: OutboundQueueRunner;
let runnerOptions: OutboundQueueOptions;

before(async () => {
  s = await startSmtpServer({
    dns: DNS,
    deps: async ({ dir, delivery, data, log }) => {
      runnerOptions = {
        dataFolder: data, directory: dir, resolver: tableResolver(DNS), delivery, log, fqdn: () => 'mail01.contoso.com',
        retryScheduleMs: [300], expirationMs: EXPIRATION_MS, pollMs: 100,
      };
      runner = first = await OutboundQueueRunner.open(runnerOptions);
      return { outbound: runner };
    },
  });
  // Seconds instead of Exchange's 4 hours, through the admin setting.
  await s.setTransport({ DelayNotificationTimeout: 1 });
  const cert = (await s.dir.certificates())[0]!;
  mx = await startFakeMx({ certPem: cert.certPem, keyPem: cert.keyPem });
  legacy = await startFakeMx({ certPem: cert.certPem, keyPem: cert.keyPem, dsn: false });
  await newSendConnector(s.dir, 'To Internet', { AddressSpaces: ['*'], Port: mx.port });
  await newSendConnector(s.dir, 'Legacy partner', { AddressSpaces: ['legacy.example'], SmartHosts: ['127.0.0.1'], Port: legacy.port });
});
after(async () => {
  if (runner !== first) await runner.stop();
  await s.stop();
  await mx.close();
  await legacy.close();
});

const alice = () => nodemailer.createTransport({
  host: '127.0.0.1', port: s.ports.secure, secure: true, auth: { user: 'alice@contoso.com', pass: PASSWORDS.alice }, tls: { rejectUnauthorized: false },
});

/** The reports in alice's Inbox whose subject starts with `subject`. */
async function reports(subject: string): Promise<string[]> {
  return (await s.messages('alice')).map((m) => m.raw.toString())
    .filter((t) => /report-type=delivery-status/.test(t) && t.includes(`\r\nSubject: ${subject}\r\n`));
}

async function oneReport(subject: string, timeoutMs = 8000): Promise<Report> {
  await eventually(async () => (await reports(subject)).length > 0, timeoutMs);
  const found = await reports(subject);
  assert.equal(found.length, 1, `one report "${subject}"`);
  return parseReport(found[0]!);
}

interface Report {
  raw: string;
  text: string;
  perMessage: Record<string, string>;
  perRecipient: Record<string, string>[];
  returnedType: string;
  returned: string;
}

/** Splits a multipart/report into its three parts and the delivery-status fields (RFC 6522, RFC 3464). */
function parseReport(raw: string): Report {
  assert.match(raw, /^Return-Path: <>\r\n/, 'reports come from the null sender');
  assert.match(raw, /\r\nAuto-Submitted: auto-replied\r\n/);
  const type = /\r\nContent-Type: multipart\/report; report-type=delivery-status; boundary="([^"]+)"\r\n/.exec(raw);
  assert.ok(type, 'multipart/report; report-type=delivery-status');
  const parts = raw.split(`\r\n--${type[1]}`);
  assert.equal(parts.length, 5, 'three body parts and the closing delimiter');
  assert.match(parts[4]!, /^--\r\n$/);
  const body = (part: string) => part.slice(part.indexOf('\r\n\r\n') + 4);
  assert.match(parts[1]!, /^\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
  assert.match(parts[2]!, /^\r\nContent-Type: message\/delivery-status\r\n\r\n/);
  const groups = body(parts[2]!).trim().split('\r\n\r\n').map((group) => Object.fromEntries(group.split('\r\n').map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  })));
  return {
    raw,
    text: body(parts[1]!),
    perMessage: groups[0]!,
    perRecipient: groups.slice(1),
    returnedType: /^\r\nContent-Type: (\S+)\r\n/.exec(parts[3]!)![1]!,
    returned: body(parts[3]!),
  };
}

async function cmdlet(name: string, ...args: string[]): Promise<{ status: number; text: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const status = await cmdletCommand(name, args, out, s.dir);
  return { status, text };
}

const queueEmpty = async () => (await runner.store.messages()).length === 0;

describe('NOTIFY=DELAY', () => {
  test('Set-TransportConfig -DelayNotificationTimeout takes a time span from 00:00:01 to 30.00:00:00', async () => {
    await assert.rejects(cmdlet('Set-TransportConfig', '-DelayNotificationTimeout', '00:00:00'), /-DelayNotificationTimeout must be from 00:00:01 to 30\.00:00:00 \(got 00:00:00\)/);
    await assert.rejects(cmdlet('Set-TransportConfig', '-DelayNotificationTimeout', '31.00:00:00'), /-DelayNotificationTimeout must be from/);
    assert.equal((await cmdlet('Set-TransportConfig', '-DelayNotificationTimeout', '00:00:01')).status, 0);
    assert.match((await cmdlet('Get-TransportConfig')).text, /DelayNotificationTimeout\s+: 00:00:01\n/);
  });

  test('without NOTIFY the sender gets one "delayed" report after DelayNotificationTimeout; retries go on, and a restart does not repeat it', async (t) => {
    mx.answer = (a) => (a === 'slow@example.net' ? '451 4.4.1 Mailbox busy, try later' : undefined);
    t.after(() => (mx.answer = () => undefined));
    const sentAt = Date.now();
    await alice().sendMail({
      from: 'alice@contoso.com', to: 'slow@example.net', subject: 'Slow one', text: 'The body stays home.\n',
      dsn: { id: 'ENV-DELAY-1', recipient: 'slow@example.net' },
    });
    const report = await oneReport('Delivery delayed: Slow one');
    assert.ok(Date.now() - sentAt >= 1000, 'not before the timeout');
    assert.equal(report.perMessage['Reporting-MTA'], 'dns; mail01.contoso.com');
    assert.equal(report.perMessage['Original-Envelope-Id'], 'ENV-DELAY-1');
    assert.ok(report.perMessage['Arrival-Date']);
    assert.equal(report.perRecipient.length, 1);
    const r = report.perRecipient[0]!;
    assert.equal(r['Original-Recipient'], 'rfc822;slow@example.net');
    assert.equal(r['Final-Recipient'], 'rfc822; slow@example.net');
    assert.equal(r['Action'], 'delayed');
    assert.equal(r['Status'], '4.4.1');
    assert.equal(r['Remote-MTA'], 'dns; mx1.example.net [127.0.0.1]');
    assert.equal(r['Diagnostic-Code'], 'smtp; 451 4.4.1 Mailbox busy, try later');
    const until = Date.parse(r['Will-Retry-Until']!);
    assert.ok(Math.abs(until - (sentAt + EXPIRATION_MS)) < 5000, `Will-Retry-Until is the expiry: ${r['Will-Retry-Until']}`);
    assert.match(report.text, /^Delivery is delayed to these recipients or groups:\r\n\r\nslow@example\.net\r\n {4}451 4\.4\.1 Mailbox busy/);
    assert.match(report.text, /Delivery will continue to be attempted/);
    // RFC 3461 §4.3: a report without failures returns the header only.
    assert.equal(report.returnedType, 'text/rfc822-headers');
    assert.match(report.returned, /Subject: Slow one\r\n/);
    assert.doesNotMatch(report.returned, /The body stays home/);

    const queued = (await runner.store.messages()).find((m) => m.subject === 'Slow one')!;
    const [waiting] = await runner.store.recipients(queued.id);
    assert.equal(waiting!.status, 'retry', 'still queued and retried');
    assert.equal(waiting!.delayNotified, true, 'recorded in the queue file');
    await eventually(async () => ((await runner.store.recipients(queued.id))[0]?.attempts ?? 0) >= waiting!.attempts + 3, 5000);
    assert.equal((await reports('Delivery delayed: Slow one')).length, 1, 'only one delayed report while retrying');

    // A restarted queue reads that the report was sent.
    await runner.stop();
    runner = await OutboundQueueRunner.open(runnerOptions);
    (s.service as never as { ctx: SmtpContext }).ctx.outbound = runner;
    const attempts = (await runner.store.recipients(queued.id))[0]!.attempts;
    await eventually(async () => ((await runner.store.recipients(queued.id))[0]?.attempts ?? 0) >= attempts + 2, 5000);
    assert.equal((await reports('Delivery delayed: Slow one')).length, 1, 'not sent again after a restart');

    mx.answer = () => undefined;
    const before = mx.received.length;
    await eventually(() => mx.received.length > before, 5000);
    await eventually(queueEmpty, 3000);
    assert.deepEqual(await reports('Relayed: Slow one'), [], 'no success report without NOTIFY=SUCCESS');
    assert.deepEqual(await reports('Undeliverable: Slow one'), []);
  });

  test('NOTIFY=NEVER and NOTIFY=FAILURE get no "delayed" report, NOTIFY=DELAY does; each recipient of a message is reported once', async (t) => {
    mx.answer = (a) => (a.startsWith('wait') ? '452 4.2.2 Over quota for now' : undefined);
    t.after(() => (mx.answer = () => undefined));
    const send = (subject: string, to: string | string[], notify: ('NEVER' | 'FAILURE' | 'DELAY' | 'SUCCESS')[]) =>
      alice().sendMail({ from: 'alice@contoso.com', to, subject, text: 'x', dsn: { notify } });
    await send('Never tell', 'wait1@example.net', ['NEVER']);
    await send('Failures only', 'wait2@example.net', ['FAILURE']);
    await send('Delays please', ['wait3@example.net', 'wait4@example.net'], ['DELAY']);
    const report = await oneReport('Delivery delayed: Delays please');
    assert.deepEqual(report.perRecipient.map((r) => [r['Final-Recipient'], r['Action'], r['Status']]), [
      ['rfc822; wait3@example.net', 'delayed', '4.2.2'],
      ['rfc822; wait4@example.net', 'delayed', '4.2.2'],
    ]);
    assert.equal(report.perRecipient[0]!['Original-Recipient'], undefined, 'no ORCPT given, none reported');
    // The other two were looked at (settled without a report) and stay queued. Three more
    // attempts each mean the queue has run its delay check again since (an attempt starts only
    // after the previous run is over), so a report that was going to come has come.
    for (const subject of ['Never tell', 'Failures only']) {
      const queued = (await runner.store.messages()).find((m) => m.subject === subject)!;
      await eventually(async () => (await runner.store.recipients(queued.id)).every((r) => r.delayNotified && r.status === 'retry'), 3000);
      const attempts = (await runner.store.recipients(queued.id))[0]!.attempts;
      await eventually(async () => ((await runner.store.recipients(queued.id))[0]?.attempts ?? 0) >= attempts + 3, 5000);
    }
    assert.deepEqual(await reports('Delivery delayed: Never tell'), []);
    assert.deepEqual(await reports('Delivery delayed: Failures only'), []);
    assert.equal((await reports('Delivery delayed: Delays please')).length, 1);
    mx.answer = () => undefined;
    await eventually(queueEmpty, 5000);
  });
});

describe('NOTIFY=SUCCESS for remote recipients', () => {
  test('a server that offers DSN is given NOTIFY, ORCPT, RET and ENVID, and reports itself: no report from here', async () => {
    const before = mx.received.length;
    await alice().sendMail({
      from: 'alice@contoso.com', to: 'friend@example.net', subject: 'Passed on', text: 'x',
      dsn: { notify: ['SUCCESS', 'FAILURE'], recipient: 'friend@example.net', id: 'ENV-PASS', return: 'headers' },
    });
    await eventually(() => mx.received.length > before, 5000);
    const got = mx.received.at(-1)!;
    assert.deepEqual(got.to, ['friend@example.net']);
    assert.deepEqual(got.rcptDsn, [{ notify: ['SUCCESS', 'FAILURE'], orcpt: 'rfc822;friend@example.net' }]);
    assert.deepEqual(got.dsn, { ret: 'HDRS', envid: 'ENV-PASS' });
    // A message leaves the queue only once the reports it owes are stored: none is coming.
    await eventually(queueEmpty, 3000);
    assert.deepEqual(await reports('Relayed: Passed on'), []);
    assert.deepEqual(await reports('Delivered: Passed on'), []);
  });

  test('recipients with different NOTIFY and ORCPT go in separate transactions, each with its own parameters', async () => {
    const before = mx.received.length;
    const c = await SmtpTestClient.connect(s.ports.secure, { tls: true });
    assert.equal((await c.read()).code, 220);
    await c.command('EHLO client.test');
    assert.equal((await c.command(`AUTH PLAIN ${plainAuth('alice@contoso.com', PASSWORDS.alice)}`)).code, 235);
    assert.equal((await c.command('MAIL FROM:<alice@contoso.com> RET=HDRS ENVID=MIX+2B1')).code, 250);
    assert.equal((await c.command('RCPT TO:<one@example.net> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;one+2Bx@example.net')).code, 250);
    assert.equal((await c.command('RCPT TO:<two@example.net> NOTIFY=NEVER')).code, 250);
    assert.equal((await c.command('RCPT TO:<three@example.net> NOTIFY=NEVER')).code, 250);
    assert.equal((await c.command('DATA')).code, 354);
    const sent = await c.command('From: alice@contoso.com\r\nTo: one@example.net\r\nSubject: Mixed\r\n\r\nx\r\n.');
    assert.equal(sent.code, 250);
    await c.command('QUIT');
    c.close();
    await eventually(() => mx.received.length >= before + 2, 5000);
    const got = mx.received.slice(before);
    assert.equal(got.length, 2);
    const one = got.find((r) => r.to.includes('one@example.net'))!;
    const others = got.find((r) => r.to.includes('two@example.net'))!;
    assert.deepEqual(one.to, ['one@example.net']);
    assert.deepEqual(one.rcptDsn, [{ notify: ['SUCCESS', 'DELAY'], orcpt: 'rfc822;one+x@example.net' }]);
    assert.deepEqual(others.to, ['two@example.net', 'three@example.net']);
    assert.deepEqual(others.rcptDsn, [{ notify: ['NEVER'] }, { notify: ['NEVER'] }]);
    for (const r of got) assert.deepEqual(r.dsn, { ret: 'HDRS', envid: 'MIX+1' });
    await eventually(queueEmpty, 3000);
  });

  test('a server without DSN: the sender who asked for SUCCESS gets a "relayed" report', async () => {
    const before = legacy.received.length;
    await alice().sendMail({
      from: 'alice@contoso.com', to: 'partner@legacy.example', subject: 'To an old server', text: 'Full body here.\n',
      dsn: { notify: ['SUCCESS'], recipient: 'partner@legacy.example', id: 'ENV-RELAY', return: 'full' },
    });
    const report = await oneReport('Relayed: To an old server');
    assert.equal(legacy.received.length, before + 1);
    assert.deepEqual(legacy.received.at(-1)!.rcptDsn, [{}], 'no DSN parameters to a server that does not offer DSN');
    assert.equal(report.perMessage['Original-Envelope-Id'], 'ENV-RELAY');
    assert.deepEqual(report.perRecipient, [{
      'Original-Recipient': 'rfc822;partner@legacy.example',
      'Final-Recipient': 'rfc822; partner@legacy.example',
      'Action': 'relayed',
      'Status': '2.0.0',
      'Remote-MTA': 'dns; 127.0.0.1',
    }]);
    assert.match(report.text, /^Delivery to these recipients or groups is complete, but no delivery notification was sent by the destination server:\r\n\r\npartner@legacy\.example\r\n/);
    // RET=FULL applies to failures only (RFC 3461 §4.3).
    assert.equal(report.returnedType, 'text/rfc822-headers');
    assert.doesNotMatch(report.returned, /Full body here/);
    await eventually(queueEmpty, 3000);
  });

  test('a server without DSN and no NOTIFY=SUCCESS: no report', async () => {
    const before = legacy.received.length;
    await alice().sendMail({ from: 'alice@contoso.com', to: 'partner@legacy.example', subject: 'Quietly relayed', text: 'x', dsn: { notify: ['FAILURE', 'DELAY'] } });
    await eventually(() => legacy.received.length > before, 5000);
    // As above: the empty queue means no report is owed.
    await eventually(queueEmpty, 3000);
    assert.deepEqual(await reports('Relayed: Quietly relayed'), []);
  });
});

describe('NOTIFY=SUCCESS for local recipients', () => {
  test('the sender gets a "delivered" report for the mailboxes that asked, once their copies are stored', async () => {
    await alice().sendMail({
      from: 'alice@contoso.com', to: 'robert@contoso.com', subject: 'Local success', text: 'Local body.\n',
      dsn: { notify: ['SUCCESS', 'FAILURE'], recipient: 'robert@contoso.com', id: 'ENV-LOCAL', return: 'full' },
    });
    // The report is stored before the 250 for the message.
    const found = await reports('Delivered: Local success');
    assert.equal(found.length, 1);
    const report = parseReport(found[0]!);
    assert.equal(report.perMessage['Reporting-MTA'], 'dns; mail01.contoso.com');
    assert.equal(report.perMessage['Original-Envelope-Id'], 'ENV-LOCAL');
    assert.deepEqual(report.perRecipient, [{
      'Original-Recipient': 'rfc822;robert@contoso.com',
      'Final-Recipient': 'rfc822; robert@contoso.com',
      'Action': 'delivered',
      'Status': '2.0.0',
    }]);
    assert.match(report.text, /^Your message has been delivered to the following recipients:\r\n\r\nrobert@contoso\.com\r\n\r\nSubject: Local success\r\n/);
    assert.match(report.raw, /\r\nFrom: Mail Delivery System <postmaster@contoso\.com>\r\nTo: <alice@contoso\.com>\r\n/);
    assert.equal(report.returnedType, 'text/rfc822-headers');
    assert.match(report.returned, /^Received: /);
    assert.doesNotMatch(report.returned, /Local body/);
    assert.match((await s.messages('bob')).at(-1)!.raw.toString(), /Subject: Local success/);
  });

  test('no report without NOTIFY=SUCCESS, and only for the recipients that asked', async () => {
    await alice().sendMail({ from: 'alice@contoso.com', to: 'bob@contoso.com', subject: 'Local plain', text: 'x' });
    await alice().sendMail({ from: 'alice@contoso.com', to: 'bob@contoso.com', subject: 'Local failure only', text: 'x', dsn: { notify: ['FAILURE'] } });
    // A "delivered" report is stored before the 250 (see above): both 250s are in.
    assert.deepEqual(await reports('Delivered: Local plain'), []);
    assert.deepEqual(await reports('Delivered: Local failure only'), []);

    const c = await SmtpTestClient.connect(s.ports.secure, { tls: true });
    assert.equal((await c.read()).code, 220);
    await c.command('EHLO client.test');
    assert.equal((await c.command(`AUTH PLAIN ${plainAuth('alice@contoso.com', PASSWORDS.alice)}`)).code, 235);
    assert.equal((await c.command('MAIL FROM:<alice@contoso.com>')).code, 250);
    assert.equal((await c.command('RCPT TO:<bob@contoso.com> NOTIFY=SUCCESS')).code, 250);
    assert.equal((await c.command('RCPT TO:<carol@contoso.com>')).code, 250);
    assert.equal((await c.command('DATA')).code, 354);
    assert.equal((await c.command('From: alice@contoso.com\r\nTo: bob@contoso.com, carol@contoso.com\r\nSubject: Local mixed\r\n\r\nx\r\n.')).code, 250);
    await c.command('QUIT');
    c.close();
    const report = parseReport((await reports('Delivered: Local mixed'))[0]!);
    assert.deepEqual(report.perRecipient.map((r) => r['Final-Recipient']), ['rfc822; bob@contoso.com']);
  });

  test('a message from the null sender gets no report', async () => {
    const before = (await s.messages('alice')).length;
    await runner.reportDelivered('', [{ address: 'bob@contoso.com', notify: ['SUCCESS'] }], Buffer.from('Subject: x\r\n\r\nx\r\n'), {});
    assert.equal((await s.messages('alice')).length, before);
    assert.deepEqual(await runner.store.messages(), []);
  });
});

test('a failure report with RET=HDRS returns the header only, with ENVID and ORCPT', async (t) => {
  mx.answer = (a) => (a === 'gone@example.net' ? '550 5.1.1 No such user here' : undefined);
  t.after(() => (mx.answer = () => undefined));
  await alice().sendMail({
    from: 'alice@contoso.com', to: 'gone@example.net', subject: 'Headers back', text: 'Secret body.\n',
    dsn: { notify: ['FAILURE'], recipient: 'gone@example.net', id: 'ENV-FAIL', return: 'headers' },
  });
  const report = await oneReport('Undeliverable: Headers back');
  assert.equal(report.perMessage['Original-Envelope-Id'], 'ENV-FAIL');
  assert.deepEqual(report.perRecipient, [{
    'Original-Recipient': 'rfc822;gone@example.net',
    'Final-Recipient': 'rfc822; gone@example.net',
    'Action': 'failed',
    'Status': '5.1.1',
    'Remote-MTA': 'dns; mx1.example.net [127.0.0.1]',
    'Diagnostic-Code': 'smtp; 550 5.1.1 No such user here',
  }]);
  assert.equal(report.returnedType, 'text/rfc822-headers');
  assert.match(report.returned, /Subject: Headers back\r\n/);
  assert.doesNotMatch(report.returned, /Secret body/);
});

test('a queue file from before delay notifications is upgraded when opened', async () => {
  const temp = tempDataDir('mailroom-queue-');
  try {
    mkdirSync(join(temp.path, 'queue'));
    const old = new SqliteDatabase(join(temp.path, 'queue', 'queue.db'));
    await old.exec(`
      CREATE TABLE queue_messages (id TEXT PRIMARY KEY, sender TEXT NOT NULL, message BLOB NOT NULL, size INTEGER NOT NULL, subject TEXT NOT NULL,
        message_id TEXT NOT NULL, ret TEXT, envid TEXT, received_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE TABLE queue_recipients (message_id TEXT NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE, address TEXT NOT NULL, domain TEXT NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL, last_error TEXT, remote_mta TEXT, notify TEXT,
        orcpt TEXT, notified INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (message_id, address));
      INSERT INTO queue_messages VALUES ('M1', 'alice@contoso.com', x'00', 1, 'Old', '<o@x>', NULL, NULL, 1000, 999999999999);
      INSERT INTO queue_recipients (message_id, address, domain, status, next_attempt_at, notify) VALUES
        ('M1', 'done@example.net', 'example.net', 'delivered', 0, 'SUCCESS'),
        ('M1', 'later@example.net', 'example.net', 'retry', 0, NULL);
    `);
    await old.close();
    for (let i = 0; i < 2; i++) {
      const store = await QueueStore.open(temp.path);
      const [done, later] = await store.recipients('M1');
      assert.equal(done!.notified, true, 'delivered before the upgrade: no "relayed" report owed');
      assert.equal(later!.delayNotified, false);
      assert.deepEqual([...(await store.delayed(2000)).keys()], ['M1']);
      assert.deepEqual((await store.delayed(500)).size, 0, 'not yet due for a message that arrived later');
      assert.equal(await store.removeIfFinished('M1'), false);
      await store.close();
    }
  } finally {
    temp.cleanup();
  }
});

test('a local copy that failed after others were stored: the report follows NOTIFY, ORCPT, RET and ENVID', async () => {
  const original = Buffer.from('From: alice@contoso.com\r\nTo: bob@contoso.com, carol@contoso.com\r\nSubject: Partly stored\r\n\r\nPrivate body.\r\n');
  await runner.bounceLocal('alice@contoso.com', [{ address: 'carol@contoso.com', detail: 'mailbox full', notify: ['NEVER'] }], original, {});
  await runner.bounceLocal('alice@contoso.com', [{ address: 'bob@contoso.com', detail: 'store failure', notify: ['SUCCESS'] }], original, {});
  assert.deepEqual(await reports('Undeliverable: Partly stored'), [], 'NOTIFY=NEVER, or a list without FAILURE: no report');
  await runner.bounceLocal('alice@contoso.com', [{ address: 'carol@contoso.com', detail: 'mailbox full', orcpt: 'rfc822;carol@contoso.com' }], original,
    { ret: 'HDRS', envid: 'ENV-LOCAL' });
  const report = await oneReport('Undeliverable: Partly stored');
  assert.equal(report.perMessage['Original-Envelope-Id'], 'ENV-LOCAL');
  assert.equal(report.perRecipient[0]!['Original-Recipient'], 'rfc822;carol@contoso.com');
  assert.equal(report.perRecipient[0]!['Action'], 'failed');
  assert.equal(report.returnedType, 'text/rfc822-headers');
  assert.doesNotMatch(report.returned, /Private body/);
});
