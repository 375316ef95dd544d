// New-MailboxExportRequest end to end: a Mailroom mailbox holding the migration corpus is
// exported by the `mailroom` command; Dovecot, given the Maildir++ export as a user's mail,
// shows the same folders, UIDVALIDITY, UIDs, flags, keywords, INTERNALDATE and bytes; the mbox
// export reads back (Python's mailbox module and an mboxrd reader) with the same messages and
// flags. Get-/Remove-MailboxExportRequest and the statistics follow the request.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Directory } from '../../src/directory/directory.ts';
import type { MailStore } from '../../src/store/types.ts';
import { createTestOrganization } from '../support/organization.ts';
import { dovecotAvailable, startDovecot } from '../support/dovecot-server.ts';
import { mailroom, tempDataDir } from '../helpers.ts';
import { migrationCorpus, type CorpusFolder } from './corpus.ts';
import { readAccount, type ServerFolder } from './dovecot-corpus.ts';

const data = tempDataDir('mailroom-export-');
const env = { MAILROOM_DATA: data.path };
const ROLE_NAMES: Record<string, string> = { sent: 'Sent Items', drafts: 'Drafts', trash: 'Deleted Items', junk: 'Junk Email', archive: 'Archive' };
/** What the mailbox holds, read back from the store after filling it. */
let stored: ServerFolder[];

const nameOf = (f: CorpusFolder) => (f.specialUse ? ROLE_NAMES[f.specialUse]! : f.path.join('/'));

async function withStore<T>(fn: (store: MailStore, mailboxId: string) => Promise<T>): Promise<T> {
  const previous = process.env.MAILROOM_DATA;
  process.env.MAILROOM_DATA = data.path;
  const directory = await Directory.open();
  const databases = new MailboxDatabases(directory);
  try {
    const mailbox = await directory.requireMailbox('chris');
    return await fn(await databases.storeFor(mailbox), mailbox.id);
  } finally {
    await databases.closeAll();
    await directory.close();
    if (previous === undefined) delete process.env.MAILROOM_DATA;
    else process.env.MAILROOM_DATA = previous;
  }
}

before(async () => {
  await createTestOrganization(data.path, { mailboxes: [['Chris Ashton', 'chris']], password: 'Pa55-word-2026' });
  stored = await withStore(async (store, mailboxId) => {
    for (const folder of migrationCorpus({ bigMegabytes: 3 })) {
      const name = nameOf(folder);
      const target = (await store.folder(mailboxId, name)) ?? (await store.createFolder(mailboxId, name));
      for (const m of folder.messages) await store.append(target.id, { raw: m.raw, flags: m.flags, internalDate: m.internalDate });
    }
    // An empty user folder and a folder with a character Maildir++ cannot hold.
    await store.createFolder(mailboxId, 'Empty');
    const dotted = await store.createFolder(mailboxId, 'v1.2');
    await store.append(dotted.id, { raw: Buffer.from('Subject: dotted\r\n\r\nx\r\n') });
    const out: ServerFolder[] = [];
    for (const f of await store.folders(mailboxId)) {
      if (f.hidden) continue;
      const messages = [];
      for (const m of await store.messages(f.id)) {
        messages.push({ uid: m.uid, flags: m.flags.filter((x) => x !== '\\Recent').sort(), internalDate: m.internalDate.getTime(), raw: await store.readBlob(m.blobId) });
      }
      out.push({ path: f.name.split('/'), specialUse: f.role ?? undefined, uidValidity: f.uidValidity, uidNext: f.uidNext, messages });
    }
    return out.sort((a, b) => a.path.join('/').localeCompare(b.path.join('/')));
  });
});

after(() => data.cleanup());

/** IMAP serves a stored message with every line ending as CRLF; Dovecot does for a maildir file. */
function crlf(raw: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === 0x0a && (i === 0 || raw[i - 1] !== 0x0d)) out.push(0x0d);
    out.push(raw[i]!);
  }
  return Buffer.from(out);
}

