// The front end proxies to the back end on the server that has the mailbox (issue 13): two
// servers in two sites as separate processes on 127.0.0.2 and 127.0.0.3 (proxy-harness.ts).
// Through MAIL01's front end, real clients reach bob and the shared mailbox sales on MAIL02;
// POP3's exclusive lock holds across front ends; IDLE hears what another front end appended;
// COMPRESS and a large APPEND pass the proxy; the proxy port refuses anybody without a server
// certificate of the organization.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { createSelfSignedCertificate } from '../../src/lib/certificates.ts';
import { encodeHandoff, encodeStart, type Handoff } from '../../src/auth/handoff.ts';
import { ADDRESS, PASSWORD, TwoServers } from './proxy-harness.ts';

let two: TwoServers;

before(async () => {
  two = await TwoServers.create();
  await two.start('MAIL02');
  await two.start('MAIL01');
  await two.heartbeats();
});

after(async () => {
  await two?.close();
});

const message = (subject: string, body = 'Hello.') =>
  Buffer.from(`From: alice@contoso.com\r\nTo: bob@contoso.com\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@contoso.com>\r\n\r\n${body}\r\n`);

test('imapflow logs on as bob at MAIL01 and sees the mail MAIL02 holds; MAIL01 makes no copy of MAIL02\'s database', async () => {
  const direct = two.imap('MAIL02', 'bob@contoso.com');
  await direct.connect();
  await direct.append('INBOX', message('Filed on MAIL02'));
  await direct.logout();

  const proxied = two.imap('MAIL01', 'bob@contoso.com');
  await proxied.connect();
  try {
    const inbox = await proxied.mailboxOpen('INBOX');
    assert.equal(inbox.exists, 1);
    const [found] = await proxied.fetchAll('1:*', { envelope: true, source: true });
    assert.equal(found!.envelope!.subject, 'Filed on MAIL02');
    assert.deepEqual(found!.source, message('Filed on MAIL02'));
  } finally {
    await proxied.logout();
  }
  const mail02 = two.servers.MAIL02.processes[0]!;
  await mail02.waitFor(/imap4-backend: session handed over/);
  assert.match(mail02.output(), /"frontEnd":"MAIL01"/);
  assert.equal(existsSync(join(two.servers.MAIL01.data.path, 'databases', 'Mailbox Database MAIL02')), false);
});

test('later logons through MAIL01 resume the TLS session with MAIL02\'s proxy port (an abbreviated handshake), and are checked as the first', async () => {
  const mail02 = two.servers.MAIL02.processes[0]!;
  await mail02.waitFor(/"link":"tls"[^\n]*imap4-backend: session handed over/);
  for (let i = 0; i < 2; i++) {
    const proxied = two.imap('MAIL01', 'bob@contoso.com');
    await proxied.connect();
    assert.equal((await proxied.mailboxOpen('INBOX')).exists, 1);
    await proxied.logout();
  }
  await mail02.waitFor(/"peer":"MAIL01","link":"tls-resumed"[^\n]*imap4-backend: session handed over/);
});

test('alice@contoso.com\\sales through MAIL01 opens the shared mailbox on MAIL02', async () => {
  const direct = two.imap('MAIL02', 'alice@contoso.com\\sales');
  await direct.connect();
  await direct.append('INBOX', message('For the sales team'));
  await direct.logout();
  const proxied = two.imap('MAIL01', 'alice@contoso.com\\sales');
  await proxied.connect();
  try {
    await proxied.mailboxOpen('INBOX');
    const subjects = (await proxied.fetchAll('1:*', { envelope: true })).map((m) => m.envelope!.subject);
    assert.deepEqual(subjects, ['For the sales team']);
  } finally {
    await proxied.logout();
  }
  // alice's own mailbox stays on MAIL01, served in-process there.
  const own = two.imap('MAIL01', 'alice@contoso.com');
  await own.connect();
  assert.equal((await own.mailboxOpen('INBOX')).exists, 0);
  await own.logout();
});

