// Property tests: random bytes, mutated fixtures and generated deep nesting must never make
// the engine throw, and what it produces must stay inside the message and well-formed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bodyBasic,
  bodyStructure,
  decodeEncodedWords,
  envelope,
  extractSearchText,
  MAX_DEPTH,
  MAX_PARTS,
  parseAddressList,
  parseStructured,
  scanMessage,
  sectionBytes,
  sectionRange,
  walkParts,
} from '../../src/mime/index.ts';
import type { MessagePart } from '../../src/mime/index.ts';
import { checkBody, checkEnvelope, parseImap } from './imap-grammar.ts';
import { FIXTURE_DIR } from './make-fixtures.ts';
import { prng } from '../support/random.ts';


type Rng = () => number;
const int = (rng: Rng, n: number) => Math.floor(rng() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)]!;

const fixtures = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.eml'))
  .sort()
  .map((f) => readFileSync(join(FIXTURE_DIR, f)));

/** Bytes biased toward what matters to a MIME parser: line ends, dashes, colons, quotes. */
function randomBytes(rng: Rng, length: number): Buffer {
  const alphabet = Buffer.from('\r\n\r\n--:;="\\() \tabcXYZ=?Bq0189@<>,.\x00\xff\xe4');
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = rng() < 0.7 ? alphabet[int(rng, alphabet.length)]! : int(rng, 256);
  return out;
}

function mutate(rng: Rng, input: Buffer): Buffer {
  let buf = Buffer.from(input);
  const steps = 1 + int(rng, 5);
  for (let s = 0; s < steps; s++) {
    const op = int(rng, 9);
    const at = int(rng, buf.length + 1);
    switch (op) {
      case 0: // truncate
        buf = buf.subarray(0, at);
        break;
      case 1: {
        // splice in a piece of another fixture
        const other = pick(rng, fixtures);
        const from = int(rng, other.length);
        buf = Buffer.concat([buf.subarray(0, at), other.subarray(from, from + int(rng, 400)), buf.subarray(at)]);
        break;
      }
      case 2: // flip bytes
        for (let i = 0; i < 1 + int(rng, 8) && buf.length > 0; i++) buf[int(rng, buf.length)] = int(rng, 256);
        break;
      case 3: {
        // duplicate a boundary-looking line somewhere else
        const lines = buf.toString('latin1').split('\n');
        const dashes = lines.filter((l) => l.startsWith('--'));
        if (dashes.length > 0) lines.splice(int(rng, lines.length + 1), 0, pick(rng, dashes));
        buf = Buffer.from(lines.join('\n'), 'latin1');
        break;
      }
      case 4: // delete CRs (all, or some)
        buf = Buffer.from(buf.toString('latin1').replace(/\r/g, () => (rng() < 0.5 ? '' : '\r')), 'latin1');
        break;
      case 5: // bare CRs instead of LFs
        buf = Buffer.from(buf.toString('latin1').replace(/\n/g, () => (rng() < 0.2 ? '\r' : '\n')), 'latin1');
        break;
      case 6: // delete a range
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + int(rng, 200))]);
        break;
      case 7: // random junk
        buf = Buffer.concat([buf.subarray(0, at), randomBytes(rng, int(rng, 60)), buf.subarray(at)]);
        break;
      default: {
        // a close delimiter, or a header block, where none should be
        const lines = buf.toString('latin1').split('\n');
        const dashes = lines.filter((l) => l.startsWith('--')).map((l) => l.replace(/\r$/, '') + '--\r');
        lines.splice(int(rng, lines.length + 1), 0, dashes.length > 0 && rng() < 0.5 ? pick(rng, dashes) : 'Content-Type: multipart/mixed; boundary="x"\r\n\r');
        buf = Buffer.from(lines.join('\n'), 'latin1');
      }
    }
  }
  return buf;
}

/** Nested multipart/message structures, sometimes unclosed, reusing boundaries, very deep. */
function randomNesting(rng: Rng): Buffer {
  // Mostly moderate depths; one case in five goes past MAX_DEPTH.
  const depth = rng() < 0.2 ? MAX_DEPTH - 5 + int(rng, 40) : 1 + int(rng, 20);
  const openers: string[] = [];
  const closers: string[] = [];
  for (let d = 0; d < depth; d++) {
    if (rng() < 0.3) {
      openers.push('Content-Type: message/rfc822\r\n\r\n');
      closers.push('');
    } else {
      const b = rng() < 0.2 ? 'same' : `b${d}`;
      openers.push(`Content-Type: multipart/${pick(rng, ['mixed', 'digest', 'alternative'])}; boundary="${b}"\r\n\r\npreamble\r\n--${b}\r\n`);
      closers.push(rng() < 0.7 ? `\r\n--${b}\r\n\r\nsibling ${d}\r\n--${b}--\r\n` : '');
    }
  }
  return Buffer.from('From: deep@example.com\r\n' + openers.join('') + 'Content-Type: text/plain\r\n\r\nleaf\r\n' + closers.reverse().join(''), 'latin1');
}

