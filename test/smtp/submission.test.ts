// Client submission on 587 (STARTTLS) and 465 (implicit TLS) with real clients (nodemailer and
// Python's smtplib) and raw transcripts: authentication required, the sender rules (own
// addresses, SendAs), quotas, the message rate, size limits, unknown recipients, and local
// delivery that is byte-exact below the fields Mailroom prepends.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import nodemailer from 'nodemailer';
import { message, PASSWORDS, startSmtpServer, withoutPrependedHeaders, type SmtpTestServer } from './harness.ts';
import { plainAuth, SmtpTestClient } from './smtp-client.ts';

let s: SmtpTestServer;

before(async () => {
  s = await startSmtpServer();
});
after(async () => {
  await s.stop();
});

function transport(port: number, secure: boolean, user = 'alice@contoso.com', pass: string = PASSWORDS.alice) {
  return nodemailer.createTransport({
    host: '127.0.0.1', port, secure, requireTLS: !secure, auth: { user, pass },
    tls: { rejectUnauthorized: false, servername: 'mail01.contoso.com' },
  });
}

async function authenticated(): Promise<SmtpTestClient> {
  const c = await SmtpTestClient.connect(s.ports.secure, { tls: true });
  await c.read();
  await c.command('EHLO client.test');
  assert.equal((await c.command(`AUTH PLAIN ${plainAuth('alice@contoso.com', PASSWORDS.alice)}`)).code, 235);
  return c;
}

function smtplib(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', script], { timeout: 20_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

describe('nodemailer', () => {
  test('587 with STARTTLS: delivered to the recipient\'s Inbox, byte-exact below the prepended fields', async () => {
    const raw = Buffer.from(message({ from: 'Alice Wong <alice@contoso.com>', to: 'bob@contoso.com', subject: 'Over 587', body: 'Line one\r\nLine two' }));
    const before = (await s.messages('bob')).length;
    const info = await transport(s.ports.submission, false).sendMail({ envelope: { from: 'alice@contoso.com', to: ['bob@contoso.com'] }, raw });
    assert.match(info.response, /^250 2\.6\.0 <[^>]+> \[InternalId=[0-9A-F]+\] Queued mail for delivery$/);
    const stored = await s.messages('bob');
    assert.equal(stored.length, before + 1);
    const got = stored[stored.length - 1]!.raw;
    assert.deepEqual(withoutPrependedHeaders(got, raw), raw);
    const prepended = got.subarray(0, got.indexOf(raw)).toString();
    assert.match(prepended, /^Return-Path: <alice@contoso\.com>\r\nReceived: from \S+ \(\[127\.0\.0\.1\]\)\r\n by mail01\.contoso\.com \(Mailroom\) with ESMTPSA\r\n \(version=TLSv1\.[23] cipher=[A-Z0-9_-]+\)\r\n \(authenticated as alice@contoso\.com\)\r\n id [0-9A-F]+ for <bob@contoso\.com>;\r\n [A-Z][a-z]{2}, /);
  });

  test('465 with implicit TLS, to an alias of another mailbox', async () => {
    const info = await transport(s.ports.secure, true).sendMail({ from: 'alice@contoso.com', to: 'robert@contoso.com', subject: 'Over 465', text: 'Hi Bob' });
    assert.deepEqual(info.accepted, ['robert@contoso.com']);
    const last = (await s.messages('bob')).at(-1)!.raw.toString();
    assert.match(last, /Subject: Over 465/);
    assert.match(last, /Received: [^]*with ESMTPSA/);
  });

  test('several local recipients in one message each get it', async () => {
    const counts = async () => Promise.all(['bob', 'carol', 'alice'].map(async (a) => (await s.messages(a)).length));
    const before = await counts();
    await transport(s.ports.secure, true).sendMail({ from: 'alice@contoso.com', to: ['bob@contoso.com', 'carol@contoso.com'], cc: 'alice@contoso.com', subject: 'To three', text: 'x' });
    const afterCounts = await counts();
    assert.deepEqual(afterCounts, before.map((n) => n + 1));
    const carol = (await s.messages('carol')).at(-1)!.raw.toString();
    assert.doesNotMatch(carol.split('\r\n\r\n')[0]!, /for <carol/, 'no "for" clause with several recipients (it would show Bcc recipients)');
  });

  test('an address and an alias of the same mailbox on one message: one copy', async () => {
    const before = (await s.messages('bob')).length;
    const raw = message({ from: 'alice@contoso.com', to: 'bob@contoso.com, robert@contoso.com', subject: 'Once only' });
    await transport(s.ports.secure, true).sendMail({ envelope: { from: 'alice@contoso.com', to: ['bob@contoso.com', 'robert@contoso.com', 'info@contoso.com'] }, raw });
    const after = await s.messages('bob');
    assert.equal(after.length, before + 1);
    assert.match(after.at(-1)!.raw.toString(), /Subject: Once only/);
  });

  test('a wrong password is refused with 535 5.7.3', async () => {
    await assert.rejects(transport(s.ports.secure, true, 'alice@contoso.com', 'wrong').sendMail({ from: 'alice@contoso.com', to: 'bob@contoso.com', text: 'x' }),
      (err: Error & { response?: string }) => err.response === '535 5.7.3 Authentication unsuccessful');
  });

  test('an unauthenticated client on 587 is refused with 530 5.7.57', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.ports.submission, secure: false, tls: { rejectUnauthorized: false } });
    await assert.rejects(t.sendMail({ from: 'alice@contoso.com', to: 'bob@contoso.com', text: 'x' }), (err: Error & { response?: string }) => /^530 5\.7\.57 /.test(err.response ?? ''));
  });

  test('SMTPUTF8: Chinese subject and address, stored byte-exact', async () => {
    await s.dir.updateMailbox('bob', { addAddresses: ['鮑勃@contoso.com'] });
    const raw = Buffer.from(message({ from: 'alice@contoso.com', to: '鮑勃@contoso.com', subject: '會議記錄：第三季', body: '請看附件。' }), 'utf8');
    await transport(s.ports.secure, true).sendMail({ envelope: { from: 'alice@contoso.com', to: ['鮑勃@contoso.com'] }, raw });
    const got = (await s.messages('bob')).at(-1)!.raw;
    assert.deepEqual(withoutPrependedHeaders(got, raw), raw);
    assert.match(got.toString('utf8'), /with UTF8SMTPSA/);
  });
});

