// The mbox and Maildir++ writers (pure): table tests of each form, and properties of the
// streaming mboxrd quoting (any chunking gives the same bytes; unquoting gives the message back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asctime, escapeMboxrd, flagFields, flagHeaderLines, fromLine, headerEnd, MboxrdEscaper } from '../../src/migration/formats/mbox-writer.ts';
import {
  KeywordLetters, keywordsText, maildirBaseName, maildirFolderDir, maildirInfo, VirtualSize,
} from '../../src/migration/formats/maildir-writer.ts';
import { maildirFolderLevels, parseDovecotKeywords } from '../../src/migration/formats/maildir.ts';
import { pick, prng, randomInt } from '../support/random.ts';

/** Reference mboxrd reader for one message body: drops one '>' from every `>+From ` line. */
function unquote(text: Buffer): Buffer {
  const out: Buffer[] = [];
  let start = 0;
  while (start < text.length) {
    const lf = text.indexOf(0x0a, start);
    const end = lf < 0 ? text.length : lf + 1;
    const line = text.subarray(start, end);
    let q = 0;
    while (line[q] === 0x3e) q++;
    out.push(q > 0 && line.subarray(q, q + 5).toString('latin1') === 'From ' ? line.subarray(1) : line);
    start = end;
  }
  return Buffer.concat(out);
}

test('mboxrd quoting: a table of lines', () => {
  const cases: [string, string][] = [
    ['From here\n', '>From here\n'],
    ['>From here\n', '>>From here\n'],
    ['>>>From x\r\n', '>>>>From x\r\n'],
    ['a\nFrom b\nFrom\n', 'a\n>From b\nFrom\n'],
    ['From', 'From'],
    ['Fro', 'Fro'],
    ['>From', '>From'],
    ['x From y\n', 'x From y\n'],
    ['>x\n>\n>>\nFromage\n', '>x\n>\n>>\nFromage\n'],
    ['\n\nFrom \n', '\n\n>From \n'],
    ['from x\n', 'from x\n'],
    ['', ''],
  ];
  for (const [input, expected] of cases) assert.equal(escapeMboxrd(Buffer.from(input)).toString(), expected, JSON.stringify(input));
});

test('mboxrd quoting: chunking never changes the output, and unquoting gives the message back (property, seeded)', () => {
  const seed = 0x6d626f78;
  const random = prng(seed);
  const pieces = ['From ', '>', '>>From ', 'From', '\n', '\r\n', 'x', ' ', 'Fro', 'm ', 'F', 'text line', '\u00e9'];
  for (let run = 0; run < 2000; run++) {
    const message = Buffer.from(Array.from({ length: randomInt(random, 40) }, () => pick(random, pieces)).join(''));
    const whole = escapeMboxrd(message);
    const e = new MboxrdEscaper();
    const parts: Buffer[] = [];
    for (let i = 0; i < message.length;) {
      const n = 1 + randomInt(random, 7);
      parts.push(e.push(message.subarray(i, i + n)));
      i += n;
    }
    parts.push(e.end());
    assert.deepEqual(Buffer.concat(parts), whole, `seed ${seed} run ${run}: ${JSON.stringify(message.toString())}`);
    assert.deepEqual(unquote(whole), message, `seed ${seed} run ${run}`);
    // No line of the output is an unquoted From line: a reader cannot split the message.
    assert.ok(!whole.toString('latin1').split('\n').some((l) => l.startsWith('From ')), `seed ${seed} run ${run}`);
  }
});

test('From_ line, flag fields and where they go', () => {
  assert.equal(asctime(new Date(Date.UTC(2026, 10, 5, 8, 0, 7))), 'Thu Nov  5 08:00:07 2026');
  assert.equal(fromLine(new Date(Date.UTC(2026, 11, 24, 23, 59, 59))), 'From MAILER-DAEMON Thu Dec 24 23:59:59 2026\n');
  assert.deepEqual(flagFields([]), { status: 'O', xStatus: '', keywords: [] });
  assert.deepEqual(flagFields(['\\Seen', '\\Answered', '\\Flagged', '\\Draft', '\\Deleted', '$Forwarded', 'Work']),
    { status: 'RO', xStatus: 'AFTD', keywords: ['$Forwarded', 'Work'] });
  assert.equal(flagHeaderLines(['\\Seen', 'a'], '\r\n'), 'Status: RO\r\nX-Keywords: a\r\n');
  assert.equal(flagHeaderLines([], '\n'), 'Status: O\n');
  assert.deepEqual(headerEnd(Buffer.from('A: b\r\nC: d\r\n\r\nbody')), { offset: 12, eol: '\r\n' });
  assert.deepEqual(headerEnd(Buffer.from('A: b\n\nbody')), { offset: 5, eol: '\n' });
  assert.deepEqual(headerEnd(Buffer.from('\r\nbody')), { offset: 0, eol: '\r\n' });
  assert.equal(headerEnd(Buffer.from('A: b\r\nno end')), null);
});

test('Maildir++ names, info suffixes and index files', () => {
  assert.equal(maildirFolderDir('INBOX'), '');
  assert.equal(maildirFolderDir('Sent Items'), '.Sent Items');
  assert.equal(maildirFolderDir('寄件備份'), '.&W8RO9lCZTv0-');
  assert.equal(maildirFolderDir('工作/報告'), '.&XeVPXA-.&WDFUSg-');
  assert.equal(maildirFolderDir('INBOX/Sub'), '.INBOX.Sub');
  assert.equal(maildirFolderDir('v1.2'), null);
  assert.equal(maildirFolderDir('a//b'), null);
  const letters = new KeywordLetters();
  assert.deepEqual(maildirInfo(['\\Seen', '\\Answered', '\\Flagged', '\\Draft', '\\Deleted', '\\Recent'], letters), { info: '2,DFRST', dropped: [] });
  assert.deepEqual(maildirInfo(['Work', '\\Seen'], letters), { info: '2,Sa', dropped: [] });
  assert.deepEqual(maildirInfo(['Later', 'Work'], letters), { info: '2,ab', dropped: [] });
  for (let i = 0; i < 24; i++) letters.letter(`k${i}`);
  assert.deepEqual(maildirInfo(['one-too-many', 'Work'], letters), { info: '2,a', dropped: ['one-too-many'] });
  assert.equal(keywordsText(['$Forwarded', 'Work']), '0 $Forwarded\n1 Work\n');
  // What the import side reads back.
  assert.deepEqual([...parseDovecotKeywords(keywordsText(letters.keywords)).values()], letters.keywords);
  for (const name of ['Sent Items', '寄件備份', '工作/報告', 'INBOX/Sub', 'a&b']) assert.deepEqual(maildirFolderLevels(maildirFolderDir(name)!), name.split('/'));
  assert.equal(maildirBaseName({ seconds: 1700000000, sequence: 3, pid: 42, host: 'a/b:c', size: 10, virtualSize: 12 }), '1700000000.M3P42.a\\057b\\072c,S=10,W=12');
  const v = new VirtualSize();
  for (const part of ['a\r', '\nb\n', '\n', 'c']) v.push(Buffer.from(part));
  assert.equal(v.total, 'a\r\nb\r\n\r\nc'.length);
});
