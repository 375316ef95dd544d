// Real clients against a real `mailroom start` process, enabled the way an admin does it
// (Set-Service MSExchangePOP3,MSExchangePOP3BE): Python's poplib over 995 and STLS, fetchmail
// in "leave a copy" mode (UIDL tracking) and in its default delete mode, byte-exact retrieval
// of awkward messages up to a 20 MB attachment, and an admin bringing back what a POP client
// deleted with Get-RecoverableItems / Restore-RecoverableItems.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { fastCredentials, useFastPasswords } from '../support/passwords.ts';
import { Directory } from '../../src/directory/directory.ts';
import { eventually, freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { message } from './harness.ts';
import { PopClient } from './pop-client.ts';

const PASSWORD = 'Client-Pass-2026';
const data = tempDataDir('mailroom-pop3-clients-');
let env: Record<string, string>;
let tlsPort: number;
let plainPort: number;
let server: RunningServer;
let dir: Directory;
let databases: MailboxDatabases;

function admin(...args: string[]): string {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function append(alias: string, raw: Buffer | string, internalDate?: Date): Promise<void> {
  const mailbox = await dir.requireMailbox(alias);
  const store = await databases.storeFor(mailbox);
  const inbox = await store.folder(mailbox.id, 'INBOX');
  await store.append(inbox!.id, { raw: Buffer.isBuffer(raw) ? raw : Buffer.from(raw), ...(internalDate ? { internalDate } : {}) });
}

async function inboxCount(alias: string): Promise<number> {
  const mailbox = await dir.requireMailbox(alias);
  const store = await databases.storeFor(mailbox);
  return (await store.status((await store.folder(mailbox.id, 'INBOX'))!.id)).messages;
}

function python(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('python3', ['-c', script, ...args], { timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Messages that break careless servers: dot lines, bare CRs, 8-bit text, and a 20 MB attachment. */
function awkwardMessages(): Buffer[] {
  const dots = message('dots', ['.', '..', '.hidden line', 'a line.', '. ', '...', ''].join('\r\n'));
  const bareCr = Buffer.from('Subject: bare CR\r\n\r\none\rtwo\r\nends in CR\r\r\n', 'latin1');
  const eightBit = Buffer.concat([
    Buffer.from('Subject: =?UTF-8?B?5Lit5paH?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
    Buffer.from('中文 ümlaut ñ — \x00 NUL and bytes \xff\xfe\x80\r\n', 'binary'),
    Buffer.from('正文第二行\r\n'),
  ]);
  const attachment = randomBytes(15 * 1024 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n');
  const large = Buffer.from(
    [
      'From: sender@fabrikam.com', 'Subject: twenty megabytes', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
      '--b', 'Content-Type: text/plain', '', '.leading dot in the body', '--b', 'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64', '', attachment, '--b--', '',
    ].join('\r\n'),
  );
  assert.ok(large.length > 20 * 1024 * 1024);
  return [Buffer.from(dots), bareCr, eightBit, large];
}

let awkward: Buffer[];

before(async () => {
  const offset = await freePortOffset([110, 995]);
  tlsPort = 995 + offset;
  plainPort = 110 + offset;
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  process.env.MAILROOM_DATA = data.path;
  admin('setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026');
  admin('Set-PopSettings', '-UnencryptedOrTLSBindings', '127.0.0.1:110', '-SSLBindings', '127.0.0.1:995');
  admin('Set-Service', 'MSExchangePOP3,MSExchangePOP3BE', '-StartupType', 'Automatic');
  admin('Set-Service', 'smtp,web', '-StartupType', 'Disabled');
  dir = await Directory.open();
  await useFastPasswords(dir);
  databases = new MailboxDatabases(dir);
  const credentials = await fastCredentials(PASSWORD);
  for (const alias of ['bytes', 'fetch', 'recover']) await dir.createMailbox({ name: alias, alias, credentials });
  awkward = awkwardMessages();
  for (const [i, raw] of awkward.entries()) await append('bytes', raw, new Date(Date.UTC(2026, 10, 1, 8, i)));
  server = await startMailroom(['start'], env);
});

after(async () => {
  await server?.stop();
  await databases?.closeAll();
  await dir?.close();
  data.cleanup();
});

describe('POP3 clients', () => {
  test('byte-exact RETR: what a raw client un-stuffs is what was stored (SHA-256), up to 20 MB', async () => {
    const c = await PopClient.connect({ port: tlsPort, tls: true });
    await c.line();
    await c.command('USER bytes@contoso.com');
    assert.equal(await c.command(`PASS ${PASSWORD}`), '+OK User successfully logged on.');
    const list = await c.multiline('LIST');
    for (const [i, stored] of awkward.entries()) {
      assert.equal(list[i + 1], `${i + 1} ${stored.length}`, 'LIST gives the exact stored size');
      const { status, data: got } = await c.retr(i + 1);
      assert.equal(status, `+OK ${stored.length} octets`);
      assert.equal(got.length, stored.length);
      assert.equal(sha256(got), sha256(stored), `message ${i + 1}`);
    }
    assert.equal(await c.command('QUIT'), '+OK Mailroom POP3 server signing off.');
  });

  test("Python's poplib over 995 and over STLS: the same bytes, the same UIDLs", async () => {
    const script = `
import hashlib, json, poplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
plain, secure, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
out = {}
p = poplib.POP3_SSL('127.0.0.1', secure, context=ctx)
p.user('bytes@contoso.com'); out['logon'] = p.pass_(password).decode()
out['stat'] = list(p.stat())
out['uidl'] = [l.decode() for l in p.uidl()[1]]
out['sha'] = []
for n in range(1, out['stat'][0] + 1):
    resp, lines, octets = p.retr(n)
    # poplib drops the CRLF of each line and the extra dot of stuffed lines.
    out['sha'].append(hashlib.sha256(b'\\r\\n'.join(lines) + b'\\r\\n').hexdigest())
out['top'] = [l.decode('latin1') for l in p.top(1, 1)[1]]
out['quit'] = p.quit().decode()
p = poplib.POP3('127.0.0.1', plain)
out['stls'] = p.stls(ctx).decode()
p.user('bytes@contoso.com'); p.pass_(password)
out['uidl_stls'] = [l.decode() for l in p.uidl()[1]]
p.quit()
print(json.dumps(out))
`;
    const out = JSON.parse(await python(script, [String(plainPort), String(tlsPort), PASSWORD])) as {
      logon: string; stat: [number, number]; uidl: string[]; sha: string[]; top: string[]; quit: string; stls: string; uidl_stls: string[];
    };
    assert.equal(out.logon, '+OK User successfully logged on.');
    assert.deepEqual(out.stat, [awkward.length, awkward.reduce((n, b) => n + b.length, 0)]);
    assert.deepEqual(out.sha, awkward.map(sha256));
    assert.deepEqual(out.top.slice(-2), ['', '.']);
    assert.equal(out.quit, '+OK Mailroom POP3 server signing off.');
    assert.equal(out.stls, '+OK Begin TLS negotiation.');
    assert.deepEqual(out.uidl_stls, out.uidl);
    assert.match(out.uidl[0]!, /^1 \d+\.\d+$/);
  });

  test('a dropped poplib session deletes nothing; QUIT deletes into Recoverable Items; the admin restores', async () => {
    for (const subject of ['keep me', 'invoice 2026-11', 'newsletter']) await append('recover', message(subject));
    const script = `
import poplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
port, password, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
p = poplib.POP3_SSL('127.0.0.1', port, context=ctx)
p.user('recover@contoso.com'); p.pass_(password)
p.dele(2); p.dele(3)
if mode == 'quit':
    print(p.quit().decode())
else:
    p.sock.close()
    print('dropped')
`;
    assert.equal((await python(script, [String(tlsPort), PASSWORD, 'drop'])).trim(), 'dropped');
    assert.equal(await inboxCount('recover'), 3);
    // The lock goes once the server sees the close; a client that retries at once may see [IN-USE].
    let answer = '';
    await eventually(async () => {
      answer = (await python(script, [String(tlsPort), PASSWORD, 'quit']).catch((e: Error) => e.message)).trim();
      return answer.startsWith('+OK');
    }, 15_000).catch(() => undefined); // the assertion below shows the last answer
    assert.equal(answer, '+OK Mailroom POP3 server signing off.');
    assert.equal(await inboxCount('recover'), 1);

    const items = [JSON.parse(admin('Get-RecoverableItems', 'recover', '--json'))].flat() as { Subject: string; Reason: string; LastParentPath: string }[];
    assert.deepEqual(items.map((i) => [i.Subject, i.Reason, i.LastParentPath]).sort(), [['invoice 2026-11', 'pop3', 'INBOX'], ['newsletter', 'pop3', 'INBOX']]);
    const restored = [JSON.parse(admin('Restore-RecoverableItems', 'recover', '-SubjectContains', 'invoice', '--json'))].flat() as { Subject: string }[];
    assert.deepEqual(restored.map((i) => i.Subject), ['invoice 2026-11']);
    assert.equal(await inboxCount('recover'), 2);
    // The POP client sees it again, under a new UIDL: for the server it is a new arrival.
    const c = await PopClient.connect({ port: tlsPort, tls: true });
    await c.line();
    await c.command('USER recover');
    await c.command(`PASS ${PASSWORD}`);
    const subjects: string[] = [];
    for (const n of [1, 2]) subjects.push(/Subject: (.*)/.exec((await c.retr(n)).data.toString())![1]!);
    assert.deepEqual(subjects.sort(), ['invoice 2026-11', 'keep me']);
    await c.command('QUIT');
  });

  test('fetchmail: --keep downloads, a second --keep run finds nothing new, the default mode downloads and deletes', async () => {
    if (spawnSync('fetchmail', ['--version']).error) {
      assert.fail('fetchmail is not installed (apt-get install fetchmail; .ci/run installs it)');
    }
    for (let i = 1; i <= 4; i++) await append('fetch', message(`fetch ${i}`, `.dot line ${i}\r\nsecond line`));
    const work = join(data.path, 'fetchmail');
    mkdirSync(join(work, 'out'), { recursive: true });
    const rc = join(work, 'fetchmailrc');
    writeFileSync(rc, `poll 127.0.0.1 protocol pop3 port ${tlsPort}\n  user "fetch@contoso.com" password "${PASSWORD}"\n`);
    chmodSync(rc, 0o600);
    const run = (...extra: string[]) =>
      spawnSync('fetchmail', [
        '-f', rc, '--nosyslog', '--nodetach', '--daemon', '0', '--ssl', '--nosslcertck', '--uidl',
        '--idfile', join(work, 'ids'), '--mda', `/bin/sh -c 'cat > ${join(work, 'out')}/msg.$$'`, ...extra,
      ], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, HOME: work, FETCHMAILHOME: work } });
    const delivered = () => readdirSync(join(work, 'out')).length;

    const first = run('--keep');
    assert.equal(first.status, 0, `${first.stdout}\n${first.stderr}`);
    assert.equal(delivered(), 4);
    assert.equal(await inboxCount('fetch'), 4);
    const body = readFileSync(join(work, 'out', readdirSync(join(work, 'out'))[0]!), 'utf8');
    assert.match(body, /^\.dot line \d/m, 'fetchmail un-stuffed the dot line');

    const second = run('--keep');
    // fetchmail's exit code 1 means "no new mail".
    assert.equal(second.status, 1, `${second.stdout}\n${second.stderr}`);
    assert.equal(delivered(), 4);
    assert.equal(await inboxCount('fetch'), 4);

    const third = run('--all');
    assert.equal(third.status, 0, `${third.stdout}\n${third.stderr}`);
    assert.equal(delivered(), 8);
    assert.equal(await inboxCount('fetch'), 0);
    const items = [JSON.parse(admin('Get-RecoverableItems', 'fetch', '--json'))].flat() as { Reason: string }[];
    assert.equal(items.filter((i) => i.Reason === 'pop3').length, 4);
  });
});