describe('sender rules', () => {
  test('SendAs: alice may send as sales (envelope and From); carol, with FullAccess only, may not', async () => {
    await transport(s.ports.secure, true).sendMail({ from: 'Sales <sales@contoso.com>', to: 'bob@contoso.com', subject: 'From sales', text: 'x' });
    assert.match((await s.messages('bob')).at(-1)!.raw.toString(), /From: Sales <sales@contoso\.com>/);
    await assert.rejects(transport(s.ports.secure, true, 'carol@contoso.com', PASSWORDS.carol).sendMail({ from: 'sales@contoso.com', to: 'bob@contoso.com', text: 'x' }),
      (err: Error & { response?: string }) => err.response === '550 5.7.60 SMTP; Client does not have permissions to send as this sender (sales@contoso.com)');
  });

  test('the From header must be allowed too, not just the envelope sender', async () => {
    const c = await authenticated();
    assert.equal((await c.command('MAIL FROM:<alice@contoso.com>')).code, 250);
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 250);
    await c.command('DATA');
    const reply = await c.command(`${message({ from: 'Bob <bob@contoso.com>', to: 'bob@contoso.com' })}.`);
    assert.equal(reply.text, '550 5.7.60 SMTP; Client does not have permissions to send as this sender (From: bob@contoso.com)');
    await c.command('RSET');
    await c.command('MAIL FROM:<alice@contoso.com>');
    await c.command('RCPT TO:<bob@contoso.com>');
    await c.command('DATA');
    const noFrom = await c.command('To: bob@contoso.com\r\nSubject: no from\r\n\r\nx\r\n.');
    assert.match(noFrom.text, /^550 5\.7\.60 /);
    c.close();
  });

  test('any address of the user\'s own mailbox works; the null sender does not', async () => {
    await s.dir.updateMailbox('alice', { addAddresses: ['a.wong@contoso.com'] });
    const c = await authenticated();
    assert.equal((await c.command('MAIL FROM:<A.Wong@contoso.com>')).code, 250);
    await c.command('RSET');
    assert.match((await c.command('MAIL FROM:<>')).text, /^550 5\.7\.60 /);
    c.close();
  });
});

