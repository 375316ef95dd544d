// The import engine with a Maildir++ mail root written as Dovecot writes one (uidlist, keywords,
// subscriptions, S=/W= sizes, LF line ends, mtimes as INTERNALDATE), into a real SQLite store.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMailStore } from '../../src/store/sqlite/engine.ts';
import { MaildirSource } from '../../src/migration/maildir-source.ts';
import { importMailbox, type ImportReport } from '../../src/migration/importer.ts';
import { encodeMailboxUtf7 } from '../../src/imap/protocol/utf7.ts';
import type { MailStore } from '../../src/store/types.ts';

interface Planted {
  folder: string;
  uid?: number;
  flags: string[];
  date: Date;
  lf: string;
}

function message(n: number, extra = ''): string {
  return `From: Alice <alice@example.com>\nTo: chris@contoso.com\nSubject: message ${n}\nMessage-ID: <m${n}@example.com>\nDate: Mon, 2 Mar 2020 10:00:00 +0000\n\nBody ${n}\n${extra}`;
}

/** Writes a Maildir++ root; returns what a correct import must produce. */
function writeMailRoot(root: string): Planted[] {
  const planted: Planted[] = [];
  const folder = (dir: string, uidValidity: number | null, items: { uid?: number; letters: string; n: number; sub?: 'new' }[], keywords: string[] = []) => {
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
    if (dir !== root) writeFileSync(join(dir, 'maildirfolder'), '');
    if (keywords.length) writeFileSync(join(dir, 'dovecot-keywords'), keywords.map((k, i) => `${i} ${k}\n`).join(''));
    const lines: string[] = [];
    let last = 0;
    for (const item of items) {
      const lf = message(item.n);
      const crlfSize = Buffer.byteLength(lf.replace(/\n/g, '\r\n'));
      const base = `17000${item.n}.M${item.n}P1.mail,S=${Buffer.byteLength(lf)},W=${crlfSize}`;
      const file = join(dir, item.sub ?? 'cur', item.sub === 'new' ? base : `${base}:2,${item.letters}`);
      writeFileSync(file, lf);
      const date = new Date(Date.UTC(2020, 2, item.n, 8, 0, 0));
      utimesSync(file, date, date);
      if (item.uid !== undefined) {
        lines.push(`${item.uid} :${base}`);
        last = item.uid;
      }
      const flags: string[] = [];
      for (const c of item.letters) {
        const std: Record<string, string> = { S: '\\Seen', R: '\\Answered', F: '\\Flagged', T: '\\Deleted', D: '\\Draft', P: '$Forwarded' };
        if (std[c]) flags.push(std[c]!);
        else flags.push(keywords[c.charCodeAt(0) - 97]!);
      }
      planted.push({ folder: dir, ...(item.uid !== undefined ? { uid: item.uid } : {}), flags, date, lf });
    }
    if (uidValidity !== null) writeFileSync(join(dir, 'dovecot-uidlist'), `3 V${uidValidity} N${last + 5} G0123\n${lines.join('\n')}\n`);
  };
  folder(root, 1700000123, [{ uid: 3, letters: 'S', n: 1 }, { uid: 7, letters: 'FSab', n: 2 }, { uid: 8, letters: 'RS', n: 3 }, { letters: '', n: 4, sub: 'new' }], ['Work', '$Label1']);
  folder(join(root, '.Sent'), 1700000200, [{ uid: 1, letters: 'S', n: 5 }, { uid: 2, letters: 'S', n: 6 }]);
  folder(join(root, `.${encodeMailboxUtf7('工作')}.${encodeMailboxUtf7('報告')}`), null, [{ letters: 'S', n: 7 }, { letters: '', n: 8 }]);
  // Bad items: a file shorter than its S= says, and an empty one.
  writeFileSync(join(root, '.Sent', 'cur', '1700099.M9P1.mail,S=5000:2,S'), 'truncated\n');
  writeFileSync(join(root, '.Sent', 'cur', '1700098.M9P1.mail:2,S'), '');
  writeFileSync(join(root, 'subscriptions'), `V\t2\n\nSent\n工作\t報告\n`);
  return planted;
}

