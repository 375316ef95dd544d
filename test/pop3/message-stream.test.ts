// Dot-stuffing, TOP cutting and the maildrop, as pure functions: tables, and a property test
// that any chunking of any message gives bytes a client un-stuffs back to the message.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Maildrop, uidlFor } from '../../src/pop3/maildrop.ts';
import { DotStuffer, TopCutter } from '../../src/pop3/message-stream.ts';
import type { MessageSummary } from '../../src/store/types.ts';

function stuff(message: string, chunkSizes: number[] = []): string {
  const stuffer = new DotStuffer();
  const bytes = Buffer.from(message, 'latin1');
  const out: Buffer[] = [];
  let at = 0;
  for (const size of chunkSizes) {
    out.push(stuffer.push(bytes.subarray(at, at + size)));
    at += size;
  }
  out.push(stuffer.push(bytes.subarray(at)), stuffer.finish());
  return Buffer.concat(out).toString('latin1');
}

/** What a client does with a multi-line answer (RFC 1939 §3). */
function unstuff(answer: string): string {
  assert.ok(answer.endsWith('\r\n.\r\n') || answer === '.\r\n', `no terminator in ${JSON.stringify(answer)}`);
  const body = answer === '.\r\n' ? '' : answer.slice(0, -3);
  return body.replace(/(^|\n)\./g, '$1');
}

function top(message: string, lines: number, chunk = 3): string {
  const cutter = new TopCutter(lines);
  const bytes = Buffer.from(message, 'latin1');
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length && !cutter.done; at += chunk) out.push(cutter.take(bytes.subarray(at, at + chunk)));
  return Buffer.concat(out).toString('latin1');
}

describe('DotStuffer', () => {
  const cases: [string, string][] = [
    ['Subject: x\r\n\r\nhello\r\n', 'Subject: x\r\n\r\nhello\r\n.\r\n'],
    ['.\r\n', '..\r\n.\r\n'],
    ['a\r\n.\r\nb\r\n', 'a\r\n..\r\nb\r\n.\r\n'],
    ['a\r\n..b\r\n', 'a\r\n...b\r\n.\r\n'],
    ['no line end', 'no line end\r\n.\r\n'],
    ['ends with CR\r', 'ends with CR\r\r\n.\r\n'],
    ['bare\nLF\n.dot\n', 'bare\nLF\n..dot\n\r\n.\r\n'],
    ['', '\r\n.\r\n'],
    ['a.b\r\n x.\r\n', 'a.b\r\n x.\r\n.\r\n'],
  ];
  for (const [message, expected] of cases) {
    test(`stuffs ${JSON.stringify(message)}`, () => {
      assert.equal(stuff(message), expected);
      // The same whatever the chunking: a dot right after a chunk boundary is caught too.
      for (let i = 0; i <= message.length; i++) assert.equal(stuff(message, [i]), expected, `split at ${i}`);
    });
  }

  test('returns the chunk itself when nothing needs stuffing', () => {
    const stuffer = new DotStuffer();
    const chunk = Buffer.from('plain\r\ntext\r\n');
    assert.equal(stuffer.push(chunk), chunk);
  });

  test('property: any message, any chunking, un-stuffs to the message plus at most a CRLF', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const alphabet = ['.', '.', '\r\n', '\n', '\r', 'a', ' ', '\xe9', '\x00'];
    for (let i = 0; i < 3000; i++) {
      const message = Array.from({ length: Math.floor(rnd() * 30) }, () => alphabet[Math.floor(rnd() * alphabet.length)]).join('');
      const sizes = Array.from({ length: 3 }, () => Math.floor(rnd() * 5));
      const back = unstuff(stuff(message, sizes));
      assert.equal(back, message.endsWith('\r\n') ? message : `${message}\r\n`, JSON.stringify(message));
    }
  });
});

