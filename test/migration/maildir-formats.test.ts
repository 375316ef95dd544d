// Maildir and Dovecot file formats: table tests and seeded property tests of the pure parsers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  flagsFromLetters, lettersFromFlags, maildirFolderLevels, parseDovecotKeywords, parseMaildirFileName, parseSubscriptions,
} from '../../src/migration/formats/maildir.ts';
import { toCrlf } from '../../src/migration/formats/line-endings.ts';
import { formatPop3Uidl, formatUidlist, parseUidlist, type UidlistEntry } from '../../src/migration/formats/dovecot-uidlist.ts';
import { specialUseByName } from '../../src/migration/formats/well-known-folders.ts';
import { placeFolder } from '../../src/migration/folder-filter.ts';
import { prng, randomInt, pick } from '../support/random.ts';

const SEED = Number(process.env.PROPERTY_SEED ?? 20261207);

describe('Maildir file names', () => {
  const cases: [string, ReturnType<typeof parseMaildirFileName>][] = [
    ['1700000000.M1P2.host,S=1234,W=1260:2,FRS', { base: '1700000000.M1P2.host,S=1234,W=1260', size: 1234, virtualSize: 1260, letters: 'FRS' }],
    ['1700000000.M1P2.host:2,', { base: '1700000000.M1P2.host', letters: '' }],
    ['1700000000.M1P2.host', { base: '1700000000.M1P2.host', letters: '' }],
    ['1700000000.M1P2.host!2,ST', { base: '1700000000.M1P2.host', letters: 'ST' }],
    ['x,S=12,W=:2,SS', { base: 'x,S=12,W=', size: 12, letters: 'S' }],
    ['x,S=1e3:2,a', { base: 'x,S=1e3', letters: 'a' }],
    ['a:2,b:2,Sa', { base: 'a:2,b', letters: 'Sa' }],
  ];
  for (const [name, expected] of cases) {
    test(name, () => assert.deepEqual(parseMaildirFileName(name), expected));
  }

  test('info letters: standard flags and keywords by index', () => {
    const keywords = new Map([[0, '$Forwarded'], [1, 'Work'], [3, '$Label1']]);
    assert.deepEqual(flagsFromLetters('DFPRSTabcd', keywords), ['\\Draft', '\\Flagged', '$Forwarded', '\\Answered', '\\Seen', '\\Deleted', '$Forwarded', 'Work', '$Label1']);
    assert.deepEqual(flagsFromLetters('XZz?', keywords), []);
  });

  test('property: letters written from flags read back as the same flags', () => {
    const random = prng(SEED);
    const pool = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft', 'Work', '工作', '$Label1', 'Later'];
    const index = new Map(pool.slice(5).map((k, i) => [k, i]));
    const keywords = new Map([...index].map(([k, i]) => [i, k]));
    for (let run = 0; run < 500; run++) {
      const flags = pool.filter(() => random() < 0.4);
      const back = flagsFromLetters(lettersFromFlags(flags, index), keywords);
      assert.deepEqual([...back].sort(), [...flags].sort(), `seed ${SEED} run ${run}`);
    }
  });

  test('dovecot-keywords', () => {
    assert.deepEqual([...parseDovecotKeywords('0 $Forwarded\n1 Work\n2 工作\nbad line\n27 TooHigh\n3 \n-1 Neg\n')], [[0, '$Forwarded'], [1, 'Work'], [2, '工作']]);
  });
});

