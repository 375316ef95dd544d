// From a real Dovecot 2.3 to Mailroom, the way an admin moves a server: a private Dovecot (its
// own dovecot.conf, passwd-file users with SHA512-CRYPT hashes, Maildir++ with '/' as the
// hierarchy separator) is filled over IMAP with a corpus — Chinese folder names, keywords, a
// multi-MB attachment, the odd messages of test/mime/fixtures, an expunged message — and an
// mbsync replica is made against it. Then `mailroom import --dovecot` takes its mail root and
// passwd-file, and the result is compared over IMAP message by message (bytes, flags, keywords,
// INTERNALDATE, UIDVALIDITY, UIDs, UIDNEXT) and over POP3 (UIDLs), and the mbsync replica
// syncs against Mailroom without downloading anything. A second run imports nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { ImapFlow } from 'imapflow';
import { chownTree, dovecotAvailable, mailOwner, privateInstanceSettings } from '../../bench/support/dovecot.ts';
import { freePort } from '../../bench/support/processes.ts';
import { freePortOffset, mailroom, ROOT, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';
import { Directory } from '../../src/directory/directory.ts';

const version = dovecotAvailable();
const mbsyncOk = spawnSync('mbsync', ['--version']).status === 0;
const servers = existsSync('/usr/lib/dovecot/imap') && existsSync('/usr/lib/dovecot/pop3');
const skip = !version || !servers ? 'Dovecot is not installed (Debian dovecot-imapd, dovecot-pop3d)' : !mbsyncOk ? 'mbsync (Debian isync) is not installed' : false;

const PASSWORD = 'Old-Dovecot-Pass-2026';
const USERS = ['chris@contoso.com', 'mei@contoso.com'];

interface Snapshot {
  folders: Record<string, { uidValidity: string; uidNext: number; messages: { uid: number; flags: string[]; date: string; sha: string; size: number }[] }>;
  uidls: Record<string, string[]>;
}

function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = netConnect(port, '127.0.0.1');
      s.once('data', () => { s.destroy(); resolve(); });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing answered on ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function sha(data: Buffer): string {
  return execFileSync('sha256sum', { input: data }).toString().slice(0, 64);
}

async function snapshot(client: ImapFlow): Promise<Snapshot['folders']> {
  const out: Snapshot['folders'] = {};
  for (const box of await client.list()) {
    if (box.flags.has('\\Noselect')) continue;
    const lock = await client.getMailboxLock(box.path);
    try {
      const mailbox = client.mailbox as { uidValidity: bigint; uidNext: number; exists: number };
      const messages: Snapshot['folders'][string]['messages'] = [];
      if (mailbox.exists > 0) {
        for await (const m of client.fetch('1:*', { uid: true, flags: true, internalDate: true, source: true })) {
          messages.push({
            uid: m.uid, flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort(), date: new Date(m.internalDate as Date).toISOString(),
            // Dovecot sends a stored NUL byte as 0x80 (it may not appear in a literal); Mailroom
            // keeps and sends the bytes the maildir file holds. So the comparison is exact but for that.
            sha: sha(Buffer.from(m.source!.map((b) => (b === 0 ? 0x80 : b)))), size: m.source!.length,
          });
        }
      }
      out[box.path] = { uidValidity: String(mailbox.uidValidity), uidNext: mailbox.uidNext, messages: messages.sort((a, b) => a.uid - b.uid) };
    } finally {
      lock.release();
    }
  }
  return out;
}

function pop3Uidls(port: number, user: string, tls: boolean): string[] {
  const script = `
import poplib, ssl, sys
if ${tls ? 'True' : 'False'}:
    ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
    p = poplib.POP3_SSL('127.0.0.1', ${port}, context=ctx)
else:
    p = poplib.POP3('127.0.0.1', ${port})
p.user(sys.argv[1]); p.pass_(sys.argv[2])
for line in p.uidl()[1]:
    print(line.decode().split(' ', 1)[1])
p.quit()
`;
  return execFileSync('python3', ['-c', script, user, PASSWORD], { encoding: 'utf8' }).trim().split('\n').filter((l) => l.length > 0).sort();
}

describe('from Dovecot 2.3 to Mailroom: mail root, passwd-file, IMAP and POP3 clients', { skip }, () => {
  let root: string;
  let dovecot: ChildProcess | undefined;
  let imapPort: number;
  let popPort: number;
  const data = tempDataDir('mailroom-dovecot-import-');
  let env: Record<string, string>;
  let offset: number;
  let server: RunningServer | undefined;
  const before_: Record<string, Snapshot['folders']> = {};
  const uidlsBefore: Record<string, string[]> = {};
  let importOutput = '';
  const mbsyncRoot = () => join(root, 'mbsync');

  const mbsync = (config: string) => new Promise<string>((resolve, reject) => {
    execFile('mbsync', ['-c', config, '-a'], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });

  const mbsyncConfig = (name: string, account: string[]) => {
    const maildir = join(mbsyncRoot(), 'Mail');
    mkdirSync(maildir, { recursive: true });
    const file = join(mbsyncRoot(), name);
    writeFileSync(file, [
      'IMAPAccount old', ...account, 'User chris@contoso.com', `Pass ${PASSWORD}`, '',
      'IMAPStore remote', 'Account old', '',
      'MaildirStore local', `Path ${maildir}/`, `Inbox ${maildir}/INBOX`, 'SubFolders Verbatim', '',
      'Channel everything', 'Far :remote:', 'Near :local:', 'Patterns *', 'Create Near', 'Expunge None', 'SyncState *', '',
    ].join('\n'));
    return file;
  };

  const localFiles = () => {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (!name.startsWith('.mbsync')) out.push(`${p.slice(mbsyncRoot().length)} ${sha(readFileSync(p))}`);
      }
    };
    walk(join(mbsyncRoot(), 'Mail'));
    return out.sort();
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'dovecot-migration-'));
    chmodSync(root, 0o755);
    const owner = mailOwner();
    imapPort = await freePort();
    popPort = await freePort();
    const hash = execFileSync('doveadm', ['pw', '-s', 'SHA512-CRYPT', '-p', PASSWORD], { encoding: 'utf8' }).trim();
    const passwd: string[] = [];
    for (const user of USERS) {
      const home = join(root, 'vmail', 'contoso.com', user.split('@')[0]!);
      mkdirSync(home, { recursive: true });
      passwd.push(`${user}:${hash}:${owner.uid}:${owner.gid}:${user === USERS[0] ? 'Chris Ashton' : ''}:${home}::`);
    }
    chownTree(join(root, 'vmail'), owner.uid, owner.gid);
    writeFileSync(join(root, 'passwd'), `${passwd.join('\n')}\n`);
    mkdirSync(join(root, 'state'), { recursive: true });
    writeFileSync(join(root, 'dovecot.conf'), [
      ...privateInstanceSettings(root),
      'protocols = imap pop3',
      'ssl = no',
      'disable_plaintext_auth = no',
      'auth_mechanisms = plain login',
      // The namespace Debian's default configuration has, with '/' between levels (so 工作/報告
      // is `.工作.報告` on disk) and the special-use folders.
      'namespace inbox {\n  inbox = yes\n  separator = /\n  mailbox Sent {\n    special_use = \\Sent\n  }\n  mailbox Drafts {\n    special_use = \\Drafts\n  }\n  mailbox Trash {\n    special_use = \\Trash\n  }\n}',
      `service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = ${imapPort}\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}`,
      `service pop3-login {\n  inet_listener pop3 {\n    address = 127.0.0.1\n    port = ${popPort}\n  }\n  inet_listener pop3s {\n    port = 0\n  }\n}`,
      'service lmtp {\n  unix_listener lmtp {\n    mode = 0600\n  }\n}',
      '',
    ].join('\n'));
    dovecot = spawn('dovecot', ['-F', '-c', join(root, 'dovecot.conf')], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitForPort(imapPort);
    await waitForPort(popPort);

    offset = await freePortOffset([143, 993, 110, 995]);
    env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
    await createTestOrganization(data.path, { mailboxes: [], password: PASSWORD });
  });

  after(async () => {
    await server?.stop();
    if (dovecot && dovecot.exitCode === null) {
      dovecot.kill('SIGTERM');
      await new Promise((r) => dovecot!.once('exit', r));
    }
    data.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const dovecotClient = async (user: string) => {
    const client = new ImapFlow({ host: '127.0.0.1', port: imapPort, secure: false, auth: { user, pass: PASSWORD }, logger: false, connectionTimeout: 5000 });
    await client.connect();
    return client;
  };

  test('Dovecot is filled over IMAP, read back, and replicated with mbsync', async () => {
    const chris = await dovecotClient(USERS[0]!);
    for (const folder of ['Sent', 'Drafts', 'Trash', '寄件備份', '工作', '工作/報告']) await chris.mailboxCreate(folder);
    await chris.mailboxSubscribe('工作/報告');
    const message = (n: number, subject: string, body = `Body ${n}\r\n`) =>
      Buffer.from(`From: Alice <alice@example.com>\r\nTo: Chris <chris@contoso.com>\r\nSubject: ${subject}\r\nMessage-ID: <m${n}.${subject.length}@example.com>\r\nDate: Mon, 2 Mar 2020 10:00:00 +0800\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`);
    const date = (n: number) => new Date(Date.UTC(2020, 0, 1 + n, 8, 30, 15));
    let n = 0;
    for (let i = 0; i < 6; i++) await chris.append('INBOX', message(++n, `inbox ${i}`), i % 2 ? ['\\Seen'] : [], date(n));
    await chris.append('INBOX', message(++n, 'keywords'), ['\\Seen', '\\Flagged', '$Forwarded', 'Work', '$Label1'], date(n));
    await chris.append('INBOX', message(++n, 'answered draft'), ['\\Answered', '\\Draft'], date(n));
    const attachment = Buffer.alloc(3 * 1024 * 1024 + 17, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
    await chris.append('INBOX', Buffer.from(`From: big@example.com\r\nSubject: big attachment\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n--b--\r\n`), ['\\Seen'], date(++n));
    for (let i = 0; i < 3; i++) await chris.append('Sent', message(++n, `sent ${i}`), ['\\Seen'], date(n));
    await chris.append('寄件備份', message(++n, '已寄出', '你好\r\n'), ['\\Seen', 'Work'], date(n));
    await chris.append('工作/報告', message(++n, '報告'), [], date(n));
    await chris.append('Drafts', message(++n, 'draft'), ['\\Draft'], date(n));
    // The odd messages the MIME tests use, into 工作.
    const fixtures = join(ROOT, 'test', 'mime', 'fixtures');
    let odd = 0;
    for (const name of readdirSync(fixtures).filter((f) => f.endsWith('.eml')).sort()) {
      const ok = await chris.append('工作', readFileSync(join(fixtures, name)), [], date(++n)).catch(() => false);
      if (ok) odd++;
    }
    assert.ok(odd >= 40, `Dovecot took ${odd} fixtures`);
    // A gap in the UIDs: one message expunged.
    const lock = await chris.getMailboxLock('INBOX');
    try {
      await chris.messageDelete('2', { uid: true });
    } finally {
      lock.release();
    }
    before_[USERS[0]!] = await snapshot(chris);
    await chris.logout();
    const mei = await dovecotClient(USERS[1]!);
    for (let i = 0; i < 3; i++) await mei.append('INBOX', message(++n, `mei ${i}`), [], date(n));
    before_[USERS[1]!] = await snapshot(mei);
    await mei.logout();
    for (const user of USERS) uidlsBefore[user] = pop3Uidls(popPort, user, false);
    assert.equal(uidlsBefore[USERS[0]!]!.length, 8);
    assert.match(uidlsBefore[USERS[0]!]![0]!, /^[0-9a-f]{16}$/, 'Dovecot\'s default %08Xu%08Xv (lower-case hex)');

    const out = await mbsync(mbsyncConfig('dovecotrc', ['Host 127.0.0.1', `Port ${imapPort}`, 'SSLType None', 'AuthMechs LOGIN']));
    assert.ok(localFiles().length > 60, out);

    dovecot!.kill('SIGTERM');
    await new Promise((r) => dovecot!.once('exit', r));
  });

  test('mailroom import --dovecot creates the mailboxes with the stored hashes and imports every message', (t) => {
    const r = mailroom(['import', '--dovecot', join(root, 'vmail'), '--passwd-file', join(root, 'passwd')], env);
    importOutput = r.stdout;
    t.diagnostic(r.stdout.split('\n').filter((l) => l.includes('Completed')).join(' | '));
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /chris@contoso\.com \(1\/2\): Completed; mailbox created; \d+ messages imported/);
    assert.match(r.stdout, /mei@contoso\.com \(2\/2\): Completed; mailbox created; 3 messages imported/);
    // Not a terminal: plain progress lines, with counts and an ETA.
    assert.match(r.stdout, /chris@contoso\.com \(1\/2\): \d+% \d+\/\d+ messages, [\d.]+ MB\/[\d.]+ MB, \d+ imported, ETA/);
  });

  test('the passwords come along as Dovecot stored them', async () => {
    process.env.MAILROOM_DATA = data.path;
    const directory = await Directory.open();
    try {
      const hash = readFileSync(join(root, 'passwd'), 'utf8').split('\n')[0]!.split(':')[1]!;
      const chris = await directory.requireMailbox('chris@contoso.com');
      assert.equal(chris.name, 'Chris Ashton');
      assert.equal((await directory.credentials(chris.id))?.passwordHash, hash);
      assert.match(hash, /^\{SHA512-CRYPT\}\$6\$/);
    } finally {
      await directory.close();
      delete process.env.MAILROOM_DATA;
    }
  });

  test('over IMAP every folder and message is as it was: bytes, flags, keywords, INTERNALDATE, UIDVALIDITY, UIDs, UIDNEXT', async () => {
    // The users log on with their old Dovecot password.
    server = await startMailroom(['start'], env);
    for (const user of USERS) {
      const client = new ImapFlow({
        host: '127.0.0.1', port: 993 + offset, secure: true, auth: { user, pass: PASSWORD }, tls: { rejectUnauthorized: false }, logger: false,
      });
      await client.connect();
      const after_ = await snapshot(client);
      await client.logout();
      for (const [folder, was] of Object.entries(before_[user]!)) {
        const now = after_[folder];
        assert.ok(now, `${user}: folder ${folder} is there (has: ${Object.keys(after_).join(', ')})`);
        assert.equal(now.uidValidity, was.uidValidity, `${user} ${folder} UIDVALIDITY`);
        assert.equal(now.uidNext, was.uidNext, `${user} ${folder} UIDNEXT`);
        assert.deepEqual(now.messages, was.messages, `${user} ${folder}: message by message`);
      }
    }
    assert.ok(before_[USERS[0]!]!.INBOX!.messages.some((m) => m.size > 3 * 1024 * 1024));
  });

  test('POP3 clients see the UIDLs Dovecot gave them', () => {
    for (const user of USERS) assert.deepEqual(pop3Uidls(995 + offset, user, true), uidlsBefore[user], user);
  });

  test('the mbsync replica made against Dovecot is in sync against Mailroom without downloading anything', async (t) => {
    const pem = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: 993 + offset, rejectUnauthorized: false }, () => {
        const der = s.getPeerCertificate().raw;
        s.destroy();
        resolve(`-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`);
      });
      s.on('error', reject);
    });
    writeFileSync(join(mbsyncRoot(), 'mailroom.pem'), pem);
    const filesBefore = localFiles();
    const out = await mbsync(mbsyncConfig('mailroomrc', ['Host 127.0.0.1', `Port ${993 + offset}`, 'SSLType IMAPS', 'AuthMechs LOGIN', 'SystemCertificates no', `CertificateFile ${join(mbsyncRoot(), 'mailroom.pem')}`]));
    const filesAfter = localFiles();
    t.diagnostic(`mbsync against Mailroom: ${out.trim().replace(/\s+/g, ' ')}; ${filesBefore.length} local files before, ${filesAfter.length} after`);
    // Folders Mailroom has that Dovecot had not (Junk Email, Archive) appear empty; no message is added or changed.
    const messageFiles = (list: string[]) => list.filter((l) => /\/(cur|new)\//.test(l));
    assert.deepEqual(messageFiles(filesAfter), messageFiles(filesBefore), out);
  });

  test('a second run imports nothing', () => {
    const r = mailroom(['import', '--dovecot', join(root, 'vmail'), '--passwd-file', join(root, 'passwd')], env);
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}\n(first run: ${importOutput})`);
    assert.match(r.stdout, /chris@contoso\.com \(1\/2\): Completed; mailbox existed; 0 messages imported \(0 bytes\), \d+ already there, 0 skipped/);
    assert.match(r.stdout, /mei@contoso\.com \(2\/2\): Completed; mailbox existed; 0 messages imported \(0 bytes\), 3 already there/);
  });
});
