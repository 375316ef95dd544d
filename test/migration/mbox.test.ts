// mbox: the scanner, separators, From-escaping and state fields (table and seeded property
// tests), and an mbox file imported into a real store.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  escapeFrom, formatSeparator, MboxScanner, mboxMessage, mboxState, parseSeparator, unescapeFrom, type MboxSpan,
} from '../../src/migration/formats/mbox.ts';
import { MboxSource } from '../../src/migration/mbox-source.ts';
import { importMailbox } from '../../src/migration/importer.ts';
import { SqliteMailStore } from '../../src/store/sqlite/engine.ts';
import { prng, randomInt, pick } from '../support/random.ts';

const SEED = Number(process.env.PROPERTY_SEED ?? 4155);

function scan(text: string | Buffer, chunk = 1 << 20): MboxSpan[] {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const scanner = new MboxScanner();
  const spans: MboxSpan[] = [];
  for (let i = 0; i < bytes.length; i += chunk) spans.push(...scanner.push(bytes.subarray(i, i + chunk)));
  spans.push(...scanner.finish());
  return spans;
}

const body = (bytes: Buffer, s: MboxSpan) => bytes.subarray(s.start, s.end).toString();

describe('mbox scanner', () => {
  test('messages split at From lines after an empty line; the empty line is the mbox\'s', () => {
    const text = 'From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\nline\nFrom here is body text\n\nFrom c@d Tue Jan  2 00:00:00 2024\nSubject: two\n\n>From escaped\n';
    const spans = scan(text);
    assert.deepEqual(spans.map((s) => [s.line, s.separator]), [[1, 'From a@b Mon Jan  1 00:00:00 2024'], [7, 'From c@d Tue Jan  2 00:00:00 2024']]);
    assert.deepEqual(spans.map((s) => body(Buffer.from(text), s)), ['Subject: one\n\nline\nFrom here is body text\n', 'Subject: two\n\n>From escaped\n']);
    assert.equal(spans[0]!.head.toString(), 'Subject: one\n\n');
  });

  test('CRLF files, several empty lines, no final line end, leading garbage', () => {
    const text = 'junk\r\n\r\nFrom x Mon Jan  1 00:00:00 2024\r\nA: 1\r\n\r\nb\r\n\r\n\r\nFrom y Mon Jan  1 00:00:00 2024\r\nB: 2\r\n\r\nend';
    const scanner = new MboxScanner();
    const spans = [...scanner.push(Buffer.from(text)), ...scanner.finish()];
    assert.deepEqual(spans.map((s) => body(Buffer.from(text), s)), ['A: 1\r\n\r\nb\r\n\r\n', 'B: 2\r\n\r\nend']);
    assert.deepEqual(scanner.leadingGarbage(), { end: 8 });
    assert.equal(new MboxScanner().leadingGarbage(), null);
  });

  test('an empty file has no messages', () => {
    assert.deepEqual(scan(''), []);
  });
});

describe('separators', () => {
  const cases: [string, string | null][] = [
    ['From alice@example.com Wed Dec  2 10:00:00 2020', '2020-12-02T10:00:00.000Z'],
    ['From MAILER-DAEMON Fri Jul  8 12:08:34 2011', '2011-07-08T12:08:34.000Z'],
    ['From a Wed Dec 2 10:00:00 2020 +0800', '2020-12-02T02:00:00.000Z'],
    ['From a Wed Dec 2 10:00:00 -0500 2020', '2020-12-02T15:00:00.000Z'],
    ['From a Dec 2 10:00 2020', '2020-12-02T10:00:00.000Z'],
    ['From a Wed Dec  2 10:00:00', null],
    ['From someone who wrote this', null],
    ['From a Wed Foo  2 10:00:00 2020', null],
    ['From a Wed Dec 32 10:00:00 2020', null],
    ['Frm a Wed Dec  2 10:00:00 2020', null],
  ];
  for (const [line, iso] of cases) test(line, () => assert.equal(parseSeparator(line)?.date.toISOString() ?? null, iso));

  test('property: a written separator parses back to the second', () => {
    const random = prng(SEED);
    for (let run = 0; run < 300; run++) {
      const date = new Date(Math.floor(random() * 4e12 / 1000) * 1000);
      const back = parseSeparator(formatSeparator('someone@example.com', date));
      assert.equal(back?.date.getTime(), date.getTime(), `seed ${SEED} run ${run}: ${formatSeparator('x', date)}`);
    }
  });
});

