// End to end with a real `mailroom start` process: the smtp service starts by itself (startup
// type Automatic), a message alice submits over 587 reaches bob's IMAP Inbox while he is in IDLE
// and his POP3 listing, byte-exact below the added fields in both, and a Set-ReceiveConnector from another process applies to
// the running service within a second.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { eventually, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';
import { python } from '../frontend/python.ts';
import { SmtpTestClient } from './smtp-client.ts';

const PASSWORD = 'E2e-Pass-2026';
const data = tempDataDir('mailroom-smtp-e2e-');
let env: Record<string, string>;
let offset: number;
let server: RunningServer;

function admin(...args: string[]): string {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  offset = await freePortOffset([25, 587, 465, 143, 993, 110, 995]);
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  // Set up in this process; the changes made while the server runs go through the command line,
  // from another process.
  await createTestOrganization(data.path, { mailboxes: [['Alice Wong', 'alice'], ['Bob Kelly', 'bob']], password: PASSWORD });
  server = await startMailroom(['start'], env);
});

after(async () => {
  await server?.stop();
  data.cleanup();
});

test('the smtp service runs by default; a submission on 587 reaches bob\'s Inbox during IDLE', async () => {
  assert.match(server.output(), /smtp started/);
  const bob = new ImapFlow({
    host: '127.0.0.1', port: 993 + offset, secure: true, auth: { user: 'bob@contoso.com', pass: PASSWORD }, tls: { rejectUnauthorized: false }, logger: false,
  });
  await bob.connect();
  const lock = await bob.getMailboxLock('INBOX');
  try {
    let exists = 0;
    bob.on('exists', (e: { count: number }) => (exists = e.count));
    const idle = bob.idle();
    const raw = Buffer.from('From: Alice Wong <alice@contoso.com>\r\nTo: bob@contoso.com\r\nSubject: =?utf-8?B?5pyD6K2w?=\r\nMessage-ID: <e2e-1@contoso.com>\r\n\r\nSee you at 10.\r\n');
    const info = await nodemailer.createTransport({
      host: '127.0.0.1', port: 587 + offset, secure: false, requireTLS: true, auth: { user: 'alice@contoso.com', pass: PASSWORD }, tls: { rejectUnauthorized: false },
    }).sendMail({ envelope: { from: 'alice@contoso.com', to: ['bob@contoso.com'] }, raw });
    assert.match(info.response, /^250 2\.6\.0 <e2e-1@contoso\.com> /);
    await eventually(() => exists === 1, 5000);
    await bob.mailboxOpen('INBOX').catch(() => undefined);
    await idle.catch(() => undefined);
    const fetched = await bob.fetchOne('1', { source: true });
    assert.ok(fetched && fetched.source);
    const source = fetched.source;
    assert.deepEqual(source.subarray(source.indexOf(raw)), raw);
    assert.match(source.toString(), /^Return-Path: <alice@contoso\.com>\r\nReceived: from /);

    // The same message in his POP3 listing (python poplib over 995), with the exact size and bytes.
    const pop = await python(`
import poplib, ssl, sys, hashlib
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
p = poplib.POP3_SSL('127.0.0.1', int(sys.argv[1]), context=ctx)
p.user('bob@contoso.com'); p.pass_(sys.argv[2])
count, size = p.stat()
listed = p.list()[1][0].decode()
lines = p.retr(1)[1]
p.quit()
raw = b'\\r\\n'.join(lines) + b'\\r\\n'
print(count, size, listed, len(raw), hashlib.sha256(raw).hexdigest())
`, [String(995 + offset), PASSWORD]);
    const [count, size, listedNumber, listedSize, retrieved, digest] = pop.trim().split(/\s+/);
    assert.equal(count, '1');
    assert.equal(listedNumber, '1');
    assert.equal(Number(size), source.length, 'STAT counts the exact stored size');
    assert.equal(Number(listedSize), source.length);
    assert.equal(Number(retrieved), source.length);
    const { createHash } = await import('node:crypto');
    assert.equal(digest, createHash('sha256').update(source).digest('hex'), 'RETR gives the same bytes as IMAP');
  } finally {
    lock.release();
    await bob.logout();
  }
});

test('Set-ReceiveConnector from another process applies to the running service', async () => {
  admin('Set-ReceiveConnector', 'Default Frontend MAIL01', '-Banner', '220 Contoso inbound', '-MaxRecipientsPerMessage', '1');
  await eventually(async () => {
    const c = await SmtpTestClient.connect(25 + offset);
    const greeting = await c.read();
    c.close();
    return greeting.text === '220 Contoso inbound';
  }, 5000);
  admin('Set-ReceiveConnector', 'Default Frontend MAIL01', '-Enabled', '$false');
  // The other connectors keep running.
  const submission = await SmtpTestClient.connect(587 + offset);
  assert.equal((await submission.read()).code, 220);
  submission.close();
  await eventually(async () => SmtpTestClient.connect(25 + offset).then((c) => (c.close(), false), () => true), 5000).catch((err: Error) => {
    throw new Error(`${err.message}\n${server.output().split('\n').filter((l) => /smtp|error/i.test(l)).slice(-10).join('\n')}`);
  });
});
