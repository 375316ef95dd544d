// SMTP in the two-server topology (issue 13), with real clients against two `mailroom start`
// processes on 127.0.0.2 (MAIL01, site A, alice) and 127.0.0.3 (MAIL02, site B, bob), each
// running the smtp service on its own address (proxy-harness.ts with smtp: true). A submission on
// either server's 587 reaches a mailbox on the other over its mail delivery port; bob, in IDLE
// through MAIL01's front end, hears a message submitted at MAIL02; python's imaplib reads, through
// MAIL02's front end, alice's mail on MAIL01 byte for byte.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { eventually } from '../helpers.ts';
import { python } from './python.ts';
import { ADDRESS, PASSWORD, TwoServers, type ServerName } from './proxy-harness.ts';

let two: TwoServers;

before(async () => {
  two = await TwoServers.create({ smtp: true });
  await two.start('MAIL02');
  await two.start('MAIL01');
  await two.heartbeats();
});

after(async () => {
  await two?.close();
});

const message = (from: string, to: string, subject: string, body: string) =>
  Buffer.from(`From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@contoso.com>\r\n\r\n${body}\r\n`);

/** nodemailer at `via`'s submission port (587 + offset, STARTTLS), logged on as `user`. */
function submit(via: ServerName, user: string, to: string, raw: Buffer) {
  return nodemailer.createTransport({
    host: ADDRESS[via], port: two.port(via, 587), secure: false, requireTLS: true, auth: { user, pass: PASSWORD }, tls: { rejectUnauthorized: false },
  }).sendMail({ envelope: { from: user, to: [to] }, raw });
}

/** The sources of the messages in `user`'s Inbox, read over IMAP at `via`. */
async function inbox(via: ServerName, user: string): Promise<Buffer[]> {
  const client = two.imap(via, user);
  await client.connect();
  try {
    await client.mailboxOpen('INBOX');
    return (await client.fetchAll('1:*', { source: true })).map((m) => m.source!);
  } finally {
    await client.logout();
  }
}

const toBob = message('Alice Wong <alice@contoso.com>', 'bob@contoso.com', 'Submitted at MAIL01', 'Over to site B.\r\n.\r\n..');
const toAlice = message('Bob Kelly <bob@contoso.com>', 'alice@contoso.com', 'Submitted at MAIL02', 'Back to site A.');

test('each server runs smtp on its own address and the delivery port; a submission at either one reaches a mailbox on the other', async () => {
  for (const name of ['MAIL01', 'MAIL02'] as const) {
    const out = two.servers[name].processes[0]!.output();
    assert.match(out, /smtp started/);
    assert.match(out, new RegExp(`smtp-backend \\[::\\]:${two.port(name, 2525)}, 0\\.0\\.0\\.0:${two.port(name, 2525)}`));
  }

  // alice at MAIL01 → bob, whose mailbox MAIL02 holds: over MAIL02's delivery port.
  assert.match((await submit('MAIL01', 'alice@contoso.com', 'bob@contoso.com', toBob)).response, /^250 2\.6\.0 <SubmittedatMAIL01@contoso\.com> /);
  await two.servers.MAIL02.processes[0]!.waitFor(/"peer":"MAIL01"[^\n]*"msg":"smtp-backend: message delivered"/);
  const [atBob, ...moreAtBob] = await inbox('MAIL02', 'bob@contoso.com');
  assert.equal(moreAtBob.length, 0);
  assert.deepEqual(atBob!.subarray(atBob!.length - toBob.length), toBob, 'the bytes submitted, below the fields MAIL01 added');
  assert.match(atBob!.toString('latin1'), /^Return-Path: <alice@contoso\.com>\r\nReceived: from [^]*? by 127\.0\.0\.2 /);

  // bob at MAIL02 → alice, whose mailbox MAIL01 holds: the same way back.
  assert.match((await submit('MAIL02', 'bob@contoso.com', 'alice@contoso.com', toAlice)).response, /^250 2\.6\.0 <SubmittedatMAIL02@contoso\.com> /);
  await two.servers.MAIL01.processes[0]!.waitFor(/"peer":"MAIL02"[^\n]*"msg":"smtp-backend: message delivered"/);
  const [atAlice, ...moreAtAlice] = await inbox('MAIL01', 'alice@contoso.com');
  assert.equal(moreAtAlice.length, 0);
  assert.deepEqual(atAlice!.subarray(atAlice!.length - toAlice.length), toAlice);
  assert.match(atAlice!.toString('latin1'), /^Return-Path: <bob@contoso\.com>\r\nReceived: from [^]*? by 127\.0\.0\.3 /);
});

