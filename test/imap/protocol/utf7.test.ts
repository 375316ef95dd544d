import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import {
  decodeMailboxUtf7, encodeMailboxUtf7, isValidMailboxUtf7, mailboxNameFromWire, mailboxNameToWire,
} from '../../../src/imap/protocol/index.ts';

const oracle = (name: string) => iconv.encode(name, 'utf-7-imap').toString('latin1');

const known: [string, string][] = [
  ['INBOX', 'INBOX'],
  ['', ''],
  ['&', '&-'],
  ['a&b', 'a&-b'],
  ['~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'], // RFC 3501 §5.1.3
  ['\u5bc4\u4ef6\u5099\u4efd', '&W8RO9lCZTv0-'],
  ['\u5bc4\u4ef6\u5099\u4efd/2026', '&W8RO9lCZTv0-/2026'],
  ['\u5bc4\u4ef6\u5099\u4efd-c9776f85/2026', '&W8RO9lCZTv0--c9776f85/2026'], // the Thunderbird recording's folder
  ['Gel\u00f6schte Elemente', 'Gel&APY-schte Elemente'], // Exchange's German folder names
  ['Entw\u00fcrfe', 'Entw&APw-rfe'],
  ['\u00c9l\u00e9ments envoy\u00e9s', '&AMk-l&AOk-ments envoy&AOk-s'],
  ['\u{1F4E7} Mail', '&2D3c5w- Mail'], // astral: a surrogate pair in one run
  ['tab\there', 'tab&AAk-here'], // control characters are encoded
  ['\u00e4\u00e5', '&AOQA5Q-'], // one run, not two
];

test('known names encode and decode (RFC 3501 §5.1.3 examples, Exchange and Thunderbird names)', () => {
  for (const [name, wire] of known) {
    assert.equal(encodeMailboxUtf7(name), wire, name);
    assert.equal(decodeMailboxUtf7(wire), name, wire);
    assert.equal(oracle(name), wire, `iconv-lite agrees on ${name}`);
  }
});

test('the decoder is strict the way Dovecot is', () => {
  const invalid: [string, string][] = [
    ['&AGE-', 'printable ASCII must not be encoded ("a")'],
    ['&ACY-', '"&" must be written "&-"'],
    ['&ACA-', 'a space must not be encoded'],
    ['&AAA-', 'NUL'],
    ['&AOQ-&AOU-', 'two runs side by side are one run'],
    ['&AOQ', 'unterminated run'],
    ['&', 'lone ampersand'],
    ['&A-', 'a run too short for one character'],
    ['&AOQA-', 'half a UTF-16 unit left over'],
    ['&AOR-', 'non-zero padding bits'],
    ['&AOQ=-', 'base64 padding is not used'],
    ['&AO/k-', '"/" is "," in modified base64'],
    ['&2D0-', 'a lone high surrogate'],
    ['&3KQ-', 'a lone low surrogate'],
    ['&2D3YPQ-', 'a high surrogate followed by another high one'],
    ['caf\u00e9', '8-bit characters must be encoded'],
    ['a\tb', 'control characters must be encoded'],
    ['a\u007fb', 'DEL must be encoded'],
  ];
  for (const [wire, why] of invalid) {
    assert.equal(decodeMailboxUtf7(wire), null, `${wire}: ${why}`);
    assert.equal(isValidMailboxUtf7(wire), false, wire);
  }
  // "&-" after a run is fine: it is a literal "&", not a second run.
  assert.equal(decodeMailboxUtf7('&AOQ-&-'), '\u00e4&');
  assert.equal(decodeMailboxUtf7('&AOQ-x&AOU-'), '\u00e4x\u00e5');
});

test('lone surrogates in a name are replaced, so what is sent always decodes', () => {
  const wire = encodeMailboxUtf7('a\ud800b');
  assert.equal(decodeMailboxUtf7(wire), 'a\ufffdb');
});

test('mailboxNameFromWire / mailboxNameToWire follow the client mode (RFC 6855 §3)', () => {
  assert.equal(mailboxNameFromWire('&W8RO9lCZTv0-/2026', false), '\u5bc4\u4ef6\u5099\u4efd/2026');
  assert.equal(mailboxNameFromWire('&AGE-', false), null);
  // In UTF-8 mode "&" is an ordinary character and names are NFC.
  assert.equal(mailboxNameFromWire('&W8RO9lCZTv0-', true), '&W8RO9lCZTv0-');
  assert.equal(mailboxNameFromWire('Cafe\u0301', true), 'Caf\u00e9');
  assert.equal(mailboxNameFromWire('\u5bc4\u4ef6\u5099\u4efd', true), '\u5bc4\u4ef6\u5099\u4efd');
  assert.equal(mailboxNameFromWire('a\u0001b', true), null);
  assert.equal(mailboxNameToWire('\u5bc4\u4ef6\u5099\u4efd/2026', false), '&W8RO9lCZTv0-/2026');
  assert.equal(mailboxNameToWire('\u5bc4\u4ef6\u5099\u4efd/2026', true), '\u5bc4\u4ef6\u5099\u4efd/2026');
  // LIST patterns go through the same function; wildcards stay outside the runs.
  assert.equal(mailboxNameFromWire('&W8RO9lCZTv0-/*', false), '\u5bc4\u4ef6\u5099\u4efd/*');
});
