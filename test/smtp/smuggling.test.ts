// SMTP smuggling (CVE-2023-51766 and relatives): a sender hides a second message behind an end
// of data that some server in the chain reads as `<CR><LF>.<CR><LF>` and another does not. Over
// raw sockets, each variant must be refused whole at the real end of data, no smuggled command
// may run, and nothing may reach any mailbox.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSmtpServer, type SmtpTestServer } from './harness.ts';
import { SmtpTestClient } from './smtp-client.ts';

let s: SmtpTestServer;

before(async () => {
  s = await startSmtpServer();
});
after(async () => {
  await s.stop();
});

const FAKE_END = {
  'LF . LF': '\n.\n',
  'CR . CR': '\r.\r',
  'CR LF . LF': '\r\n.\n',
  'LF . CR LF': '\n.\r\n',
  'CR . CR LF': '\r.\r\n',
  'CR LF . CR': '\r\n.\r',
} as const;

for (const [name, end] of Object.entries(FAKE_END)) {
  test(`"${name}" inside DATA: refused at the real end, nothing delivered, no smuggled command run`, async () => {
    const before = { bob: (await s.messages('bob')).length, carol: (await s.messages('carol')).length };
    const c = await SmtpTestClient.connect(s.ports.inbound);
    await c.read();
    await c.command('EHLO sender.example');
    assert.equal((await c.command('MAIL FROM:<news@example.org>')).code, 250);
    assert.equal((await c.command('RCPT TO:<bob@contoso.com>')).code, 250);
    assert.equal((await c.command('DATA')).code, 354);
    c.write(
      'From: news@example.org\r\nTo: bob@contoso.com\r\nSubject: hello\r\n\r\nFirst message.' +
        end +
        'MAIL FROM:<ceo@contoso.com>\r\nRCPT TO:<carol@contoso.com>\r\nDATA\r\n' +
        'From: ceo@contoso.com\r\nTo: carol@contoso.com\r\nSubject: smuggled\r\n\r\nPay the invoice.\r\n' +
        '.\r\n',
    );
    const reply = await c.read();
    assert.equal(reply.text, '550 5.6.11 Message refused: bare CR or LF in the message data; lines must end in CRLF (RFC 5321 §2.3.8)');
    // Exactly one reply: the lines after the fake end were data, never commands.
    assert.equal((await c.command('NOOP')).text, '250 2.0.0 OK');
    assert.deepEqual({ bob: (await s.messages('bob')).length, carol: (await s.messages('carol')).length }, before);
    // The session is still good for a clean message.
    await c.command('MAIL FROM:<news@example.org>');
    await c.command('RCPT TO:<bob@contoso.com>');
    await c.command('DATA');
    assert.equal((await c.command('From: news@example.org\r\nTo: bob@contoso.com\r\nSubject: clean\r\n\r\nOK.\r\n.')).code, 250);
    assert.equal((await s.messages('bob')).length, before.bob + 1);
    assert.equal((await s.messages('carol')).length, before.carol);
    c.close();
  });
}

test('a bare LF in the header section is refused as well', async () => {
  const c = await SmtpTestClient.connect(s.ports.inbound);
  await c.read();
  await c.command('EHLO sender.example');
  await c.command('MAIL FROM:<news@example.org>');
  await c.command('RCPT TO:<bob@contoso.com>');
  await c.command('DATA');
  c.write('From: news@example.org\nTo: bob@contoso.com\r\nSubject: x\r\n\r\nbody\r\n.\r\n');
  assert.equal((await c.read()).code, 550);
  c.close();
});

test('dot-stuffed lines are unstuffed and stored as sent', async () => {
  const c = await SmtpTestClient.connect(s.ports.inbound);
  await c.read();
  await c.command('EHLO sender.example');
  await c.command('MAIL FROM:<news@example.org>');
  await c.command('RCPT TO:<bob@contoso.com>');
  await c.command('DATA');
  c.write('From: news@example.org\r\nTo: bob@contoso.com\r\nSubject: dots\r\n\r\n..leading dot\r\n...\r\n.\r\n');
  assert.equal((await c.read()).code, 250);
  const stored = (await s.messages('bob')).at(-1)!.raw.toString();
  assert.ok(stored.endsWith('Subject: dots\r\n\r\n.leading dot\r\n..\r\n'));
  c.close();
});