describe('import from a Maildir++ mail root', () => {
  let dir: string;
  let root: string;
  let store: MailStore;
  let first: ImportReport;
  const mailbox = 'chris';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailroom-import-'));
    root = join(dir, 'Maildir');
    writeMailRoot(root);
    store = await SqliteMailStore.open(join(dir, 'store'));
    await store.provisionMailbox(mailbox, 'en-US');
    first = await importMailbox(store, mailbox, new MaildirSource(root), { badItemLimit: 5 });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the report adds up per folder and counts the bad items', () => {
    assert.equal(first.status, 'CompletedWithWarning', first.failure);
    const byName = Object.fromEntries(first.folders.map((f) => [f.source, f]));
    assert.deepEqual(Object.keys(byName).sort(), ['INBOX', 'Sent', '工作/報告']);
    assert.deepEqual([byName.INBOX!.sourceCount, byName.INBOX!.imported, byName.INBOX!.skipped.length], [4, 4, 0]);
    assert.deepEqual([byName.Sent!.sourceCount, byName.Sent!.imported, byName.Sent!.skipped.length], [4, 2, 2]);
    assert.match(byName.Sent!.skipped.map((s) => s.reason).join('|'), /truncated: the file has 10 bytes, its name says S=5000/);
    assert.match(byName.Sent!.skipped.map((s) => s.reason).join('|'), /empty/);
    assert.ok(first.folders.every((f) => f.addsUp));
    assert.equal(first.badItems, 2);
    assert.equal(first.itemsTransferred, 8);
    assert.equal(first.messagesTotal, 10);
  });

  test('UIDVALIDITY, UIDs and UIDNEXT are kept; the message without a UID comes after UIDNEXT', async () => {
    const inbox = (await store.folder(mailbox, 'INBOX'))!;
    assert.equal(inbox.uidValidity, 1700000123);
    const messages = await store.messages(inbox.id);
    assert.deepEqual(messages.map((m) => m.uid), [3, 7, 8, 13]);
    assert.equal((await store.status(inbox.id)).uidNext, 14);
  });

  test('bytes (CRLF, as Dovecot serves them), flags, keywords, INTERNALDATE and POP3 UIDLs', async () => {
    const inbox = (await store.folder(mailbox, 'INBOX'))!;
    const [m3, m7, m8, m13] = await store.messages(inbox.id);
    assert.equal((await store.readBlob(m7!.blobId)).toString(), message(2).replace(/\n/g, '\r\n'));
    assert.deepEqual([...m7!.flags].sort(), ['$Label1', 'Work', '\\Flagged', '\\Seen']);
    assert.deepEqual(m8!.flags.sort(), ['\\Answered', '\\Seen']);
    assert.deepEqual(m13!.flags, []);
    assert.equal(m3!.internalDate.toISOString(), '2020-03-01T08:00:00.000Z');
    assert.equal(m3!.pop3Uidl, `00000003${(1700000123).toString(16)}`);
    assert.equal(m13!.pop3Uidl, undefined, 'a message without a UID at the source gets Mailroom\'s UIDL');
  });

  test('Sent goes into the mailbox\'s sent folder, renamed to the name clients know; nested folders and subscriptions', async () => {
    const folders = await store.folders(mailbox);
    const sent = folders.find((f) => f.role === 'sent')!;
    assert.equal(sent.name, 'Sent');
    assert.equal(sent.uidValidity, 1700000200);
    assert.deepEqual((await store.messages(sent.id)).map((m) => m.uid), [1, 2]);
    const report = folders.find((f) => f.name === '工作/報告')!;
    assert.ok(folders.some((f) => f.name === '工作'), 'the parent exists');
    assert.equal((await store.messages(report.id)).length, 2);
    const subs = await store.subscriptions(mailbox);
    assert.ok(subs.includes('Sent') && subs.includes('工作/報告'), subs.join(','));
  });

  test('a second run imports nothing', async () => {
    const again = await importMailbox(store, mailbox, new MaildirSource(root), { badItemLimit: 5 });
    assert.equal(again.itemsTransferred, 0);
    assert.deepEqual(again.folders.map((f) => f.alreadyImported), [3 + 1, 2, 2]);
    assert.ok(again.folders.every((f) => f.addsUp));
    assert.equal((await store.usage(mailbox)).messages, 8);
  });

  test('past BadItemLimit the import stops as Failed and keeps what it imported', async () => {
    const fresh = 'dana';
    await store.provisionMailbox(fresh, 'en-US');
    const report = await importMailbox(store, fresh, new MaildirSource(root), { badItemLimit: 1 });
    assert.equal(report.status, 'Failed');
    assert.match(report.failure!, /2 bad items exceed BadItemLimit 1/);
    assert.equal((await store.usage(fresh)).messages, report.itemsTransferred);
    assert.ok(report.itemsTransferred >= 4);
  });

  test('an import stopped mid-way resumes without duplicates', async () => {
    const fresh = 'erin';
    await store.provisionMailbox(fresh, 'en-US');
    const stop = new AbortController();
    let seen = 0;
    const partial = await importMailbox(store, fresh, new MaildirSource(root), {
      badItemLimit: 5, signal: stop.signal, onProgress: (p) => { if (++seen === 3) stop.abort(new Error('stopped by the test')); },
    });
    assert.equal(partial.status, 'Failed');
    assert.equal(partial.itemsTransferred, 3);
    const rest = await importMailbox(store, fresh, new MaildirSource(root), { badItemLimit: 5 });
    assert.equal(rest.itemsTransferred, 5);
    assert.equal((await store.usage(fresh)).messages, 8);
    const inbox = (await store.folder(fresh, 'INBOX'))!;
    assert.deepEqual((await store.messages(inbox.id)).map((m) => m.uid), [3, 7, 8, 13]);
  });

  test('into a folder that already holds mail: new UIDs, said in the report', async () => {
    const fresh = 'fay';
    await store.provisionMailbox(fresh, 'en-US');
    const inbox = (await store.folder(fresh, 'INBOX'))!;
    await store.append(inbox.id, { raw: Buffer.from('Subject: already here\r\n\r\nhi\r\n') });
    const report = await importMailbox(store, fresh, new MaildirSource(root), { badItemLimit: 5, includeFolders: ['#Inbox#'] });
    assert.equal(report.folders.length, 1);
    assert.equal(report.folders[0]!.uidsKept, false);
    assert.match(report.folders[0]!.notes.join(' '), /already held 1 messages/);
    assert.deepEqual((await store.messages(inbox.id)).map((m) => m.uid), [1, 2, 3, 4, 5]);
    assert.equal((await store.folder(fresh, 'INBOX'))!.uidValidity, inbox.uidValidity);
  });
});