test('Maildir++ export: Dovecot serves the same folders, UIDVALIDITY, UIDs, flags, keywords, dates and bytes', { skip: dovecotAvailable() ? false : 'dovecot is not installed' }, async () => {
  const target = join(data.path, 'export-maildir');
  const r = mailroom(['New-MailboxExportRequest', '-Mailbox', 'chris', '-FilePath', target], env);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Status\s+: CompletedWithWarning/);
  assert.match(r.stderr, /v1\.2: not exported: a level of the name holds '\.'/);
  assert.ok(existsSync(join(target, '.&XeVPXA-.&WDFUSg-', 'dovecot-uidlist')), readdirSync(target).join(', '));

  const dovecot = await startDovecot({ users: [{ name: 'chris', password: 'dovecot-pass', maildir: target }], separator: '/' });
  try {
    const served = await readAccount({ port: dovecot.plainPort, user: 'chris', password: 'dovecot-pass' });
    const wanted = stored.filter((f) => f.path.join('/') !== 'v1.2');
    assert.deepEqual(served.map((f) => f.path.join('/')), wanted.map((f) => f.path.join('/')));
    let messages = 0;
    for (const [i, w] of wanted.entries()) {
      const s = served[i]!;
      const where = w.path.join('/');
      assert.equal(s.uidValidity, w.uidValidity, `${where}: UIDVALIDITY`);
      assert.ok(s.uidNext >= w.uidNext, `${where}: UIDNEXT ${s.uidNext} < ${w.uidNext}`);
      assert.deepEqual(s.messages.map((m) => m.uid), w.messages.map((m) => m.uid), `${where}: UIDs`);
      for (const [j, m] of w.messages.entries()) {
        const got = s.messages[j]!;
        assert.deepEqual(got.flags, m.flags, `${where} UID ${m.uid}: flags`);
        assert.equal(got.internalDate, Math.floor(m.internalDate / 1000) * 1000, `${where} UID ${m.uid}: INTERNALDATE`);
        assert.ok(got.raw.equals(crlf(m.raw)), `${where} UID ${m.uid}: bytes (${got.raw.length} vs ${m.raw.length})`);
        messages++;
      }
    }
    assert.ok(messages >= 25, `${messages} messages compared`);
    assert.doesNotMatch(dovecot.log(), /Error|Panic|Fatal/i);
  } finally {
    await dovecot.stop();
  }

  // The request is recorded with its counts and its report.
  const stats = mailroom(['Get-MailboxExportRequestStatistics', 'chris\\MailboxExport', '-IncludeReport'], env);
  assert.equal(stats.status, 0, stats.stderr);
  const total = stored.filter((f) => f.path.join('/') !== 'v1.2').reduce((n, f) => n + f.messages.length, 0);
  assert.match(stats.stdout, new RegExp(`ItemsTransferred\\s+: ${total}\\n`));
  assert.match(stats.stdout, /PercentComplete\s+: 100/);
  assert.match(stats.stdout, /工作\/報告: 3 in the folder, 3 exported to \.&XeVPXA-\.&WDFUSg-/);
  // A second export into the same folder is refused: nothing is overwritten.
  const again = mailroom(['New-MailboxExportRequest', '-Mailbox', 'chris', '-FilePath', target], env);
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /is not empty/);
  const list = mailroom(['Get-MailboxExportRequest', '-Mailbox', 'chris', '--json'], env);
  assert.equal(list.status, 0, list.stderr);
  const requests = JSON.parse(list.stdout) as { Name: string; Status: string }[];
  assert.deepEqual(requests.map((q) => [q.Name, q.Status]), [['MailboxExport', 'CompletedWithWarning'], ['MailboxExport1', 'Failed']]);
  assert.equal(mailroom(['Remove-MailboxExportRequest', 'chris\\MailboxExport1'], env).status, 0);
  assert.deepEqual((JSON.parse(mailroom(['Get-MailboxExportRequest', 'chris', '--json'], env).stdout) as { Name: string }[]).map((q) => q.Name), ['MailboxExport']);
});

/** An mboxrd reader: messages split at From_ lines, one '>' taken from quoted From lines, the flag fields read and taken out. */
function readMboxrd(file: Buffer): { raw: Buffer; status: string; xStatus: string; keywords: string; fromLine: string }[] {
  const out: { raw: Buffer; status: string; xStatus: string; keywords: string; fromLine: string }[] = [];
  const lines: Buffer[] = [];
  let start = 0;
  while (start < file.length) {
    const lf = file.indexOf(0x0a, start);
    const end = lf < 0 ? file.length : lf + 1;
    lines.push(file.subarray(start, end));
    start = end;
  }
  let current: Buffer[] | null = null;
  let fromLine = '';
  const finish = () => {
    if (!current) return;
    // The empty line before the next From_ (or the end) belongs to the mbox, not the message.
    current.pop();
    let raw = Buffer.concat(current);
    const fields: Record<string, string> = {};
    for (const name of ['Status', 'X-Status', 'X-Keywords']) {
      const at = raw.indexOf(`\n${name}: `);
      const first = raw.subarray(0, name.length + 2).toString() === `${name}: ` ? 0 : at < 0 ? -1 : at + 1;
      if (first < 0) continue;
      const end = raw.indexOf(0x0a, first) + 1;
      fields[name] = raw.subarray(first + name.length + 2, end).toString().trim();
      raw = Buffer.concat([raw.subarray(0, first), raw.subarray(end)]);
    }
    out.push({ raw, status: fields.Status ?? '', xStatus: fields['X-Status'] ?? '', keywords: fields['X-Keywords'] ?? '', fromLine });
  };
  for (const line of lines) {
    if (line.subarray(0, 5).toString() === 'From ') {
      finish();
      current = [];
      fromLine = line.toString().trim();
      continue;
    }
    let q = 0;
    while (line[q] === 0x3e) q++;
    current!.push(q > 0 && line.subarray(q, q + 5).toString() === 'From ' ? line.subarray(1) : line);
  }
  finish();
  return out;
}

