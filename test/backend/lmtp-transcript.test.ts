// The mail delivery port (smtp-backend, LMTP on 2525) over a raw socket: the greeting and LHLO,
// TLS and direct trust required before anything else, one reply per recipient after DATA
// (delivered, unknown, on another server, over quota at RCPT and at append, store failure),
// XQUOTA, XFOLDER=JUNK, XENCODING=BASE64 and the SIZE check.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { INLINE_BLOB_LIMIT } from '../../src/store/sqlite/engine.ts';
import { CAROL_QUOTA, startLmtpBackend, testMessage, type LmtpBackend } from './lmtp-harness.ts';
import { SmtpTestClient } from '../smtp/smtp-client.ts';

let h: LmtpBackend;

before(async () => {
  h = await startLmtpBackend();
});

after(async () => {
  await h?.stop();
});

async function trusted(): Promise<SmtpTestClient> {
  const c = await SmtpTestClient.connect(h.port);
  assert.equal((await c.read()).code, 220);
  assert.equal((await c.command('LHLO mail02.contoso.com')).code, 250);
  assert.equal((await c.starttls(h.certificates.mail02)).code, 220);
  assert.equal((await c.command('LHLO mail02.contoso.com')).code, 250);
  return c;
}

/** DATA with dot-stuffing; resolves with one reply per recipient. */
async function data(c: SmtpTestClient, message: Buffer, recipients: number) {
  assert.equal((await c.command('DATA')).code, 354);
  const stuffed = message.toString('latin1').replace(/(^|\r\n)\./g, '$1..');
  c.write(Buffer.from(`${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1'));
  const replies = [];
  for (let i = 0; i < recipients; i++) replies.push(await c.read());
  return replies;
}

test('greeting and LHLO: LMTP, STARTTLS offered, no AUTH; HELO and EHLO are refused', async () => {
  const c = await SmtpTestClient.connect(h.port);
  try {
    assert.match((await c.read()).text, /^220 mail01\.contoso\.com LMTP Mailroom mail delivery service ready$/);
    assert.equal((await c.command('EHLO mail02.contoso.com')).code, 500);
    const lhlo = await c.command('LHLO mail02.contoso.com');
    assert.equal(lhlo.code, 250);
    assert.match(lhlo.text, /^250-mail01\.contoso\.com/);
    assert.match(lhlo.text, /STARTTLS/);
    assert.match(lhlo.text, /ENHANCEDSTATUSCODES/);
    assert.match(lhlo.text, /PIPELINING/);
    assert.doesNotMatch(lhlo.text, /AUTH/);
  } finally {
    c.close();
  }
});

test('before STARTTLS, MAIL FROM and XQUOTA get 530 5.7.0', async () => {
  const c = await SmtpTestClient.connect(h.port);
  try {
    await c.read();
    await c.command('LHLO mail02.contoso.com');
    assert.match((await c.command('MAIL FROM:<alice@contoso.com>')).text, /^530 5\.7\.0 Must issue a STARTTLS command first/);
    assert.match((await c.command('XQUOTA <alice@contoso.com>')).text, /^530 5\.7\.0 /);
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 503);
  } finally {
    c.close();
  }
});

test('TLS without a client certificate, or with one the directory does not hold, is refused and closed', async () => {
  for (const identity of [undefined, h.certificates.stranger]) {
    const c = await SmtpTestClient.connect(h.port);
    try {
      await c.read();
      await c.command('LHLO mail02.contoso.com');
      assert.equal((await c.starttls(identity)).code, 220);
      assert.match((await c.read()).text, /^535 5\.7\.1 Not authorized: present the certificate of a server of this organization/);
      await c.waitClosed();
    } finally {
      c.close();
    }
  }
});

test('one reply per recipient after DATA: delivered ones are in the store byte for byte, after their 250', async () => {
  const c = await trusted();
  try {
    const message = testMessage('Per recipient', '.a line that starts with a dot\r\nand another');
    assert.equal((await c.command(`MAIL FROM:<alice@contoso.com> SIZE=${message.length}`)).code, 250);
    assert.match((await c.command('RCPT TO:<alice@contoso.com>')).text, /^250 /);
    assert.match((await c.command('RCPT TO:<nobody@contoso.com>')).text, /^550 5\.1\.1 RESOLVER\.ADR\.RecipNotFound/);
    assert.match((await c.command('RCPT TO:<dave@contoso.com>')).text, /^451 4\.4\.0 The mailbox database Mailbox Database MAIL02 is not mounted on this server/);
    assert.match((await c.command('RCPT TO:<somebody@fabrikam.com>')).text, /^550 5\.1\.1 /);
    assert.match((await c.command('RCPT TO:<bob@contoso.com>')).text, /^250 /);
    const replies = await data(c, message, 2);
    assert.match(replies[0]!.text, /^250 2\.1\.5 <alice@contoso\.com> delivered UID=\d+$/);
    assert.match(replies[1]!.text, /^250 2\.1\.5 <bob@contoso\.com> delivered UID=\d+$/);
    for (const [alias, reply] of [['alice', replies[0]!], ['bob', replies[1]!]] as const) {
      const stored = await h.messages(alias);
      const uid = Number(/UID=(\d+)/.exec(reply.text)![1]);
      assert.deepEqual(stored.find((m) => m.uid === uid)?.raw, message);
    }
    // The session takes another transaction.
    assert.equal((await c.command('MAIL FROM:<>')).code, 250);
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 250);
    assert.match((await data(c, testMessage('Second'), 1))[0]!.text, /^250 2\.1\.5 /);
  } finally {
    c.close();
  }
});

test('quota: 452 4.2.2 at RCPT when SIZE does not fit, and per recipient at append when there is no SIZE', async () => {
  const c = await trusted();
  try {
    const big = testMessage('Too big for carol', 'x'.repeat(CAROL_QUOTA));
    assert.equal((await c.command(`MAIL FROM:<alice@contoso.com> SIZE=${big.length}`)).code, 250);
    assert.match((await c.command('RCPT TO:<carol@contoso.com>')).text, /^452 4\.2\.2 The recipient's mailbox is full/);
    assert.equal((await c.command('RSET')).code, 250);
    // Without SIZE only a mailbox already at its limit is refused at RCPT; the append then finds no room.
    assert.equal((await c.command('MAIL FROM:<alice@contoso.com>')).code, 250);
    assert.equal((await c.command('RCPT TO:<carol@contoso.com>')).code, 250);
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 250);
    const replies = await data(c, big, 2);
    assert.match(replies[0]!.text, /^452 4\.2\.2 The recipient's mailbox has no room for this message/);
    assert.match(replies[1]!.text, /^250 2\.1\.5 <bob@contoso\.com> delivered/);
    assert.equal((await h.messages('carol')).length, 0);
  } finally {
    c.close();
  }
});

test('a store failure is 451 4.3.0 for that recipient only', async () => {
  const c = await trusted();
  try {
    // Over the inline limit, so the store writes a blob file, which cannot be written.
    const large = testMessage('Store failure', 'y'.repeat(INLINE_BLOB_LIMIT + 1));
    h.breakBlobWrite(large);
    assert.equal((await c.command(`MAIL FROM:<alice@contoso.com> SIZE=${large.length}`)).code, 250);
    assert.equal((await c.command('RCPT TO:<alice@contoso.com>')).code, 250);
    assert.equal((await c.command('RCPT TO:<erin@contoso.com>')).code, 250);
    const replies = await data(c, large, 2);
    assert.match(replies[0]!.text, /^451 4\.3\.0 The message could not be stored: /);
    assert.match(replies[1]!.text, /^250 2\.1\.5 <erin@contoso\.com> delivered/);
    assert.ok(!(await h.messages('alice')).some((m) => m.raw.equals(large)));
    assert.ok((await h.messages('erin')).some((m) => m.raw.equals(large)));
  } finally {
    c.close();
  }
});

test('XQUOTA answers usage and limits for a mailbox here, 550 5.1.1 for others', async () => {
  const c = await trusted();
  try {
    const alice = await h.dir.requireMailbox('alice');
    const expected = await h.delivery.quota(alice);
    assert.equal(
      (await c.command('XQUOTA <alice@contoso.com>')).text,
      `250 2.1.5 USAGE=${expected.usage} PROHIBITSEND=${expected.prohibitSend} PROHIBITSENDRECEIVE=${expected.prohibitSendReceive}`,
    );
    assert.match((await c.command('XQUOTA carol@contoso.com')).text, new RegExp(`^250 2\\.1\\.5 USAGE=\\d+ PROHIBITSEND=\\S+ PROHIBITSENDRECEIVE=${CAROL_QUOTA}$`));
    assert.match((await c.command('XQUOTA <nobody@contoso.com>')).text, /^550 5\.1\.1 /);
    assert.match((await c.command('XQUOTA <dave@contoso.com>')).text, /^451 4\.4\.0 /);
    assert.match((await c.command('XQUOTA')).text, /^501 5\.5\.4 Syntax: XQUOTA <address>/);
  } finally {
    c.close();
  }
});

test('XFOLDER=JUNK stores in Junk Email; XENCODING=BASE64 carries bytes DATA cannot; SIZE must match', async () => {
  const c = await trusted();
  try {
    const junk = testMessage('Quarantined');
    assert.equal((await c.command(`MAIL FROM:<> SIZE=${junk.length} XFOLDER=JUNK`)).code, 250);
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 250);
    assert.match((await data(c, junk, 1))[0]!.text, /^250 /);
    assert.ok((await h.messages('bob', 'junk')).some((m) => m.raw.equals(junk)));

    const binary = Buffer.concat([testMessage('Binary'), Buffer.from('bare\nLF, bare\rCR, NUL \0 and no CRLF at the end')]);
    assert.equal((await c.command(`MAIL FROM:<alice@contoso.com> SIZE=${binary.length} XENCODING=BASE64`)).code, 250);
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 250);
    const b64 = binary.toString('base64').replace(/.{1,76}/g, '$&\r\n');
    assert.match((await data(c, Buffer.from(b64), 1))[0]!.text, /^250 /);
    assert.ok((await h.messages('bob')).some((m) => m.raw.equals(binary)));

    const short = testMessage('Wrong size');
    assert.equal((await c.command(`MAIL FROM:<alice@contoso.com> SIZE=${short.length + 10}`)).code, 250);
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 250);
    assert.match((await data(c, short, 1))[0]!.text, /^451 4\.3\.0 The message arrived with \d+ bytes instead of the \d+ announced in SIZE/);

    assert.match((await c.command('MAIL FROM:<alice@contoso.com> XFOLDER=Deleted')).text, /^501 5\.5\.4 XFOLDER must be INBOX or JUNK/);
    assert.match((await c.command('MAIL FROM:<alice@contoso.com> XENCODING=UUENCODE')).text, /^501 5\.5\.4 XENCODING must be BASE64/);
  } finally {
    c.close();
  }
});
