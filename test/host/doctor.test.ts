// mailroom doctor: a healthy mailbox database reports nothing; counters, UIDNEXT, MODSEQ, quota
// usage, body references, body files and the search index broken by hand (with SQLite
// directly) are each found, repaired by --repair, and the one thing that cannot be repaired (a
// body file that is gone) is reported with a non-zero exit until it is back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteMailStore } from '../../src/store/sqlite/engine.ts';
import { eventually, mailroom, tempDataDir } from '../helpers.ts';

const MAILBOX = 'mbx-doctor';

function message(n: number, size: number): Buffer {
  const line = `word${n} `.repeat(10);
  return Buffer.from(`From: a@contoso.com\r\nSubject: doctor ${n} uniqueterm${n}x\r\nMessage-ID: <d${n}@t>\r\n\r\n${line.repeat(Math.ceil(size / line.length))}\r\n`);
}

interface Report {
  findings: { check: string; subject: string; found: string; expected: string; repaired: boolean }[];
  remaining: number;
}

function doctor(data: string, ...args: string[]): { status: number; report: Report; text: string } {
  const r = mailroom(['doctor', '--json', ...args], { MAILROOM_DATA: data });
  assert.ok(r.stdout.trim().startsWith('{'), r.stdout + r.stderr);
  return { status: r.status, report: JSON.parse(r.stdout) as Report, text: r.stdout };
}