describe('quotas and rates', () => {
  test('ProhibitSendQuota: 554 5.2.2 at MAIL FROM once the sender\'s mailbox is over it', async () => {
    await s.dir.updateMailbox('carol', { settings: { UseDatabaseQuotaDefaults: false, ProhibitSendQuota: 0 } });
    try {
      const t = transport(s.ports.secure, true, 'carol@contoso.com', PASSWORDS.carol);
      await assert.rejects(t.sendMail({ from: 'carol@contoso.com', to: 'bob@contoso.com', text: 'x' }),
        (err: Error & { response?: string }) => err.response === '554 5.2.2 mailbox full, cannot send: the mailbox is over its ProhibitSendQuota; delete items to send again');
    } finally {
      await s.dir.updateMailbox('carol', { settings: { UseDatabaseQuotaDefaults: true } });
    }
  });

  test('ProhibitSendReceiveQuota: 452 4.2.2 at RCPT for a full mailbox; at DATA when this message does not fit', async () => {
    const c = await authenticated();
    await s.dir.updateMailbox('carol', { settings: { UseDatabaseQuotaDefaults: false, ProhibitSendReceiveQuota: 0 } });
    await c.command('MAIL FROM:<alice@contoso.com>');
    assert.equal((await c.command('RCPT TO:<carol@contoso.com>')).text, '452 4.2.2 The recipient\'s mailbox is full (ProhibitSendReceiveQuota); try again later');
    await c.command('RSET');
    const usage = (await s.messages('carol')).reduce((n, m) => n + m.raw.length, 0);
    await s.dir.updateMailbox('carol', { settings: { ProhibitSendReceiveQuota: usage + 200 } });
    const bobBefore = (await s.messages('bob')).length;
    await c.command('MAIL FROM:<alice@contoso.com>');
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 250);
    assert.equal((await c.command('RCPT TO:<carol@contoso.com>')).code, 250);
    await c.command('DATA');
    const reply = await c.command(`${message({ from: 'alice@contoso.com', to: 'carol@contoso.com', body: 'x'.repeat(500) })}.`);
    assert.match(reply.text, /^452 4\.2\.2 Mailbox full/);
    assert.equal((await s.messages('bob')).length, bobBefore, 'nothing delivered to anyone');
    c.close();
    await s.dir.updateMailbox('carol', { settings: { UseDatabaseQuotaDefaults: true } });
  });

  test('MessageRateLimit: 450 4.7.0 once the user has sent the limit within a minute', async () => {
    await s.setConnector('secure', { MessageRateLimit: 2 });
    try {
      const t = transport(s.ports.secure, true, 'carol@contoso.com', PASSWORDS.carol);
      await t.sendMail({ from: 'carol@contoso.com', to: 'bob@contoso.com', text: '1' });
      await t.sendMail({ from: 'carol@contoso.com', to: 'bob@contoso.com', text: '2' });
      await assert.rejects(t.sendMail({ from: 'carol@contoso.com', to: 'bob@contoso.com', text: '3' }),
        (err: Error & { response?: string }) => /^450 4\.7\.0 Message submission rate for this client has exceeded the configured limit/.test(err.response ?? ''));
      // Another user has a budget of their own.
      await transport(s.ports.secure, true, 'bob@contoso.com', PASSWORDS.bob).sendMail({ from: 'bob@contoso.com', to: 'carol@contoso.com', text: 'still fine' });
    } finally {
      await s.setConnector('secure', { MessageRateLimit: 'unlimited' });
    }
  });
});