function checkTree(raw: Buffer, root: MessagePart): void {
  const parts = walkParts(root);
  assert.ok(parts.length <= MAX_PARTS, 'part budget');
  for (const p of parts) {
    assert.ok(p.depth <= MAX_DEPTH, 'depth limit');
    assert.ok(0 <= p.headerStart && p.headerStart <= p.headerEnd, 'header start');
    assert.equal(p.headerEnd, p.bodyStart);
    assert.ok(p.bodyStart <= p.bodyEnd && p.bodyEnd <= raw.length, 'body within the message');
    assert.equal(p.bodySize, p.bodyEnd - p.bodyStart);
    assert.ok(p.bodyLines >= 0 && p.bodyLines <= p.bodySize, 'line count');
    let previousEnd = p.bodyStart;
    for (const c of p.children) {
      assert.ok(c.headerStart >= previousEnd, 'children in order, not overlapping');
      assert.ok(c.bodyEnd <= p.bodyEnd, 'child inside parent');
      assert.equal(c.depth, p.depth + 1);
      previousEnd = c.bodyEnd;
    }
    if (p.kind === 'message') assert.equal(p.children[0]?.headerStart, p.bodyStart, 'message child starts at the body');
    if (p.kind !== 'multipart' && p.kind !== 'message') assert.equal(p.children.length, 0);
  }
}

const SECTION_WORDS = ['', 'HEADER', 'TEXT', 'MIME', 'HEADER.FIELDS (From Subject)', 'HEADER.FIELDS.NOT (Content-Type)', '1', '2', '3', '1.1', '2.1', '1.2.1', '0', '99999999999', '1.MIME', '2.HEADER', '2.TEXT', '1.1.1.1', 'BOGUS', '1.'];

function randomSection(rng: Rng): string {
  if (rng() < 0.5) return pick(rng, SECTION_WORDS);
  const path = Array.from({ length: 1 + int(rng, 4) }, () => String(1 + int(rng, 4)));
  const tail = pick(rng, ['', '.MIME', '.HEADER', '.TEXT', '.HEADER.FIELDS (To)', '.HEADER.FIELDS.NOT (To Cc)']);
  return path.join('.') + tail;
}

function exercise(raw: Buffer, rng: Rng): void {
  const root = scanMessage(raw);
  checkTree(raw, root);
  // Each case checks one UTF8=ACCEPT setting per form; the cases alternate.
  const utf8 = rng() < 0.5;
  checkBody(parseImap(bodyStructure(raw, root, { utf8Allowed: utf8 })), true);
  checkBody(parseImap(bodyBasic(raw, root, { utf8Allowed: !utf8 })), false);
  checkEnvelope(parseImap(envelope(raw, root, utf8)));
  for (let i = 0; i < 4; i++) {
    const r = sectionRange(root, raw, randomSection(rng));
    assert.ok(0 <= r.start && r.start <= r.end && r.end <= raw.length, 'section within the message');
    sectionBytes(raw, r);
  }
  const search = extractSearchText(raw, root, 4096);
  assert.ok(search.body.length <= 4096);
}

test('fuzz: random bytes, mutated fixtures, generated nesting (2,000 cases)', () => {
  const seed = Number(process.env.MIME_FUZZ_SEED ?? 20240601);
  const rng = prng(seed);
  for (let i = 0; i < 2000; i++) {
    const kind = i % 4;
    const raw = kind === 0 ? randomBytes(rng, int(rng, 1500)) : kind === 3 ? randomNesting(rng) : mutate(rng, pick(rng, fixtures));
    try {
      exercise(raw, rng);
    } catch (err) {
      assert.fail(`case ${i} (seed ${seed}, kind ${kind}) failed: ${(err as Error).stack}\ninput: ${JSON.stringify(raw.toString('latin1').slice(0, 2000))}`);
    }
  }
});

test('fuzz: header value parsers accept anything', () => {
  const rng = prng(7);
  const alphabet = '"\\()<>[]:;@,.=?* \t\r\nabcXYZ019\'%\u00e9\u4e2d';
  for (let i = 0; i < 3000; i++) {
    let s = '';
    const n = int(rng, 80);
    for (let j = 0; j < n; j++) s += alphabet[int(rng, alphabet.length)];
    if (rng() < 0.3) s = `=?${pick(rng, ['utf-8', 'big5', 'x-none', 'gb2312', 'iso-2022-jp'])}?${pick(rng, ['B', 'Q', 'x'])}?${s}?=`;
    for (const item of parseAddressList(s)) assert.ok(item !== null);
    const parsed = parseStructured(s);
    assert.equal(typeof parsed.value, 'string');
    assert.equal(typeof decodeEncodedWords(s), 'string');
  }
});