test('python poplib as bob through MAIL01; [IN-USE] while bob is in through MAIL02\'s front end, and again once he left', async () => {
  const listing = await two.poplib('MAIL01', `
p = connect('bob@contoso.com')
count, size = p.stat()
lines = p.retr(1)[1]
p.quit()
print(json.dumps({'count': count, 'subject': [l.decode() for l in lines if l.startswith(b'Subject:')]}))
`) as { count: number; subject: string[] };
  assert.deepEqual(listing, { count: 1, subject: ['Subject: Filed on MAIL02'] });

  const lock = await two.poplib('MAIL02', `
holder = connect('bob@contoso.com')
try:
    connect('bob@contoso.com')
    second = 'logged on'
except poplib.error_proto as e:
    second = e.args[0].decode()
ctx2 = ssl.create_default_context(); ctx2.check_hostname = False; ctx2.verify_mode = ssl.CERT_NONE
other = poplib.POP3_SSL(sys.argv[4], int(sys.argv[5]), context=ctx2, timeout=15)
other.user('bob@contoso.com')
try:
    other.pass_(sys.argv[3])
    third = 'logged on'
except poplib.error_proto as e:
    third = e.args[0].decode()
holder.quit()
other.user('bob@contoso.com')
other.pass_(sys.argv[3])
after = other.stat()[0]
other.quit()
print(json.dumps({'second': second, 'third': third, 'after': after}))
`, [ADDRESS.MAIL01, String(two.port('MAIL01', 995))]) as { second: string; third: string; after: number };
  assert.match(lock.second, /^-ERR \[IN-USE\] /);
  assert.match(lock.third, /^-ERR \[IN-USE\] /, 'the lock is taken where the mailbox lives, whichever front end');
  assert.equal(lock.after, 1);
});

test('IDLE through MAIL01 hears a message appended through MAIL02', async () => {
  const idler = two.imap('MAIL01', 'bob@contoso.com');
  await idler.connect();
  try {
    await idler.mailboxOpen('INBOX');
    const heard = new Promise<number>((resolve) => idler.on('exists', (e: { count: number }) => resolve(e.count)));
    // idle() resolves when IDLE ends; the EXISTS it hears comes first.
    const idling = idler.idle().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    const writer = two.imap('MAIL02', 'bob@contoso.com');
    await writer.connect();
    await writer.append('INBOX', message('While idling'));
    await writer.logout();
    assert.equal(await heard, 2);
    void idling;
  } finally {
    await idler.logout();
  }
});

test('COMPRESS=DEFLATE, ENABLE QRESYNC and a 6 MB APPEND through the proxy', async () => {
  const client = two.imap('MAIL01', 'bob@contoso.com', { qresync: true });
  await client.connect();
  try {
    assert.ok(client.capabilities.has('COMPRESS=DEFLATE'), 'the back end\'s capabilities come through');
    assert.ok(client.capabilities.has('QRESYNC'));
    assert.ok(client.enabled.has('QRESYNC'), 'ENABLE QRESYNC answered by the back end');
    assert.ok((client as unknown as { _deflate?: unknown })._deflate, 'imapflow turned COMPRESS=DEFLATE on, end to end with the back end');
    const big = Buffer.concat([message('Large attachment'), Buffer.alloc(6 * 1024 * 1024, 'abcdefghij0123456789\r\n')]);
    const appended = await client.append('INBOX', big);
    assert.ok(appended && appended.uid);
    const inbox = await client.mailboxOpen('INBOX');
    assert.ok(typeof inbox.highestModseq === 'bigint' && inbox.highestModseq > 0n, 'SELECT gives HIGHESTMODSEQ');
    const fetched = await client.fetchOne(String(appended.uid), { source: true }, { uid: true });
    assert.ok(fetched && fetched.source!.equals(big), 'the bytes come back as sent');
  } finally {
    await client.logout();
  }
});

