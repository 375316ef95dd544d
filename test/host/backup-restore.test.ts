// mailroom backup/restore on a live server: an IMAP client APPENDs and an SMTP client submits
// while `mailroom backup` runs in another process; the backup is restored into a fresh data
// folder, a server starts on it, and every message acknowledged before the backup began is
// there, byte for byte, with folder counts that match. Also: restore refuses a running
// server's folder, a damaged backup and an occupied folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { BIN, freePortOffset, mailroom, startMailroom, tempDataDir } from '../helpers.ts';
import { createTestOrganization } from '../support/organization.ts';
import { prng } from '../support/random.ts';

const PASSWORD = 'Pa55-word-2026';

function imapClient(offset: number): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1', port: 993 + offset, secure: true, auth: { user: 'chris@contoso.com', pass: PASSWORD },
    tls: { rejectUnauthorized: false }, logger: false,
  });
}

/** A message with a unique id; every seventh is over 128 KB, so it is stored as a body file. */
function makeMessage(n: number, via: string): { id: string; raw: Buffer } {
  const id = `<load-${via}-${n}@backup.test>`;
  const random = prng(n * 7919 + via.length);
  const size = n % 7 === 0 ? 200_000 + Math.floor(random() * 50_000) : 500 + Math.floor(random() * 2000);
  const body = Array.from({ length: Math.ceil(size / 76) }, () => Array.from({ length: 74 }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('')).join('\r\n');
  const raw = Buffer.from(`From: chris@contoso.com\r\nTo: chris@contoso.com\r\nSubject: load ${via} ${n}\r\nMessage-ID: ${id}\r\nDate: Mon, 7 Dec 2026 03:00:00 +0000\r\n\r\n${body}\r\n`);
  return { id, raw };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function runCli(args: string[], env: Record<string, string>): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, MAILROOM_LOG_LEVEL: 'silent', ...env } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.once('exit', (status) => resolve({ status, out }));
  });
}

