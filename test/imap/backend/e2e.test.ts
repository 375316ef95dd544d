// End to end with a real `mailroom start` process, set up the way an admin does it (setup,
// Set-ImapSettings, Set-Service, New-Mailbox, Set-Mailbox) and used by real clients: imapflow
// with an admin's Get-RecoverableItems after an expunge and a quota set from the command line,
// and mbsync (isync) syncing a mailbox to a local Maildir and back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { ImapFlow } from 'imapflow';
import { freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../../helpers.ts';
import { message } from './harness.ts';
import { FAST_PASSWORDS_CMDLET } from '../../support/passwords.ts';

const PASSWORD = 'E2e-Pass-2026';
const data = tempDataDir('mailroom-imap-e2e-');
let env: Record<string, string>;
let tlsPort: number;
let server: RunningServer;
const clients: ImapFlow[] = [];

function admin(...args: string[]): string {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function connect(user: string): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1', port: tlsPort, secure: true, auth: { user, pass: PASSWORD },
    tls: { rejectUnauthorized: false }, logger: false, connectionTimeout: 5000, greetingTimeout: 5000,
  });
  clients.push(client);
  await client.connect();
  return client;
}

before(async () => {
  const offset = await freePortOffset([143, 993]);
  tlsPort = 993 + offset;
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  admin('setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026');
  admin(...FAST_PASSWORDS_CMDLET);
  admin('Set-ImapSettings', '-UnencryptedOrTLSBindings', '127.0.0.1:143', '-SSLBindings', '127.0.0.1:993');
  admin('Set-Service', 'MSExchangeIMAP4,MSExchangeIMAP4BE', '-StartupType', 'Automatic');
  admin('New-Mailbox', '-Name', 'Chris Ashton', '-Alias', 'chris', '-Password', PASSWORD);
  admin('New-Mailbox', '-Name', '王小明', '-Alias', 'xiaoming', '-Languages', 'zh-TW', '-Password', PASSWORD);
  server = await startMailroom(['start'], env);
});

after(async () => {
  for (const c of clients) await c.logout().catch(() => c.close());
  await server?.stop();
  data.cleanup();
});

