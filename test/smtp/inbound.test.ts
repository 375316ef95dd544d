// Internet mail on port 25 ("Default Frontend", AnonymousUsers): accepted domains only, and SPF,
// DKIM and DMARC checked by mailauth against a DNS table (no network), recorded in an
// Authentication-Results field, with the DMARC reject policy applied per DmarcRejectAction.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { authenticate, dkimSign } from 'mailauth';
import nodemailer from 'nodemailer';
import { removeForgedResults } from '../../src/smtp/inbound-auth.ts';
import { message, startSmtpServer, withoutPrependedHeaders, type SmtpTestServer } from './harness.ts';
import { deliverInbound, SmtpTestClient } from './smtp-client.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_B64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

const DNS: Record<string, unknown[]> = {
  // fabrikam.example: everything passes (SPF allows loopback, DKIM key published, DMARC reject).
  'fabrikam.example TXT': [['v=spf1 ip4:127.0.0.1 -all']],
  'sel1._domainkey.fabrikam.example TXT': [[`v=DKIM1; k=rsa; p=${PUBLIC_B64}`]],
  '_dmarc.fabrikam.example TXT': [['v=DMARC1; p=reject']],
  // bank.example: strict policies, and loopback is not an allowed sender.
  'bank.example TXT': [['v=spf1 ip4:192.0.2.0/24 -all']],
  '_dmarc.bank.example TXT': [['v=DMARC1; p=reject']],
  'shop.example TXT': [['v=spf1 -all']],
  '_dmarc.shop.example TXT': [['v=DMARC1; p=quarantine']],
};

let s: SmtpTestServer;

before(async () => {
  s = await startSmtpServer({ dns: DNS });
});
after(async () => {
  await s.stop();
});

const deliver = (from: string, raw: Buffer | string, to?: string) => deliverInbound(s.ports.inbound, from, raw, to);

const authResults = (raw: Buffer) => /Authentication-Results: ([^]*?)\r\n(?! )/.exec(raw.toString())?.[1]?.replace(/\r\n /g, ' ') ?? '';

describe('relay', () => {
  test('anonymous mail for another domain: 550 5.7.54; for an accepted domain: accepted', async () => {
    const c = await SmtpTestClient.connect(s.ports.inbound);
    await c.read();
    await c.command('EHLO mx.sender.example');
    await c.command('MAIL FROM:<someone@fabrikam.example>');
    assert.equal((await c.command('RCPT TO:<friend@example.net>')).text, '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain');
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 250);
    assert.equal((await c.command('RCPT TO:<postmaster>')).code, 250, 'RFC 5321 §4.1.1.3: the domainless postmaster is accepted');
    c.close();
  });

  test('an anonymous client cannot relay even through the submission connector after STARTTLS', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.ports.inbound, secure: false, tls: { rejectUnauthorized: false } });
    await assert.rejects(t.sendMail({ from: 'x@fabrikam.example', to: 'victim@example.net', text: 'relay me' }), /5\.7\.54/);
  });
});