test('mbox export: every folder a file whose messages, flags and dates read back; Python\'s mailbox module agrees', async () => {
  const target = join(data.path, 'export-mbox');
  const r = mailroom(['New-MailboxExportRequest', 'chris', '-FilePath', target, '-ExportFormat', 'Mbox', '-ExcludeFolders', '#DeletedItems#', '-Name', 'ToMbox'], env);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Status\s+: Completed\n/);
  for (const folder of stored) {
    const name = folder.path.join('/');
    const file = join(target, `${name}.mbox`);
    if (name === 'Deleted Items') {
      assert.ok(!existsSync(file), 'excluded by #DeletedItems#');
      continue;
    }
    const read = readMboxrd(readFileSync(file));
    assert.equal(read.length, folder.messages.length, name);
    for (const [i, m] of folder.messages.entries()) {
      const got = read[i]!;
      assert.ok(got.raw.equals(m.raw), `${name} #${i}: bytes (${got.raw.length} vs ${m.raw.length})`);
      assert.equal(got.status, m.flags.includes('\\Seen') ? 'RO' : 'O', `${name} #${i}`);
      assert.equal(got.keywords, m.flags.filter((f) => !f.startsWith('\\')).join(' '), `${name} #${i}`);
      assert.equal(got.xStatus.includes('F'), m.flags.includes('\\Flagged'));
      assert.equal(got.xStatus.includes('A'), m.flags.includes('\\Answered'));
      assert.equal(got.xStatus.includes('D'), m.flags.includes('\\Deleted'));
      // The From_ line's asctime() date, read as UTC, is the INTERNALDATE to the second.
      assert.equal(Date.parse(`${got.fromLine.slice('From MAILER-DAEMON '.length)} GMT`), Math.floor(m.internalDate / 1000) * 1000, got.fromLine);
    }
  }
  // Python's mailbox module (mboxo/mboxrd reader used by many migration scripts) sees the same.
  const py = spawnSync('python3', ['-c', `
import mailbox, json, sys
out = []
for m in mailbox.mbox(sys.argv[1]):
    out.append([m.get_flags(), m.get_from()])
print(json.dumps(out))
`, join(target, 'INBOX.mbox')], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  const parsed = JSON.parse(py.stdout) as [string, string][];
  const inbox = stored.find((f) => f.path.join('/') === 'INBOX')!;
  assert.equal(parsed.length, inbox.messages.length);
  for (const [i, [flags, from]] of parsed.entries()) {
    const m = inbox.messages[i]!;
    assert.equal(flags.includes('R'), m.flags.includes('\\Seen'), `#${i} ${flags}`);
    assert.equal(flags.includes('F'), m.flags.includes('\\Flagged'), `#${i} ${flags}`);
    assert.match(from, /^MAILER-DAEMON /);
  }
});

test('-SourceRootFolder: the folders below it become the top of the export, its own messages the Inbox', async () => {
  const target = join(data.path, 'export-root');
  const r = mailroom(['New-MailboxExportRequest', 'chris', '-FilePath', target, '-ExportFormat', 'Mbox', '-SourceRootFolder', '工作', '-Name', 'Work'], env);
  assert.equal(r.status, 0, r.stderr);
  const files = readdirSync(target, { recursive: true }).map(String).sort();
  assert.deepEqual(files, ['INBOX.mbox', '報告.mbox']);
  const work = stored.find((f) => f.path.join('/') === '工作')!;
  const report = stored.find((f) => f.path.join('/') === '工作/報告')!;
  assert.equal(readMboxrd(readFileSync(join(target, 'INBOX.mbox'))).length, work.messages.length);
  assert.deepEqual(readMboxrd(readFileSync(join(target, '報告.mbox'))).map((m) => m.raw), report.messages.map((m) => m.raw));
});