describe('Maildir++ folder names and subscriptions', () => {
  const cases: [string, string[] | null][] = [
    ['.Sent', ['Sent']],
    ['.Parent.Child', ['Parent', 'Child']],
    ['.&W8RO9lCZTv0-', ['寄件備份']],
    ['.&XeVPXA-.&WDFUSg-', ['工作', '報告']],
    ['.INBOX.Sub', ['INBOX', 'Sub']],
    ['Sent', null], ['.', null], ['..', null], ['.a..b', null], ['.&bad', null],
  ];
  for (const [dir, levels] of cases) test(dir, () => assert.deepEqual(maildirFolderLevels(dir), levels));

  test('subscriptions, version 2 and the old form', () => {
    assert.deepEqual(parseSubscriptions('V\t2\n\nSent\n工作\t報告\nINBOX\n'), [['Sent'], ['工作', '報告'], ['INBOX']]);
    assert.deepEqual(parseSubscriptions('Sent\r\n&XeVPXA-.&WDFUSg-\n\n'), [['Sent'], ['工作', '報告']]);
  });

  test('special use by name', () => {
    assert.equal(specialUseByName(['Sent']), 'sent');
    assert.equal(specialUseByName(['寄件備份']), 'sent');
    assert.equal(specialUseByName(['junk']), 'junk');
    assert.equal(specialUseByName(['Work', 'Sent']), undefined);
    assert.equal(specialUseByName(['Reports']), undefined);
  });
});

describe('dovecot-uidlist', () => {
  test('version 3 with extension fields, problems reported and skipped', () => {
    const text = [
      '3 V1700000123 N45 G0a1b2c3d',
      '1 :1700000001.M1P1.host,S=100,W=103:2,S',
      '4 W2060 P0000000465766C3B G9f8e :1700000002.M2P1.host,S=2000',
      'x :bad',
      '3 :below-previous',
      '9 no-colon',
      '',
      '44 :1700000003.M3P1.host',
    ].join('\n');
    const list = parseUidlist(text)!;
    assert.deepEqual([list.version, list.uidValidity, list.nextUid], [3, 1700000123, 45]);
    assert.deepEqual(list.entries, [
      { uid: 1, base: '1700000001.M1P1.host,S=100,W=103' },
      { uid: 4, base: '1700000002.M2P1.host,S=2000', pop3Uidl: '0000000465766C3B', virtualSize: 2060, guid: '9f8e' },
      { uid: 44, base: '1700000003.M3P1.host' },
    ]);
    assert.deepEqual(list.problems.map((p) => p.line), [4, 5, 6]);
  });

  test('version 1', () => {
    const list = parseUidlist('1 1234 7\n2 1.host:2,RS\n6 2.host\n')!;
    assert.deepEqual([list.uidValidity, list.nextUid, list.entries], [1234, 7, [{ uid: 2, base: '1.host' }, { uid: 6, base: '2.host' }]]);
  });

  test('headers that are not a uidlist', () => {
    for (const text of ['', '2 V1 N2', '3 N5', '3 V0 N5', '1 5', 'hello']) assert.equal(parseUidlist(text), null, JSON.stringify(text));
  });

  test('property: a written uidlist reads back; random lines never throw', () => {
    const random = prng(SEED);
    const alphabet = ['a', 'Z', '0', '9', '.', ',', '=', 'S', 'W', 'P', 'G', ':', ' ', '\t', '\r', '中', '-', '2'];
    for (let run = 0; run < 300; run++) {
      const entries: UidlistEntry[] = [];
      let uid = 0;
      for (let i = randomInt(random, 20); i > 0; i--) {
        uid += 1 + randomInt(random, 1000);
        const e: UidlistEntry = { uid, base: `${1700000000 + uid}.M${randomInt(random, 1e6)}P${i}.host,S=${randomInt(random, 1e7)}` };
        if (random() < 0.5) e.pop3Uidl = formatPop3Uidl('%08Xu%08Xv', { uid, uidValidity: 77 })!;
        if (random() < 0.5) e.virtualSize = 1 + randomInt(random, 1e7);
        if (random() < 0.3) e.guid = randomInt(random, 1e9).toString(16);
        entries.push(e);
      }
      const written = { uidValidity: 1 + randomInt(random, 0xfffffffe), nextUid: uid + 1 + randomInt(random, 5), entries };
      const back = parseUidlist(formatUidlist(written))!;
      assert.deepEqual({ uidValidity: back.uidValidity, nextUid: back.nextUid, entries: back.entries }, written, `seed ${SEED} run ${run}`);
      assert.deepEqual(back.problems, []);
      // Garbage after a valid header: every line is an entry or a problem, never an exception.
      const junk = Array.from({ length: 1 + randomInt(random, 10) }, () => Array.from({ length: randomInt(random, 30) }, () => pick(random, alphabet)).join(''));
      const parsed = parseUidlist(`3 V5 N9\n${junk.join('\n')}`)!;
      assert.ok(parsed.entries.length + parsed.problems.length <= junk.length);
      for (const e of parsed.entries) assert.ok(e.uid >= 1 && e.base.length > 0);
    }
  });
});