test('doctor finds what was broken by hand, repairs it, and reports what it cannot repair', async () => {
  const data = tempDataDir();
  const folder = join(data.path, 'databases', 'Mailbox Database MAIL01');
  try {
    // A real mailbox: large and small bodies, a copy (shared body), an expunge (Recoverable Items).
    const store = await SqliteMailStore.open(folder, { textScanLimit: 0 });
    await store.provisionMailbox(MAILBOX, 'en-US');
    const inbox = (await store.folder(MAILBOX, 'INBOX'))!;
    const archive = (await store.folder(MAILBOX, 'Archive'))!;
    for (let n = 1; n <= 12; n++) await store.append(inbox.id, { raw: message(n, n % 4 === 0 ? 300_000 : 800), flags: n % 3 === 0 ? ['\\Seen'] : [] });
    await store.copy(inbox.id, [1, 4], archive.id);
    await store.expunge(inbox.id, [2]);
    // Waits for the indexer to have every message, so the index check compares settled state.
    assert.deepEqual(await store.search(inbox.id, { type: 'text', value: 'uniqueterm5x' }), [5]);
    await store.close();

    const healthy = doctor(data.path);
    assert.equal(healthy.status, 0, healthy.text);
    assert.deepEqual(healthy.report.findings, []);

    // Break it, as a bad restore or a hand edit would.
    const db = new Database(join(folder, 'mailbox.db'));
    const inboxRow = db.prepare(`SELECT * FROM folders WHERE mailbox_id = ? AND name = 'INBOX'`).get(MAILBOX) as { messages: number; unseen: number; uid_next: number; highest_modseq: number };
    const large = db.prepare(`SELECT blob_id FROM messages WHERE folder_id = ? AND uid = 8`).pluck().get(inbox.id) as string;
    const small = db.prepare(`SELECT blob_id FROM messages WHERE folder_id = ? AND uid = 3`).pluck().get(inbox.id) as string;
    const indexedId = db.prepare(`SELECT id FROM messages WHERE folder_id = ? AND uid = 5`).pluck().get(inbox.id) as number;
    db.prepare(`UPDATE folders SET messages = messages + 5, unseen = 0 WHERE mailbox_id = ? AND name = 'INBOX'`).run(MAILBOX);
    db.prepare(`UPDATE folders SET uid_next = 3, highest_modseq = 1 WHERE mailbox_id = ? AND name = 'INBOX'`).run(MAILBOX);
    db.prepare(`UPDATE usage SET bytes = 1, messages = 99 WHERE mailbox_id = ?`).run(MAILBOX);
    db.prepare(`UPDATE blobs SET refs = refs + 3 WHERE id = ?`).run(small);
    db.close();
    const index = new Database(join(folder, 'index.db'));
    index.prepare(`DELETE FROM message_text WHERE rowid = ?`).run(indexedId);
    index.close();
    const orphan = join(folder, 'blobs', 'ab', 'cd', `abcd${'0'.repeat(60)}`);
    mkdirSync(join(folder, 'blobs', 'ab', 'cd'), { recursive: true });
    writeFileSync(orphan, 'nobody refers to this');
    const largeFile = join(folder, 'blobs', large.slice(0, 2), large.slice(2, 4), large);
    const saved = join(data.path, 'saved-body');
    renameSync(largeFile, saved);

    const found = doctor(data.path);
    assert.equal(found.status, 1);
    const checks = found.report.findings.map((f) => f.check).sort();
    assert.deepEqual(checks, ['body-refs', 'counters', 'missing-body', 'orphan-body', 'quota-usage', 'text-index', 'uid-modseq', 'uid-modseq'], found.text);
    assert.ok(found.report.findings.every((f) => !f.repaired));
    const counters = found.report.findings.find((f) => f.check === 'counters')!;
    assert.match(counters.found, new RegExp(`^messages=${inboxRow.messages + 5} unseen=0 `));
    assert.match(counters.expected, new RegExp(`^messages=${inboxRow.messages} unseen=${inboxRow.unseen} `));
    assert.equal(inboxRow.messages, 11, '12 appended, 1 expunged');
    assert.match(found.report.findings.find((f) => f.check === 'missing-body')!.subject, new RegExp(`body ${large} \\(mailbox ${MAILBOX} 'INBOX' UID 8\\)`));
    // Nothing changed without --repair.
    assert.equal(doctor(data.path).report.findings.length, 8);

    // --repair is refused while a server runs on the folder (this process stands in for one).
    mkdirSync(join(data.path, 'run'), { recursive: true });
    writeFileSync(join(data.path, 'run', String(process.pid)), '{}');
    const refused = mailroom(['doctor', '--repair'], { MAILROOM_DATA: data.path });
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /A Mailroom server is running on .*stop it before doctor --repair/);
    rmSync(join(data.path, 'run'), { recursive: true });
    // A server that leaves no mark (an older version) is seen by its heartbeat in directory.db.
    const directory = new Database(join(data.path, 'directory.db'));
    directory.exec(`CREATE TABLE servers (name TEXT, heartbeat_at BIGINT, status TEXT)`);
    directory.prepare(`INSERT INTO servers VALUES ('MAIL01', ?, '{"imap4":"0.0.0.0:143"}')`).run(Date.now());
    const beating = mailroom(['doctor', '--repair'], { MAILROOM_DATA: data.path });
    assert.equal(beating.status, 1);
    assert.match(beating.stderr, /A Mailroom server is running on .* \(server MAIL01 reported in the last 5 s\)/);
    directory.prepare(`UPDATE servers SET heartbeat_at = ?`).run(Date.now() - 60_000);
    directory.close();

    const repaired = doctor(data.path, '--repair');
    assert.equal(repaired.status, 1, 'the missing body remains');
    assert.equal(repaired.report.remaining, 1);
    assert.deepEqual(repaired.report.findings.filter((f) => !f.repaired).map((f) => f.check), ['missing-body']);

    const after = new Database(join(folder, 'mailbox.db'), { readonly: true });
    const fixed = after.prepare(`SELECT * FROM folders WHERE mailbox_id = ? AND name = 'INBOX'`).get(MAILBOX) as typeof inboxRow;
    assert.equal(fixed.messages, inboxRow.messages);
    assert.equal(fixed.unseen, inboxRow.unseen);
    assert.equal(fixed.uid_next, 13, 'above UID 12, the highest used');
    assert.equal(fixed.highest_modseq, inboxRow.highest_modseq, 'the highest MODSEQ of a change in the folder');
    assert.equal(after.prepare(`SELECT refs FROM blobs WHERE id = ?`).pluck().get(small), 1);
    assert.deepEqual(after.prepare(`SELECT message_id, op FROM index_queue ORDER BY seq DESC LIMIT 1`).get(), { message_id: indexedId, op: 1 }, 'queued for the indexer');
    after.close();
    assert.ok(!existsSync(orphan), 'the orphan body file is deleted');

    // The body comes back (from a backup): nothing remains, exit 0.
    renameSync(saved, largeFile);
    const clean = doctor(data.path);
    assert.equal(clean.status, 0, clean.text);
    assert.deepEqual(clean.report.findings, []);

    // The indexer takes the queued entry when the database is next opened: the message is found again.
    const reopened = await SqliteMailStore.open(folder, { textScanLimit: 0 });
    try {
      assert.deepEqual(await reopened.search(inbox.id, { type: 'text', value: 'uniqueterm5x' }), [5]);
      await eventually(() => {
        const ix = new Database(join(folder, 'index.db'), { readonly: true });
        try {
          return ix.prepare(`SELECT count(*) FROM message_text WHERE rowid = ?`).pluck().get(indexedId) === 1;
        } finally {
          ix.close();
        }
      });
    } finally {
      await reopened.close();
    }
  } finally {
    data.cleanup();
  }
});
