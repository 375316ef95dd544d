// Spoofed local senders on port 25 (RejectUnauthenticatedInternalSenders, on by default): an
// anonymous client that claims an accepted domain in MAIL FROM, From or Sender is refused unless
// SPF, DKIM or DMARC vouches for the domain. Driven with Python's smtplib, as an outside server
// or a spammer would be; DNS answers come from the table the inbound checks use.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { dkimTxtRecord, newDkimKey } from '../../src/smtp/dkim/dkim-keys.ts';
import { dkimSignMessage } from '../../src/smtp/dkim/dkim-signer.ts';
import { python } from '../frontend/python.ts';
import { message, PASSWORDS, startSmtpServer, type SmtpTestServer } from './harness.ts';

const DNS: Record<string, unknown[]> = {
  // contoso.com's own servers are elsewhere: loopback is not an SPF-permitted sender for it.
  'contoso.com TXT': [['v=spf1 ip4:192.0.2.10 -all']],
  // branch.contoso.example is also an accepted domain, and its SPF names the relaying server (loopback).
  'branch.contoso.example TXT': [['v=spf1 ip4:127.0.0.1 -all']],
  'fabrikam.example TXT': [['v=spf1 ip4:127.0.0.1 -all']],
};

let s: SmtpTestServer;

before(async () => {
  s = await startSmtpServer({ dns: DNS });
  await s.dir.addAcceptedDomain('branch.contoso.example');
});
after(async () => {
  await s.stop();
});

const SEND = `
import smtplib, sys, base64
port, mail_from, rcpt, raw = int(sys.argv[1]), sys.argv[2], sys.argv[3], base64.b64decode(sys.argv[4])
c = smtplib.SMTP('127.0.0.1', port, timeout=15)
c.ehlo('mx.outside.example')
try:
    c.sendmail(mail_from, [rcpt], raw)
    print('250 accepted')
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode())
except smtplib.SMTPSenderRefused as e:
    print(e.smtp_code, e.smtp_error.decode())
except smtplib.SMTPRecipientsRefused as e:
    code, text = list(e.recipients.values())[0]
    print(code, text.decode())
c.quit()
`;

/** Sends over port 25 with smtplib; the server's final reply as "<code> <text>". */
async function sendAnonymously(mailFrom: string, raw: Buffer | string, to = 'bob@contoso.com'): Promise<string> {
  const out = await python(SEND, [String(s.ports.inbound), mailFrom, to, Buffer.from(raw).toString('base64')]);
  return out.trim();
}

const subjects = async () => (await s.messages('bob')).map((m) => /^Subject: (.*)$/m.exec(m.raw.toString())?.[1]);

describe('RejectUnauthenticatedInternalSenders (default $true)', () => {
  test('anonymous MAIL FROM alice@ with From: Alice is refused with 550 5.7.1, and bob gets nothing', async () => {
    const reply = await sendAnonymously('alice@contoso.com', message({ from: 'Alice Wong <alice@contoso.com>', to: 'bob@contoso.com', subject: 'Spoof 1' }));
    assert.match(reply, /^550 5\.7\.1 Client does not have permissions to send as this sender \(alice@contoso\.com\): mail from an accepted domain must be authenticated/);
    assert.ok(!(await subjects()).includes('Spoof 1'));
  });

  test('an outside envelope sender with SPF pass does not make a From: in an accepted domain genuine', async () => {
    const reply = await sendAnonymously('news@fabrikam.example', message({ from: 'CEO <ceo@contoso.com>', to: 'bob@contoso.com', subject: 'Spoof 2' }));
    assert.match(reply, /^550 5\.7\.1 .*\(ceo@contoso\.com\)/);
    const sender = await sendAnonymously('news@fabrikam.example', message({ from: 'news@fabrikam.example', to: 'bob@contoso.com', subject: 'Spoof 3', extra: 'Sender: alice@contoso.com' }));
    assert.match(sender, /^550 5\.7\.1 .*\(alice@contoso\.com\)/, 'Sender: counts too');
    assert.ok(!(await subjects()).some((x) => x === 'Spoof 2' || x === 'Spoof 3'));
  });

  test('outside mail that claims nothing of ours is accepted as before', async () => {
    assert.match(await sendAnonymously('news@fabrikam.example', message({ from: 'news@fabrikam.example', to: 'bob@contoso.com', subject: 'Newsletter' })), /^250 /);
  });

  test('an organization server relaying through port 25 with SPF pass for its domain is accepted', async () => {
    const reply = await sendAnonymously('scanner@branch.contoso.example', message({ from: 'Scanner <scanner@branch.contoso.example>', to: 'bob@contoso.com', subject: 'Scan from the branch' }));
    assert.match(reply, /^250 /);
    assert.ok((await subjects()).includes('Scan from the branch'));
  });

  test('own-domain mail from outside signed with the organization\'s DKIM key is accepted (dkim=pass)', async () => {
    const key = await newDkimKey(s.dir, { domain: 'contoso.com', selector: 'spoof1', keySize: 1024 });
    const record = dkimTxtRecord(key);
    DNS[`${record.name} TXT`] = [record.strings];
    const raw = Buffer.from(message({ from: 'Alice Wong <alice@contoso.com>', to: 'bob@contoso.com', subject: 'Signed at home' }));
    const signed = await dkimSignMessage(s.dir, raw, 'alice@contoso.com');
    assert.match(signed.toString(), /^DKIM-Signature: .*d=contoso\.com/);
    assert.match(await sendAnonymously('alice@contoso.com', signed), /^250 /);
    const stored = (await s.messages('bob')).find((m) => /Subject: Signed at home/.test(m.raw.toString()))!;
    assert.match(stored.raw.toString(), /dkim=pass[^;]*header\.[di]=@?contoso\.com/);
    // A signature made over other content does not vouch: the body was changed on the way.
    const tampered = Buffer.from(signed.toString().replace('Hello.', 'Send me the payroll.'));
    assert.match(await sendAnonymously('alice@contoso.com', tampered), /^550 5\.7\.1 /);
  });

  test('authenticated submission is not affected', async () => {
    const info = await nodemailer.createTransport({
      host: '127.0.0.1', port: s.ports.submission, secure: false, requireTLS: true, auth: { user: 'alice@contoso.com', pass: PASSWORDS.alice }, tls: { rejectUnauthorized: false },
    }).sendMail({ from: 'Alice Wong <alice@contoso.com>', to: 'bob@contoso.com', subject: 'Submitted properly', text: 'x' });
    assert.match(info.response, /^250 /);
    assert.ok((await subjects()).includes('Submitted properly'));
  });

  test('-RejectUnauthenticatedInternalSenders $false restores acceptance (Exchange\'s behaviour)', async () => {
    await s.setConnector('inbound', { RejectUnauthenticatedInternalSenders: false });
    try {
      assert.match(await sendAnonymously('alice@contoso.com', message({ from: 'Alice Wong <alice@contoso.com>', to: 'bob@contoso.com', subject: 'Spoof allowed' })), /^250 /);
      assert.ok((await subjects()).includes('Spoof allowed'));
    } finally {
      await s.setConnector('inbound', { RejectUnauthenticatedInternalSenders: true });
    }
    assert.match(await sendAnonymously('alice@contoso.com', message({ from: 'alice@contoso.com', to: 'bob@contoso.com', subject: 'Spoof 4' })), /^550 5\.7\.1 /);
  });
});