test('backup under APPEND and SMTP load, restore into a fresh folder: every acknowledged message is there', async () => {
  const data = tempDataDir();
  const fresh = tempDataDir();
  const backups = tempDataDir('mailroom-backups-');
  const backup = join(backups.path, 'nightly');
  try {
    await createTestOrganization(data.path, { mailboxes: [['Chris Ashton', 'chris']], password: PASSWORD });
    const offset = await freePortOffset();
    const env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
    const server = await startMailroom(['start'], env);
    // Acknowledged messages, with the time of the acknowledgement.
    const acknowledged: { id: string; sha: string; at: number }[] = [];
    let stop = false;
    const imap = imapClient(offset);
    await imap.connect();
    const appending = (async () => {
      for (let n = 1; !stop; n++) {
        const m = makeMessage(n, 'imap');
        await imap.append('INBOX', m.raw, n % 3 === 0 ? ['\\Seen'] : []);
        acknowledged.push({ id: m.id, sha: sha(m.raw), at: performance.now() });
      }
    })();
    const smtp = nodemailer.createTransport({
      host: '127.0.0.1', port: 587 + offset, secure: false, requireTLS: true, auth: { user: 'chris@contoso.com', pass: PASSWORD },
      tls: { rejectUnauthorized: false },
    });
    const submitting = (async () => {
      for (let n = 1; !stop; n++) {
        const m = makeMessage(n, 'smtp');
        await smtp.sendMail({ envelope: { from: 'chris@contoso.com', to: ['chris@contoso.com'] }, raw: m.raw });
        acknowledged.push({ id: m.id, sha: '', at: performance.now() });
      }
    })();
    try {
      // Let some mail in first, then back up while both clients keep writing.
      while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 20));
      const backupStarted = performance.now();
      const countAtStart = acknowledged.length;
      const result = await runCli(['backup', backup], env);
      const duringBackup = acknowledged.length - countAtStart;
      assert.equal(result.status, 0, result.out);
      assert.match(result.out, /Backed up .* \d+ files, \d+ bytes \(\d+ databases, \d+ message bodies, 1 key files/);
      assert.ok(duringBackup > 0, 'the clients kept writing while the backup ran');
      console.log(`# ${result.out.trim().split('\n')[0]}`);

      // A running server's folder is not restored over.
      const refused = mailroom(['restore', backup, '--force'], env);
      assert.equal(refused.status, 1);
      assert.match(refused.stderr, /A Mailroom server is running on .* \(process(?:es)? \d+(?:, \d+)*\): stop it first/);

      stop = true;
      await Promise.all([appending, submitting]);
      const mustHave = acknowledged.filter((a) => a.at < backupStarted);
      assert.ok(mustHave.length >= 40);

      const manifest = JSON.parse(readFileSync(join(backup, 'manifest.json'), 'utf8'));
      assert.equal(manifest.format, 'mailroom-backup');
      const paths = manifest.files.map((f: { path: string }) => f.path) as string[];
      for (const expected of ['directory.db', 'secrets.key', 'queue/queue.db', 'databases/Mailbox Database MAIL01/mailbox.db', 'databases/Mailbox Database MAIL01/index.db']) assert.ok(paths.includes(expected), expected);
      assert.ok(paths.some((p) => p.includes('/blobs/')), 'large bodies are files in the backup');
      assert.ok(!paths.some((p) => p.endsWith('-wal') || p.endsWith('-shm') || p.startsWith('run/')));

      // Restore into a fresh folder and serve it.
      const restored = mailroom(['restore', backup], { MAILROOM_DATA: fresh.path });
      assert.equal(restored.status, 0, restored.stderr);
      assert.match(restored.stdout, /every checksum matched the manifest/);
      const doctor = mailroom(['doctor'], { MAILROOM_DATA: fresh.path });
      assert.equal(doctor.status, 0, doctor.stdout + doctor.stderr);
      assert.match(doctor.stdout, /Checked 1 mailbox databases: 0 problems found/);

      await imap.logout().catch(() => undefined);
      await server.stop();
      const offset2 = await freePortOffset();
      const server2 = await startMailroom(['start'], { MAILROOM_DATA: fresh.path, MAILROOM_PORT_OFFSET: String(offset2) });
      const reader = imapClient(offset2);
      try {
        await reader.connect();
        const status = (await reader.status('INBOX', { messages: true, unseen: true })) as { messages: number; unseen: number };
        const lock = await reader.getMailboxLock('INBOX');
        const found = new Map<string, { sha: string; seen: boolean }>();
        try {
          for await (const m of reader.fetch('1:*', { envelope: true, source: true, flags: true })) {
            found.set(m.envelope!.messageId!, { sha: sha(m.source!), seen: m.flags!.has('\\Seen') });
          }
        } finally {
          lock.release();
        }
        for (const a of mustHave) {
          assert.ok(found.has(a.id), `${a.id}, acknowledged before the backup began, is in the restored mailbox`);
          if (a.sha) assert.equal(found.get(a.id)!.sha, a.sha, `${a.id} is byte for byte what was appended`);
        }
        assert.equal(status.messages, found.size, 'STATUS MESSAGES counts what is there');
        assert.equal(status.unseen, [...found.values()].filter((m) => !m.seen).length, 'STATUS UNSEEN counts what is there');
        // Nothing beyond what was acknowledged by the end (the backup is a moment between the two).
        assert.ok(found.size <= acknowledged.length);
        console.log(`# ${mustHave.length} acknowledged before the backup, ${duringBackup} during it; restored mailbox holds ${found.size}`);
      } finally {
        await reader.logout().catch(() => undefined);
        await server2.stop();
      }
    } finally {
      stop = true;
      await Promise.allSettled([appending, submitting]);
      smtp.close();
      imap.close();
      await server.stop();
    }
  } finally {
    data.cleanup();
    fresh.cleanup();
    backups.cleanup();
  }
});