test('bob in IDLE through MAIL01\'s front end hears a message alice submits at MAIL02', async () => {
  let initiated!: () => void;
  const idleAcknowledged = new Promise<void>((resolve) => (initiated = resolve));
  const quiet = () => undefined;
  const idler = two.imap('MAIL01', 'bob@contoso.com', {
    // The "+" continuation: from here on the back end pushes what changes.
    logger: { debug: (o: { msg?: string }) => { if (o?.msg === 'Initiated IDLE, waiting for server input') initiated(); }, info: quiet, warn: quiet, error: quiet },
  });
  await idler.connect();
  try {
    const before = (await idler.mailboxOpen('INBOX')).exists;
    const heard: number[] = [];
    idler.on('exists', (e: { count: number }) => heard.push(e.count));
    const idling = idler.idle().catch(() => undefined);
    await idleAcknowledged;

    const raw = message('Alice Wong <alice@contoso.com>', 'bob@contoso.com', 'Heard in IDLE', 'Submitted at site B, heard through site A.');
    await submit('MAIL02', 'alice@contoso.com', 'bob@contoso.com', raw);
    await eventually(() => heard.includes(before + 1), 10_000);
    assert.equal(idler.idling, true, 'EXISTS came during IDLE, not in answer to a command');

    // Through the proxy, the bytes as MAIL02 stored them.
    const fetched = await idler.fetchOne(String(before + 1), { source: true });
    assert.ok(fetched && fetched.source);
    assert.deepEqual(fetched.source.subarray(fetched.source.length - raw.length), raw);
    assert.match(fetched.source.toString('latin1'), /^Return-Path: <alice@contoso\.com>\r\nReceived: from [^]*? by 127\.0\.0\.3 /, 'MAIL02 took it');
    await idling;
  } finally {
    await idler.logout();
  }
});

test('python imaplib as alice through MAIL02\'s front end reads, byte for byte, the message bob sent her', async () => {
  const [stored] = await inbox('MAIL01', 'alice@contoso.com');
  const out = JSON.parse(await python(`
import base64, imaplib, json, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4_SSL(sys.argv[1], int(sys.argv[2]), ssl_context=ctx, timeout=15)
login = m.login('alice@contoso.com', sys.argv[3])[0]
typ, data = m.select('INBOX')
found = m.search(None, 'SUBJECT', '"Submitted at MAIL02"')[1][0].decode().split()
typ, fetched = m.fetch(found[0], '(RFC822.SIZE BODY.PEEK[])')
m.logout()
print(json.dumps({'login': login, 'exists': int(data[0]), 'found': found, 'meta': fetched[0][0].decode(), 'body': base64.b64encode(fetched[0][1]).decode()}))
`, [ADDRESS.MAIL02, String(two.port('MAIL02', 993)), PASSWORD])) as { login: string; exists: number; found: string[]; meta: string; body: string };
  assert.equal(out.login, 'OK');
  assert.equal(out.exists, 1);
  assert.deepEqual(out.found, ['1']);
  const body = Buffer.from(out.body, 'base64');
  assert.match(out.meta, new RegExp(`RFC822\\.SIZE ${stored!.length}\\b`));
  assert.deepEqual(body, stored, 'the bytes MAIL01 holds');
  assert.deepEqual(body.subarray(body.length - toAlice.length), toAlice, 'as bob submitted them');
  await two.servers.MAIL01.processes[0]!.waitFor(/"user":"alice@contoso\.com"[^\n]*imap4-backend: session handed over/);
  assert.match(two.servers.MAIL01.processes[0]!.output(), /"frontEnd":"MAIL02"/);
});