describe('From escaping', () => {
  test('table', () => {
    assert.equal(unescapeFrom(Buffer.from('>From a\n>>From b\nFrom c\n>Fromx\n'), 'mboxrd').toString(), 'From a\n>From b\nFrom c\n>Fromx\n');
    assert.equal(unescapeFrom(Buffer.from('>From a\n>>From b\n'), 'mboxo').toString(), 'From a\n>>From b\n');
    assert.equal(escapeFrom(Buffer.from('From a\n>From b\n> From c')).toString(), '>From a\n>>From b\n> From c');
  });

  test('property: mboxrd escape then unescape is the identity, and escaped text has no separator-like line', () => {
    const random = prng(SEED + 1);
    const pieces = ['From ', '>', '>From ', 'x', ' ', '\n', '\r\n', 'From', '中'];
    for (let run = 0; run < 1000; run++) {
      const original = Buffer.from(Array.from({ length: randomInt(random, 25) }, () => pick(random, pieces)).join(''));
      const escaped = escapeFrom(original);
      assert.ok(unescapeFrom(escaped, 'mboxrd').equals(original), `seed ${SEED + 1} run ${run}: ${JSON.stringify(original.toString())}`);
      for (const line of escaped.toString().split('\n')) assert.ok(!line.startsWith('From '), `escaped line ${JSON.stringify(line)}`);
    }
  });

  test('property: messages written as mboxrd scan back to the same messages, in any chunk size', () => {
    const random = prng(SEED + 2);
    const lines = ['Subject: hi', 'From someone', '>From quoted', '', 'From x Mon Jan  1 00:00:00 2024', 'text', '中文'];
    for (let run = 0; run < 200; run++) {
      const messages = Array.from({ length: 1 + randomInt(random, 5) }, () =>
        `X-N: ${run}\n\n${Array.from({ length: randomInt(random, 6) }, () => pick(random, lines)).join('\n')}\n`);
      const file = Buffer.concat(messages.map((m) => Buffer.concat([
        Buffer.from(`${formatSeparator('a@b', new Date(Date.UTC(2024, 0, 1)))}\n`), escapeFrom(Buffer.from(m)), Buffer.from('\n'),
      ])));
      const chunk = 1 + randomInt(random, 40);
      const spans = scan(file, chunk);
      assert.deepEqual(spans.map((s) => unescapeFrom(file.subarray(s.start, s.end), 'mboxrd').toString()), messages, `seed ${SEED + 2} run ${run} chunk ${chunk}`);
    }
  });
});

describe('state fields', () => {
  test('Status, X-Status, X-Keywords, X-UID, X-IMAPbase; removed from the stored message', () => {
    const head = Buffer.from('Status: RO\nX-Status: AF\nX-Keywords: Work, $Label1 工作\nX-UID: 42\nX-IMAPbase: 1700000000 50 Work\nSubject: s\n\n');
    const state = mboxState(head);
    assert.deepEqual(state, { flags: ['\\Seen', '\\Answered', '\\Flagged', 'Work', '$Label1', '工作'], uid: 42, imapBase: { uidValidity: 1700000000, uidNext: 50 }, pseudo: false });
    const raw = mboxMessage(Buffer.from('Status: RO\nSubject: s\nX-UID: 42\n  continued\n\nbody\n>From x\nStatus: stays in the body\n'), 'mboxrd');
    assert.equal(raw.toString(), 'Subject: s\r\n\r\nbody\r\nFrom x\r\nStatus: stays in the body\r\n');
    assert.equal(mboxState(Buffer.from('X-IMAP: 1 2\nSubject: DON\'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA\n\n')).pseudo, true);
  });
});

describe('import of mbox files', () => {
  let dir: string;
  let store: SqliteMailStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mailroom-mbox-'));
    store = await SqliteMailStore.open(join(dir, 'store'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a folder of mbox files: UIDs from X-IMAPbase/X-UID, flags, dates; a malformed separator is a bad item; a second run adds nothing', async () => {
    const mail = join(dir, 'mail');
    mkdirSync(join(mail, 'work'), { recursive: true });
    writeFileSync(join(mail, 'INBOX'), [
      'From MAILER-DAEMON Mon Jan  1 00:00:00 2024', 'X-IMAP: 1700000555 0000000009', 'Subject: DON\'T DELETE THIS MESSAGE -- FOLDER INTERNAL DATA', '', 'internal', '',
      'From a@example.com Tue Feb  6 07:08:09 2024', 'Subject: first', 'Message-ID: <1@x>', 'Status: RO', 'X-UID: 4', '', '>From the body', '',
      'From b@example.com Wed Feb  7 07:08:09 2024', 'Subject: second', 'X-Status: F', 'X-Keywords: Later', 'X-UID: 6', '', 'text', '',
    ].join('\n'));
    writeFileSync(join(mail, 'work', '報告'), [
      'From c@example.com Thu Feb  8 07:08:09 2024', 'Subject: report', '', 'r', '',
      'From nobody knows when', 'Subject: broken separator', '', 'x', '',
    ].join('\n'));
    writeFileSync(join(mail, '.subscriptions'), 'work/報告\n');
    await store.provisionMailbox('m', 'en-US');
    const report = await importMailbox(store, 'm', new MboxSource(mail), { badItemLimit: 1 });
    assert.equal(report.status, 'CompletedWithWarning', report.failure);
    assert.deepEqual(report.folders.map((f) => [f.source, f.sourceCount, f.imported, f.skipped.length, f.addsUp]), [['INBOX', 2, 2, 0, true], ['work/報告', 2, 1, 1, true]]);
    assert.match(report.folders[1]!.skipped[0]!.reason, /malformed separator/);
    const inbox = (await store.folder('m', 'INBOX'))!;
    assert.equal(inbox.uidValidity, 1700000555);
    const messages = await store.messages(inbox.id);
    assert.deepEqual(messages.map((m) => m.uid), [4, 6]);
    assert.equal((await store.status(inbox.id)).uidNext, 9);
    assert.deepEqual(messages.map((m) => [...m.flags].sort()), [['\\Seen'], ['Later', '\\Flagged']]);
    assert.equal(messages[0]!.internalDate.toISOString(), '2024-02-06T07:08:09.000Z');
    assert.equal((await store.readBlob(messages[0]!.blobId)).toString(), 'Subject: first\r\nMessage-ID: <1@x>\r\n\r\nFrom the body\r\n');
    assert.ok((await store.subscriptions('m')).includes('work/報告'));
    const again = await importMailbox(store, 'm', new MboxSource(mail), { badItemLimit: 1 });
    assert.equal(again.itemsTransferred, 0);
    assert.deepEqual(again.folders.map((f) => f.alreadyImported), [2, 1]);
  });
});