describe('TopCutter', () => {
  const msg = 'From: a\r\nSubject: b\r\n\r\nline 1\r\nline 2\r\nline 3\r\n';
  const cases: [string, number, string][] = [
    [msg, 0, 'From: a\r\nSubject: b\r\n\r\n'],
    [msg, 1, 'From: a\r\nSubject: b\r\n\r\nline 1\r\n'],
    [msg, 2, 'From: a\r\nSubject: b\r\n\r\nline 1\r\nline 2\r\n'],
    [msg, 10, msg],
    ['From: a\r\nno blank line', 0, 'From: a\r\nno blank line'],
    ['\r\nbody only\r\n', 0, '\r\n'],
    ['H: 1\n\nbare LF body\nsecond\n', 1, 'H: 1\n\nbare LF body\n'],
    ['H: 1\r\n\r\n\r\n\r\nafter blanks\r\n', 2, 'H: 1\r\n\r\n\r\n\r\n'],
  ];
  for (const [message, lines, expected] of cases) {
    test(`TOP ${lines} of ${JSON.stringify(message)}`, () => {
      for (const chunk of [1, 2, 3, 7, 1000]) assert.equal(top(message, lines, chunk), expected, `chunks of ${chunk}`);
    });
  }
});

describe('Maildrop', () => {
  const summary = (uid: number, minute: number, size = 100 + uid): MessageSummary => ({
    uid, modseq: 1, flags: [], size, internalDate: new Date(Date.UTC(2026, 10, 1, 8, minute)), blobId: `blob${uid}`,
  });
  // UID 3 arrived first (restored, or appended with an older date); 4 and 5 at the same minute.
  const messages = [summary(1, 10), summary(2, 20), summary(3, 5), summary(4, 30), summary(5, 30)];

  test('Ascending: oldest first by received time, UID breaking ties', () => {
    const drop = Maildrop.of(messages, 1234, 'Ascending');
    assert.deepEqual([...drop.live()].map(([n, m]) => [n, m.uid]), [[1, 3], [2, 1], [3, 2], [4, 4], [5, 5]]);
  });

  test('Descending: newest first', () => {
    const drop = Maildrop.of(messages, 1234, 'Descending');
    assert.deepEqual([...drop.live()].map(([, m]) => m.uid), [5, 4, 2, 1, 3]);
  });

  test('marks, stat, unmark and the UIDs to remove', () => {
    const drop = Maildrop.of(messages, 1234, 'Ascending');
    assert.deepEqual(drop.stat(), { messages: 5, octets: 515 });
    assert.equal(drop.markDeleted(2), true);
    assert.equal(drop.markDeleted(2), false);
    assert.equal(drop.markDeleted(6), false);
    assert.equal(drop.markDeleted(0), false);
    assert.equal(drop.get(2), undefined);
    assert.equal(drop.isDeleted(2), true);
    assert.deepEqual(drop.stat(), { messages: 4, octets: 414 });
    assert.deepEqual(drop.deletedUids(), [1]);
    drop.unmarkAll();
    assert.deepEqual(drop.deletedUids(), []);
    assert.equal(drop.size, 5);
  });

  test('UIDLs are UIDVALIDITY.UID, printable and within 70 characters', () => {
    assert.equal(uidlFor(1795725118, 42), '1795725118.42');
    assert.match(uidlFor(0xffffffff, Number.MAX_SAFE_INTEGER), /^[\x21-\x7e]{1,70}$/);
    const drop = Maildrop.of(messages, 77, 'Ascending');
    assert.deepEqual([...drop.live()].map(([, m]) => m.uidl), ['77.3', '77.1', '77.2', '77.4', '77.5']);
  });

  test('a UIDL kept from an import is listed as it was; the others keep the derived form', () => {
    const imported = [{ ...summary(1, 10), pop3Uidl: '00000001654321AB' }, summary(2, 20)];
    const drop = Maildrop.of(imported, 77, 'Ascending');
    assert.deepEqual([...drop.live()].map(([, m]) => m.uidl), ['00000001654321AB', '77.2']);
  });
});