test('the proxy port refuses a client without a certificate, or with a self-made one the directory does not hold', async () => {
  const port = two.port('MAIL02', 1993);
  const attempt = (options: { cert?: string; key?: string }) => new Promise<string>((resolve, reject) => {
    const socket = tlsConnect({ host: ADDRESS.MAIL02, port, rejectUnauthorized: false, ...options }, () => {
      socket.write('MAILROOM-HANDOFF/1 e30=\r\n');
    });
    let text = '';
    socket.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
  assert.match(await attempt({}), /^REFUSE Not authorized: present the certificate of a server of this organization\.\r\n$/);
  const stranger = await createSelfSignedCertificate(['mail01.fabrikam.com']);
  assert.match(await attempt({ cert: stranger.certPem, key: stranger.keyPem }), /^REFUSE Not authorized/);
  await two.servers.MAIL02.processes[0]!.waitFor(/imap4-backend: client without a server certificate of this organization refused/);
});

test('with MAIL01\'s certificate: MAIL02 refuses a hand-off for a mailbox it does not hold, and a version it does not speak; it serves one for bob', async () => {
  const [cert] = await two.dir.certificates('MAIL01');
  const alice = (await two.dir.findMailbox('alice'))!;
  const bob = (await two.dir.findMailbox('bob'))!;
  const handoff = (user: typeof alice, tag: string): Handoff => ({
    protocol: 'imap', sessionId: '00000000000000AB', user: { id: user.id, upn: user.userPrincipalName }, mailbox: { id: user.id, address: user.primarySmtpAddress },
    logonName: user.userPrincipalName, client: { address: '198.51.100.9', port: 4242 }, frontEnd: 'MAIL01', tag,
  });
  const exchange = (lines: string[]) => new Promise<string>((resolve, reject) => {
    const socket = tlsConnect({ host: ADDRESS.MAIL02, port: two.port('MAIL02', 1993), rejectUnauthorized: false, cert: cert!.certPem, key: cert!.keyPem }, () => {
      socket.write(lines.shift()!);
    });
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.startsWith('ACCEPT\r\n') && lines.length > 0) socket.write(lines.shift()!);
      // Refusals close from the server's side; a served session once the pipelined NOOP is answered.
      if (/\r\nt2 OK [^\r\n]*\r\n/.test(text)) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
  assert.match(await exchange([encodeHandoff(handoff(alice, 'a1'))]), /^REFUSE a1 NO \[UNAVAILABLE\] The mailbox database of alice@contoso\.com is not available on this server now/);
  assert.match(await exchange([encodeHandoff(handoff(bob, 'a1')).replace('/1 ', '/2 ')]), /^REFUSE .*version 2 is not understood/);
  assert.match(await exchange([`MAILROOM-HANDOFF/1 ${'A'.repeat(9000)}\r\n`]), /^REFUSE .*longer than 8192 bytes/);
  const served = await exchange([encodeHandoff(handoff(bob, 't1')), encodeStart({ tls: true, pending: Buffer.from('t2 NOOP\r\n') })]);
  assert.match(served, /^ACCEPT\r\nt1 OK \[CAPABILITY [^\]]+\] Logon completed\.\r\n/);
  assert.match(served, /\r\nt2 OK /, 'the pipelined command is answered after the logon');
  await two.servers.MAIL02.processes[0]!.waitFor(/"client":"198\.51\.100\.9"/);
});

test('commands pipelined behind LOGIN at MAIL01 reach MAIL02 and are answered in order', async () => {
  const socket = tlsConnect({ host: ADDRESS.MAIL01, port: two.port('MAIL01', 993), rejectUnauthorized: false });
  const text = await new Promise<string>((resolve, reject) => {
    let got = '';
    socket.once('secureConnect', () => socket.write(`p1 LOGIN bob@contoso.com ${PASSWORD}\r\np2 SELECT INBOX\r\np3 LOGOUT\r\n`));
    socket.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
  });
  const tagged = text.split('\r\n').filter((l) => /^p\d /.test(l)).map((l) => l.split(' ').slice(0, 2).join(' '));
  assert.deepEqual(tagged, ['p1 OK', 'p2 OK', 'p3 OK']);
  assert.match(text, /\* BYE /);
  assert.doesNotMatch(text, /UNAVAILABLE/, 'a LOGOUT the back end answered is not a lost connection');
});

test('POP3 commands pipelined behind PASS at MAIL01 are answered by MAIL02 in order', async () => {
  const socket = tlsConnect({ host: ADDRESS.MAIL01, port: two.port('MAIL01', 995), rejectUnauthorized: false });
  const text = await new Promise<string>((resolve, reject) => {
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      // After the greeting, everything in one write (RFC 2449 PIPELINING).
      if (/^\+OK[^\r\n]*\r\n$/.test(got)) socket.write(`USER bob@contoso.com\r\nPASS ${PASSWORD}\r\nSTAT\r\nNOOP\r\nQUIT\r\n`);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(got));
  });
  const lines = text.split('\r\n').filter(Boolean);
  assert.equal(lines.length, 6, text);
  assert.doesNotMatch(text, /SYS\/TEMP/, 'the back end\'s close after QUIT is the session\'s normal end');
  assert.ok(lines.every((l) => l.startsWith('+OK')), text);
  assert.match(lines[3]!, /^\+OK \d+ \d+$/, 'STAT');
});