describe('sizes and recipients', () => {
  test('SIZE= over the limit is refused at MAIL FROM; a message over it is refused at the end of DATA', async () => {
    await s.setTransport({ MaxSendSize: 64 * 1024 });
    const c = await authenticated();
    assert.equal((await c.command(`MAIL FROM:<alice@contoso.com> SIZE=${64 * 1024 + 1}`)).code, 552);
    assert.equal((await c.command('MAIL FROM:<alice@contoso.com> SIZE=1000')).code, 250);
    await c.command('RCPT TO:<bob@contoso.com>');
    await c.command('DATA');
    const big = message({ from: 'alice@contoso.com', to: 'bob@contoso.com', body: 'y'.repeat(70 * 1024) });
    assert.equal((await c.command(`${big}.`)).text, '552 5.3.4 Message size exceeds fixed maximum message size (65536 bytes)');
    assert.equal((await c.command('NOOP')).code, 250, 'the session goes on');
    c.close();
    await s.setTransport({ MaxSendSize: 10 * 1024 * 1024 });
  });

  test('unknown recipient in an accepted domain: 550 5.1.1; addresses are case-insensitive', async () => {
    const c = await authenticated();
    await c.command('MAIL FROM:<alice@contoso.com>');
    assert.equal((await c.command('RCPT TO:<nobody@contoso.com>')).text, '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found');
    assert.equal((await c.command('RCPT TO:<Bob@CONTOSO.COM>')).code, 250, 'addresses are case-insensitive');
    c.close();
  });

  test('pipelined commands get their replies in order', async () => {
    const c = await authenticated();
    c.write(`MAIL FROM:<alice@contoso.com>\r\nRCPT TO:<bob@contoso.com>\r\nRCPT TO:<nobody@contoso.com>\r\nRCPT TO:<carol@contoso.com>\r\nDATA\r\n`);
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await c.read()).code);
    assert.deepEqual(codes, [250, 250, 550, 250, 354]);
    assert.equal((await c.command(`${message({ from: 'alice@contoso.com', to: 'bob@contoso.com', subject: 'pipelined' })}.`)).code, 250);
    c.close();
  });
});

test('Python smtplib: starttls, login, send_message on 587 and SMTP_SSL on 465', async () => {
  const script = `
import smtplib, ssl
from email.message import EmailMessage
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
m = EmailMessage(); m['From'] = 'alice@contoso.com'; m['To'] = 'bob@contoso.com'; m['Subject'] = 'From smtplib'; m.set_content('Hello from Python')
with smtplib.SMTP('127.0.0.1', ${s.ports.submission}) as c:
    c.ehlo()
    print('auth-before-tls', 'auth' in c.esmtp_features)
    try:
        c.login('alice@contoso.com', '${PASSWORDS.alice}')
        print('login-before-tls ok')
    except smtplib.SMTPNotSupportedError:
        print('login-before-tls refused')
    c.starttls(context=ctx); c.ehlo()
    print('auth-after-tls', c.esmtp_features.get('auth'))
    c.login('alice@contoso.com', '${PASSWORDS.alice}')
    print('refused', c.send_message(m))
with smtplib.SMTP_SSL('127.0.0.1', ${s.ports.secure}, context=ctx) as c:
    c.login('alice', '${PASSWORDS.alice}')
    m.replace_header('Subject', 'From smtplib over 465')
    print('refused', c.send_message(m))
`;
  const out = await smtplib(script);
  assert.equal(out, 'auth-before-tls False\nlogin-before-tls refused\nauth-after-tls  PLAIN LOGIN SCRAM-SHA-256\nrefused {}\nrefused {}\n');
  const subjects = (await s.messages('bob')).map((m) => /Subject: (.*)\r\n/.exec(m.raw.toString())?.[1]);
  assert.ok(subjects.includes('From smtplib'));
  assert.ok(subjects.includes('From smtplib over 465'));
});