test('restore refuses a damaged backup and an occupied folder, and with --force keeps the old folder beside', async () => {
  const data = tempDataDir();
  const target = tempDataDir();
  const backups = tempDataDir('mailroom-backups-');
  const backup = join(backups.path, 'b1');
  try {
    await createTestOrganization(data.path, { mailboxes: [['Chris Ashton', 'chris']], password: PASSWORD });
    const made = mailroom(['backup', backup], { MAILROOM_DATA: data.path });
    assert.equal(made.status, 0, made.stderr);
    // The backup is as private as the data folder.
    assert.equal(statSync(backup).mode & 0o077, 0, 'backup folder 0700');
    for (const f of JSON.parse(readFileSync(join(backup, 'manifest.json'), 'utf8')).files as { path: string }[]) {
      assert.equal(statSync(join(backup, f.path)).mode & 0o077, 0, `${f.path} is private`);
    }
    // Backing up into a folder that holds something is refused.
    assert.match(mailroom(['backup', backup], { MAILROOM_DATA: data.path }).stderr, /is not empty/);

    // An occupied folder needs --force, and then is kept beside, renamed.
    writeFileSync(join(target.path, 'marker'), 'old');
    const occupied = mailroom(['restore', backup], { MAILROOM_DATA: target.path });
    assert.equal(occupied.status, 1);
    assert.match(occupied.stderr, /is not empty\. Restore into a new folder, or add --force/);
    const forced = mailroom(['restore', backup, '--force'], { MAILROOM_DATA: target.path });
    assert.equal(forced.status, 0, forced.stderr);
    const previous = /now (\S+)\.$/m.exec(forced.stdout)![1]!;
    assert.equal(readFileSync(join(previous, 'marker'), 'utf8'), 'old');
    assert.ok(existsSync(join(target.path, 'directory.db')) && !existsSync(join(target.path, 'marker')));
    assert.equal(mailroom(['Get-Mailbox', 'chris', '--json'], { MAILROOM_DATA: target.path }).status, 0);

    // One changed byte in the backup: refused before anything is written.
    const keyPath = join(backup, 'secrets.key');
    const key = readFileSync(keyPath);
    key[0] = key[0]! ^ 1;
    writeFileSync(keyPath, key);
    const empty = join(backups.path, 'never-made');
    const damaged = mailroom(['restore', backup], { MAILROOM_DATA: empty });
    assert.equal(damaged.status, 1);
    assert.match(damaged.stderr, /does not match its manifest; nothing was restored:\n\s+secrets\.key: checksum differs/);
    assert.ok(!existsSync(empty));
    assert.deepEqual(readdirSync(backups.path).filter((n) => n.includes('restoring')), []);

    // A manifest that names a file outside the data folder is refused before anything is read.
    const manifestPath = join(backup, 'manifest.json');
    for (const evil of ['../outside', '/etc/passwd', 'databases/../../x']) {
      const m = JSON.parse(readFileSync(manifestPath, 'utf8'));
      m.files[0].path = evil;
      writeFileSync(manifestPath, JSON.stringify(m));
      const r = mailroom(['restore', backup], { MAILROOM_DATA: empty });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /The manifest names a file outside the backup/, evil);
    }
  } finally {
    data.cleanup();
    target.cleanup();
    backups.cleanup();
  }
});

test('with a PostgreSQL directory the backup holds the data folder and says the directory needs pg_dump', async () => {
  const data = tempDataDir();
  const backups = tempDataDir('mailroom-backups-');
  try {
    // A mailbox database and a queue database as a server of a shared directory keeps them.
    const { SqliteMailStore } = await import('../../src/store/sqlite/engine.ts');
    const store = await SqliteMailStore.open(join(data.path, 'databases', 'Mailbox Database MAIL02'));
    await store.provisionMailbox('m-pg', 'en-US');
    const inbox = (await store.folder('m-pg', 'INBOX'))!;
    await store.append(inbox.id, { raw: Buffer.from('Subject: kept\r\n\r\nbody\r\n') });
    await store.close();
    const env = {
      MAILROOM_DATA: data.path, MAILROOM_DIRECTORY: 'postgres://postgres@127.0.0.1:5432/mailroom_shared',
      MAILROOM_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
    };
    const made = mailroom(['backup', join(backups.path, 'b')], env);
    assert.equal(made.status, 0, made.stderr);
    assert.match(made.stdout, /Note: The directory .* is in PostgreSQL \(MAILROOM_DIRECTORY\) and is not in this backup: back it up with pg_dump/);
    assert.match(made.stdout, /Note: MAILROOM_SECRETS_KEY is set: the key .* is not in this backup/);
    const manifest = JSON.parse(readFileSync(join(backups.path, 'b', 'manifest.json'), 'utf8'));
    assert.equal(manifest.directory, 'postgres');
    const paths = manifest.files.map((f: { path: string }) => f.path);
    assert.ok(paths.includes('databases/Mailbox Database MAIL02/mailbox.db'));
    assert.ok(!paths.includes('directory.db'));
  } finally {
    data.cleanup();
    backups.cleanup();
  }
});
