// A text/plain part that is its own bytes (7bit or 8bit, US-ASCII or UTF-8) is not copied into
// the full-text index's stored text: SEARCH checks the message's bytes for it. Which parts
// qualify (table), that index.db really leaves them out, and that searches find the same as a
// plain case-folded substring test (random strings, both ways a search can go).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractSearchText, scanMessage } from '../../src/mime/index.ts';
import { INLINE_BLOB_LIMIT, SqliteMailStore } from '../../src/store/sqlite/engine.ts';
import { prng } from '../support/random.ts';

const single = (headers: string, body: string | Buffer) =>
  Buffer.concat([Buffer.from(`Subject: s\r\nMIME-Version: 1.0\r\n${headers}\r\n`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);

test('which parts are checked in the message itself', () => {
  const alternative = Buffer.from(
    'Subject: alt\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n' +
      '--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain part 會議\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Html part</p>\r\n--b--\r\n',
  );
  const cases: [string, Buffer, boolean][] = [
    ['7bit US-ASCII', single('Content-Type: text/plain; charset=us-ascii\r\n', 'Hello World\r\n'), true],
    ['no Content-Type at all', Buffer.from('Subject: s\r\n\r\nHello\r\n'), true],
    ['8bit UTF-8 with Chinese', single('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n', '預算 Émile\r\n'), true],
    ['quoted-printable', single('Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n', 'caf=C3=A9\r\n'), false],
    ['base64', single('Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n', 'SGVsbG8=\r\n'), false],
    ['HTML', single('Content-Type: text/html\r\n', '<b>Hello</b>\r\n'), false],
    ['Latin-1 8bit', single('Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0d, 0x0a])), false],
    ['UTF-8 label on bytes that are not UTF-8', single('Content-Type: text/plain; charset=utf-8\r\n', Buffer.from([0x61, 0xff, 0x62])), false],
    ['a Kelvin sign (lower case is ASCII k)', single('Content-Type: text/plain; charset=utf-8\r\n', '300 \u212A\r\n'), false],
    ['format=flowed (soft breaks undone)', single('Content-Type: text/plain; format=flowed\r\n', 'one \r\ntwo\r\n'), false],
    ['the plain part of multipart/alternative', alternative, true],
  ];
  for (const [name, raw, expected] of cases) {
    const root = scanMessage(raw);
    const { body, verbatim } = extractSearchText(raw, root);
    assert.equal(verbatim !== null, expected, name);
    if (verbatim) {
      // The piece of the text and the bytes of the message are the same thing.
      assert.equal(body.slice(verbatim.offset, verbatim.offset + verbatim.length), raw.subarray(verbatim.start, verbatim.end).toString('utf8'), name);
    }
  }
});

describe('searching messages whose plain text is checked in the message', () => {
  let folder: string;
  let stores: [string, SqliteMailStore][];
  const uids: number[] = [];
  // Mixed case, accents, Greek (its final sigma), Chinese, and a line break inside.
  const WORDS = ['Budget', 'MEETING', 'Émile', 'Zoë', 'ΣΟΦΟΣ', 'σοφός', '會議', '預算案', 'naïve', 'Straße', 'Q4', 'x-ray', '50%_off', 'a\\b', 'end.\r\nNext'];
  const bodies: string[] = [];
  /** The header fields of message i after Subject and MIME-Version (see single()). */
  const headersOf = (i: number) => (i % 3 === 0 ? 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n' : 'Content-Type: text/plain; charset=utf-8\r\n');

  before(async () => {
    folder = mkdtempSync(join(tmpdir(), 'mailroom-verbatim-'));
    const random = prng(777);
    for (let i = 0; i < 40; i++) {
      bodies.push(`${Array.from({ length: 30 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ')}\r\n`);
    }
    // One store answers text keys through the index, the other message by message.
    stores = [];
    for (const [name, textScanLimit] of [['index', -1], ['per message', 1_000_000]] as const) {
      const store = await SqliteMailStore.open(join(folder, name), { textScanLimit });
      await store.provisionMailbox('v', 'en-US');
      const inbox = (await store.folder('v', 'INBOX'))!.id;
      for (const [i, body] of bodies.entries()) {
        const raw = single(headersOf(i), i === 7 ? `${body}${'padding line\r\n'.repeat(INLINE_BLOB_LIMIT / 14 + 10)}` : body);
        const { uid } = await store.append(inbox, { raw });
        if (name === 'index') uids.push(uid);
      }
      stores.push([name, store]);
    }
  });

  after(async () => {
    for (const [, store] of stores) await store.close();
    rmSync(folder, { recursive: true, force: true });
  });

  test('index.db keeps no copy of those parts; a message kept as a file keeps its text', async () => {
    const [, store] = stores[0]!;
    const inbox = (await store.folder('v', 'INBOX'))!.id;
    await store.search(inbox, { type: 'body', value: 'budget' }); // waits for the indexer
    const db = new Database(join(folder, 'index', 'index.db'), { readonly: true });
    try {
      const rows = db.prepare(`SELECT id, length(body) AS kept, raw_start, raw_end FROM message_text ORDER BY id`).all() as { kept: number; raw_start: number | null; raw_end: number | null }[];
      assert.equal(rows.length, bodies.length);
      for (const [i, r] of rows.entries()) {
        if (i === 7) {
          assert.equal(r.raw_start, null, 'a message over INLINE_BLOB_LIMIT is a file: its text stays in index.db');
          assert.ok(r.kept > INLINE_BLOB_LIMIT);
        } else {
          assert.ok(r.raw_start !== null && r.raw_end! > r.raw_start, `message ${i}`);
          assert.equal(r.kept, 0, `message ${i}: nothing of its body copied`);
        }
      }
    } finally {
      db.close();
    }
  });

  test('a search string too long for SQLite\'s LIKE is still checked against the message', async () => {
    const [, store] = stores[0]!;
    const inbox = (await store.folder('v', 'INBOX'))!.id;
    const long = 'Abc '.repeat(3000);
    const { uid } = await store.append(inbox, { raw: single('Content-Type: text/plain\r\n', `${long}\r\n`) });
    assert.deepEqual(await store.search(inbox, { type: 'body', value: long.trim().toUpperCase() }), [uid]);
    assert.deepEqual(await store.search(inbox, { type: 'body', value: `${long.trim()}x` }), []);
    await store.expunge(inbox, [uid]);
  });

  test('random strings cut from the bodies, in random case: the same answers as a plain test', async () => {
    const random = prng(4711);
    const fold = (s: string) => s.toLowerCase();
    for (let n = 0; n < 200; n++) {
      const body = bodies[Math.floor(random() * bodies.length)]!;
      const chars = [...body];
      const from = Math.floor(random() * (chars.length - 1));
      let needle = chars.slice(from, from + 1 + Math.floor(random() * 12)).join('');
      needle = [...needle].map((c) => (random() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
      if (needle.trim() === '' || /[\r\n]/.test(needle)) continue;
      const inBody = (i: number) => fold(bodies[i]!).includes(fold(needle));
      // TEXT looks in the header fields too, each decoded as a "Name: value" line.
      const inHeader = (i: number) => fold(`Subject: s\nMIME-Version: 1.0\n${headersOf(i).replace(/\r\n/g, '\n')}`).includes(fold(needle));
      for (const [name, store] of stores) {
        const inbox = (await store.folder('v', 'INBOX'))!.id;
        for (const type of ['body', 'text'] as const) {
          const expected = uids.filter((_, i) => inBody(i) || (type === 'text' && inHeader(i)));
          assert.deepEqual(await store.search(inbox, { type, value: needle }), expected, `${name} ${type.toUpperCase()} ${JSON.stringify(needle)}`);
        }
      }
    }
  });
});