describe('SPF, DKIM and DMARC', () => {
  test('a signed message from an allowed address passes all three, and is stored byte-exact below the new fields', async () => {
    const original = Buffer.from(message({ from: 'news@fabrikam.example', to: 'bob@contoso.com', subject: 'Signed' }));
    const { signatures } = await dkimSign(original, { signatureData: [{ signingDomain: 'fabrikam.example', selector: 'sel1', privateKey: PRIVATE_PEM }] } as never);
    const signed = Buffer.concat([Buffer.from(signatures), original]);
    assert.match(await deliver('news@fabrikam.example', signed), /^250 2\.6\.0 /);
    const stored = (await s.messages('bob')).at(-1)!.raw;
    assert.deepEqual(withoutPrependedHeaders(stored, signed), signed);
    const ar = authResults(stored);
    assert.match(ar, /^mail01\.contoso\.com;/);
    assert.match(ar, /dkim=pass header\.i=@fabrikam\.example/);
    assert.match(ar, /spf=pass/);
    assert.match(ar, /dmarc=pass/);
    assert.match(stored.toString(), /Received-SPF: pass/);
  });

  test('a message forwarded with an ARC seal: arc=pass beside the signature checks', async () => {
    const original = Buffer.from(message({ from: 'news@fabrikam.example', to: 'list@fabrikam.example', subject: 'Sealed' }));
    const { signatures } = await dkimSign(original, { signatureData: [{ signingDomain: 'fabrikam.example', selector: 'sel1', privateKey: PRIVATE_PEM }] } as never);
    const signed = Buffer.concat([Buffer.from(signatures), original]);
    // The forwarder (fabrikam.example's list server) checks the message and seals what it saw.
    const resolver = async (name: string, rrtype: string) => {
      const answer = DNS[`${name} ${rrtype}`];
      if (answer) return answer;
      throw Object.assign(new Error(`no ${rrtype} for ${name}`), { code: 'ENOTFOUND' });
    };
    const forwarded = await authenticate(signed, {
      ip: '127.0.0.1', helo: 'list.fabrikam.example', sender: 'news@fabrikam.example', mta: 'list.fabrikam.example', resolver,
      seal: { signingDomain: 'fabrikam.example', selector: 'sel1', privateKey: PRIVATE_PEM },
    } as never) as { headers: string };
    assert.match(forwarded.headers, /^ARC-Seal: i=1;/m);
    assert.match(await deliver('news@fabrikam.example', Buffer.concat([Buffer.from(forwarded.headers), signed])), /^250 2\.6\.0 /);
    const ar = authResults((await s.messages('bob')).at(-1)!.raw);
    assert.match(ar, /arc=pass/);
    assert.match(ar, /dkim=pass header\.i=@fabrikam\.example/);
    assert.match(ar, /dmarc=pass/);
  });

  test('DMARC p=reject and the message fails: 550 5.7.1 and nothing stored (DmarcRejectAction Reject, the default)', async () => {
    const before = (await s.messages('bob')).length;
    const reply = await deliver('alerts@bank.example', message({ from: 'alerts@bank.example', to: 'bob@contoso.com', subject: 'Verify your account' }));
    assert.equal(reply, '550 5.7.1 Message rejected: DMARC policy of bank.example says reject and the message failed authentication');
    assert.equal((await s.messages('bob')).length, before);
  });

  test('DmarcRejectAction Junk puts such mail in Junk Email; Accept delivers it with dmarc=fail', async () => {
    await s.setTransport({ DmarcRejectAction: 'Junk' });
    assert.match(await deliver('alerts@bank.example', message({ from: 'alerts@bank.example', to: 'bob@contoso.com', subject: 'To junk' })), /^250 /);
    const junk = (await s.messages('bob', 'junk')).at(-1)!.raw;
    assert.match(junk.toString(), /Subject: To junk/);
    assert.match(authResults(junk), /dmarc=fail/);
    await s.setTransport({ DmarcRejectAction: 'Accept' });
    assert.match(await deliver('alerts@bank.example', message({ from: 'alerts@bank.example', to: 'bob@contoso.com', subject: 'Accepted' })), /^250 /);
    const inbox = (await s.messages('bob')).at(-1)!.raw;
    assert.match(inbox.toString(), /Subject: Accepted/);
    assert.match(authResults(inbox), /spf=fail/);
    await s.setTransport({ DmarcRejectAction: 'Reject' });
  });

  test('DMARC p=quarantine goes to Junk Email', async () => {
    assert.match(await deliver('deals@shop.example', message({ from: 'deals@shop.example', to: 'bob@contoso.com', subject: 'Quarantined' })), /^250 /);
    assert.match((await s.messages('bob', 'junk')).at(-1)!.raw.toString(), /Subject: Quarantined/);
  });

  test('a domain without records: spf=none, dmarc=none, delivered', async () => {
    assert.match(await deliver('a@nowhere.example', message({ from: 'a@nowhere.example', to: 'carol@contoso.com' }), 'carol@contoso.com'), /^250 /);
    const ar = authResults((await s.messages('carol')).at(-1)!.raw);
    assert.match(ar, /spf=none/);
    assert.match(ar, /dmarc=none/);
  });

  test('an Authentication-Results field forged with our name is removed; others stay', () => {
    const raw = Buffer.from('Authentication-Results: mail01.contoso.com; dkim=pass\r\nAuthentication-Results: other.example; spf=pass\r\nSubject: x\r\n\r\nbody');
    assert.equal(removeForgedResults(raw, 'mail01.contoso.com').toString(), 'Authentication-Results: other.example; spf=pass\r\nSubject: x\r\n\r\nbody');
    const clean = Buffer.from('Subject: x\r\n\r\nbody');
    assert.equal(removeForgedResults(clean, 'mail01.contoso.com'), clean);
  });
});

test('authenticated submissions are not run through the Internet mail checks', async () => {
  // alice's mail on 465 carries no Authentication-Results: it was never anonymous.
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.ports.secure, secure: true, auth: { user: 'alice@contoso.com', pass: 'Alice-Pass-2026' }, tls: { rejectUnauthorized: false } });
  await t.sendMail({ from: 'alice@contoso.com', to: 'bob@contoso.com', subject: 'internal', text: 'x' });
  assert.doesNotMatch((await s.messages('bob')).at(-1)!.raw.toString(), /Authentication-Results/);
});