describe('IMAP4 end to end (mailroom start)', () => {
  test('imapflow: an expunged message shows in Get-RecoverableItems; a quota set by Set-Mailbox refuses APPEND', async () => {
    const chris = await connect('chris@contoso.com');
    const keep = await chris.append('INBOX', message('keep me', 'x'));
    const gone = await chris.append('INBOX', message('Quarterly invoice', 'remove me'));
    assert.ok(keep && gone);
    const lock = await chris.getMailboxLock('INBOX');
    try {
      assert.equal(await chris.messageDelete(String(gone.uid), { uid: true }), true);
    } finally {
      lock.release();
    }
    const items = JSON.parse(admin('Get-RecoverableItems', 'chris', '--json')) as Record<string, unknown>[];
    assert.equal(items.length, 1, JSON.stringify(items));
    assert.equal(items[0]!.Subject, 'Quarterly invoice');
    assert.equal(items[0]!.LastParentPath, 'INBOX');

    admin('Set-Mailbox', 'chris', '-UseDatabaseQuotaDefaults', '$false', '-ProhibitSendReceiveQuota', '1KB');
    await assert.rejects(chris.append('INBOX', message('too big now', 'y'.repeat(2000))), (err: Error & { serverResponseCode?: string }) => {
      assert.equal(err.serverResponseCode, 'OVERQUOTA', String(err));
      return true;
    });
    // The session is still good.
    const status = await chris.status('INBOX', { messages: true });
    assert.ok(status && status.messages === 1, JSON.stringify(status));
  });

  const mbsync = spawnSync('mbsync', ['--version'], { encoding: 'utf8' });
  test('mbsync: a mailbox to a local Maildir and back', { skip: mbsync.status === 0 ? false : 'mbsync (Debian package isync) is not installed' }, async () => {
    const mei = await connect('xiaoming@contoso.com');
    const originals = [message('第一封', '你好'), message('second', 'two'), message('third', 'three')];
    for (const raw of originals) assert.ok(await mei.append('INBOX', raw));
    assert.ok(await mei.append('寄件備份', message('已寄出', 'sent'), ['\\Seen']));

    // Trust exactly the server's own certificate (isync's "host certificate").
    const pem = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false }, () => {
        const der = s.getPeerCertificate().raw;
        s.destroy();
        resolve(`-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`);
      });
      s.on('error', reject);
    });
    const root = join(data.path, 'mbsync');
    const maildir = join(root, 'Mail');
    mkdirSync(maildir, { recursive: true });
    writeFileSync(join(root, 'server.pem'), pem);
    writeFileSync(join(root, 'mbsyncrc'), [
      'IMAPAccount mailroom', 'Host 127.0.0.1', `Port ${tlsPort}`, 'User xiaoming@contoso.com', `Pass ${PASSWORD}`,
      'SSLType IMAPS', 'SystemCertificates no', `CertificateFile ${join(root, 'server.pem')}`, '',
      'IMAPStore remote', 'Account mailroom', '',
      'MaildirStore local', `Path ${maildir}/`, `Inbox ${maildir}/INBOX`, 'SubFolders Verbatim', '',
      'Channel everything', 'Far :remote:', 'Near :local:', 'Patterns *', 'Create Both', 'Expunge Both', 'SyncState *', '',
    ].join('\n'));
    const sync = () => new Promise<string>((resolve, reject) => {
      execFile('mbsync', ['-c', join(root, 'mbsyncrc'), '-a'], { timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stdout}\n${stderr}`));
        else resolve(stdout + stderr);
      });
    });

    await sync();
    const cur = (folder: string) => {
      const dir = join(maildir, folder);
      return ['cur', 'new'].flatMap((sub) => readdirSync(join(dir, sub)).map((f) => join(dir, sub, f)));
    };
    const local = cur('INBOX');
    assert.equal(local.length, 3);
    // What was appended, in mbsync's local form: LF line ends and its X-TUID tracking header.
    const localForm = (text: string) => text.replace(/^X-TUID: .*\n/m, '').replace(/\r\n/g, '\n');
    assert.deepEqual(local.map((f) => localForm(readFileSync(f, 'utf8'))).sort(), originals.map(localForm).sort());
    const sent = cur(readdirSync(maildir).find((d) => d !== 'INBOX' && cur(d).length > 0)!);
    assert.equal(sent.length, 1, 'the 寄件備份 folder came down too');
    assert.match(sent[0]!, /,[A-Z]*S[A-Z]*$/, '\\Seen became the Maildir S flag');

    // Locally: read one, trash one, write a new one; then sync back.
    const byContent = (needle: string) => local.find((f) => readFileSync(f, 'utf8').includes(needle))!;
    // A message a mail reader has handled moves to cur/ with its flags after ":2,".
    const mark = (file: string, flag: string) => {
      const name = file.split('/').pop()!;
      renameSync(file, join(maildir, 'INBOX', 'cur', name.includes(':2,') ? `${name}${flag}` : `${name}:2,${flag}`));
    };
    const [read, trashed] = [byContent('Subject: second'), byContent('Subject: third')];
    mark(read, 'S');
    mark(trashed, 'T');
    const added = message('written offline', 'from the Maildir');
    writeFileSync(join(maildir, 'INBOX', 'new', `${Date.now()}.1.localhost`), added);
    await sync();

    const lock = await mei.getMailboxLock('INBOX');
    try {
      const all = await mei.fetchAll('1:*', { envelope: true, flags: true, source: true });
      const bySubject = new Map(all.map((m) => [m.envelope!.subject, m]));
      assert.deepEqual([...bySubject.keys()].sort(), ['second', 'written offline', '第一封'].sort());
      assert.ok(bySubject.get('second')!.flags!.has('\\Seen'));
      // Uploaded with CRLF line ends again, and mbsync's X-TUID header.
      assert.equal(bySubject.get('written offline')!.source!.toString().replace(/^X-TUID: .*\r\n/m, ''), added);
    } finally {
      lock.release();
    }
  });
});