describe('POP3 UIDL formats', () => {
  test('Dovecot\'s default and other variables', () => {
    assert.equal(formatPop3Uidl('%08Xu%08Xv', { uid: 42, uidValidity: 1700000000 }), '0000002a6553f100');
    assert.equal(formatPop3Uidl('%u.%v', { uid: 42, uidValidity: 9 }), '42.9');
    assert.equal(formatPop3Uidl('%x08u', { uid: 255, uidValidity: 9 }), null, 'modifier after the radix is not Dovecot syntax');
    assert.equal(formatPop3Uidl('%08xu-%f', { uid: 255, uidValidity: 9, base: 'file' }), '000000ff-file');
    assert.equal(formatPop3Uidl('%g', { uid: 1, uidValidity: 1, guid: 'abc' }), 'abc');
    assert.equal(formatPop3Uidl('%m', { uid: 1, uidValidity: 1 }), null);
    assert.equal(formatPop3Uidl('100%%', { uid: 1, uidValidity: 1 }), '100%');
  });
});

describe('line ends', () => {
  test('bare LF becomes CRLF, CRLF stays', () => {
    assert.equal(toCrlf(Buffer.from('a\nb\r\nc\n\n')).toString(), 'a\r\nb\r\nc\r\n\r\n');
    assert.equal(toCrlf(Buffer.from('\n')).toString(), '\r\n');
    const same = Buffer.from('a\r\nb');
    assert.equal(toCrlf(same), same);
  });

  test('property: the result has no bare LF and only gains CRs', () => {
    const random = prng(SEED + 1);
    for (let run = 0; run < 500; run++) {
      const raw = Buffer.from(Array.from({ length: randomInt(random, 60) }, () => pick(random, [0x0a, 0x0d, 0x41, 0x20])));
      const out = toCrlf(raw);
      for (let i = 0; i < out.length; i++) if (out[i] === 0x0a) assert.equal(out[i - 1], 0x0d, `seed ${SEED + 1} run ${run}`);
      assert.deepEqual(out.filter((b) => b !== 0x0d), raw.filter((b) => b !== 0x0d));
    }
  });
});

describe('folder selection (SourceRootFolder, TargetRootFolder, IncludeFolders, ExcludeFolders)', () => {
  const roles = (prefix: string[]) => (prefix.join('/') === 'INBOX' ? 'inbox' as const : prefix.join('/') === 'Sent' ? 'sent' as const : undefined);
  const place = (path: string, selection: Parameters<typeof placeFolder>[1]) => placeFolder(path.split('/'), selection, roles)?.join('/') ?? null;
  test('table', () => {
    assert.equal(place('INBOX', {}), 'INBOX');
    assert.equal(place('工作/報告', { targetRootFolder: 'Old server' }), 'Old server/工作/報告');
    assert.equal(place('Archive/2019', { sourceRootFolder: 'Archive' }), '2019');
    assert.equal(place('Archive', { sourceRootFolder: 'archive', targetRootFolder: 'Imported' }), 'Imported');
    assert.equal(place('Archive', { sourceRootFolder: 'Archive' }), null);
    assert.equal(place('Sent', { sourceRootFolder: 'Archive' }), null);
    assert.equal(place('Sent', { includeFolders: ['#SentItems#'] }), 'Sent');
    assert.equal(place('INBOX/Sub', { includeFolders: ['#Inbox#/*'] }), 'INBOX/Sub');
    assert.equal(place('INBOX/Sub', { includeFolders: ['#Inbox#'] }), null);
    assert.equal(place('工作/報告', { includeFolders: ['工作/*'] }), '工作/報告');
    assert.equal(place('工作/報告', { excludeFolders: ['工作/*'] }), null);
    assert.equal(place('工作', { excludeFolders: ['工作/報告'] }), '工作');
    assert.equal(place('Trash', { excludeFolders: ['trash'] }), null);
  });
});
