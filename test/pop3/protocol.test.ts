// The POP3 command parser: a table of lines and what they parse to, and a seeded fuzz run that
// checks it never throws and that what it accepts is well formed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KNOWN_KEYWORDS, parseCommand, type ParseResult } from '../../src/pop3/protocol.ts';
import { prng as random } from '../support/random.ts';

const parse = (line: string | Buffer) => parseCommand(Buffer.isBuffer(line) ? line : Buffer.from(line, 'latin1'));

function ok(result: ParseResult): { name: string; args?: number[]; text?: string | null } {
  assert.ok(result.ok, `expected a command, got ${JSON.stringify(result)}`);
  const c = result.command;
  return 'args' in c ? { name: c.name, args: c.args } : { name: c.name, text: c.text === null ? null : c.text.toString('latin1') };
}

describe('parseCommand', () => {
  const accepted: [string, { name: string; args?: number[]; text?: string | null }][] = [
    ['STAT', { name: 'STAT', args: [] }],
    ['stat', { name: 'STAT', args: [] }],
    ['LIST', { name: 'LIST', args: [] }],
    ['LIST 3', { name: 'LIST', args: [3] }],
    ['list 007', { name: 'LIST', args: [7] }],
    ['LIST 3 ', { name: 'LIST', args: [3] }], // a trailing space some clients send
    ['RETR 1', { name: 'RETR', args: [1] }],
    ['RETR 0', { name: 'RETR', args: [0] }], // syntactically a number; no such message later
    ['DELE 12', { name: 'DELE', args: [12] }],
    ['TOP 1 0', { name: 'TOP', args: [1, 0] }],
    ['TOP 2  10', { name: 'TOP', args: [2, 10] }],
    ['TOP 1 99999999999999999999', { name: 'TOP', args: [1, Number.MAX_SAFE_INTEGER] }],
    ['UIDL', { name: 'UIDL', args: [] }],
    ['UIDL 4', { name: 'UIDL', args: [4] }],
    ['NOOP', { name: 'NOOP', args: [] }],
    ['RSET', { name: 'RSET', args: [] }],
    ['QUIT', { name: 'QUIT', args: [] }],
    ['CAPA', { name: 'CAPA', args: [] }],
    ['UTF8', { name: 'UTF8', args: [] }],
    ['STLS', { name: 'STLS', args: [] }],
    ['USER alice', { name: 'USER', text: 'alice' }],
    ['PASS with  two spaces ', { name: 'PASS', text: 'with  two spaces ' }],
    ['PASS', { name: 'PASS', text: null }],
    ['AUTH PLAIN =', { name: 'AUTH', text: 'PLAIN =' }],
  ];
  for (const [line, expected] of accepted) {
    test(`accepts ${JSON.stringify(line)}`, () => assert.deepEqual(ok(parse(line)), expected));
  }

  const refused: [string, 'unknown' | 'syntax', string][] = [
    ['', 'unknown', 'Unknown command.'],
    ['XYZZY', 'unknown', 'Unknown command.'],
    ['LAST', 'unknown', 'Unknown command.'],
    ['APOP alice 0123456789abcdef', 'unknown', 'Unknown command.'],
    ['RETR', 'syntax', 'Use RETR <message number>.'],
    ['RETR one', 'syntax', 'Use RETR <message number>.'],
    ['RETR -1', 'syntax', 'Use RETR <message number>.'],
    ['RETR +1', 'syntax', 'Use RETR <message number>.'],
    ['RETR 1 2', 'syntax', 'Use RETR <message number>.'],
    ['RETR 1.5', 'syntax', 'Use RETR <message number>.'],
    ['DELE', 'syntax', 'Use DELE <message number>.'],
    ['TOP 1', 'syntax', 'Use TOP <message number> <number of lines>.'],
    ['TOP 1 -3', 'syntax', 'Use TOP <message number> <number of lines>.'],
    ['TOP 1 2 3', 'syntax', 'Use TOP <message number> <number of lines>.'],
    ['LIST 1 2', 'syntax', 'Use LIST or LIST <message number>.'],
    ['UIDL x', 'syntax', 'Use UIDL or UIDL <message number>.'],
    ['STAT 1', 'syntax', 'STAT takes no arguments.'],
    ['QUIT now', 'syntax', 'QUIT takes no arguments.'],
    ['LIST 1\x002', 'syntax', 'Use LIST or LIST <message number>.'],
  ];
  for (const [line, error, message] of refused) {
    test(`refuses ${JSON.stringify(line)} (${error})`, () => {
      const r = parse(line);
      assert.ok(!r.ok);
      assert.equal(r.error, error);
      assert.equal(r.message, message);
    });
  }

  test('an unknown keyword is shown only when it is printable', () => {
    const r = parse(Buffer.from([0xff, 0xfe, 0x41]));
    assert.ok(!r.ok);
    assert.equal(r.keyword, '');
  });
});


test('fuzz: 20,000 generated lines never throw, and accepted commands are well formed', () => {
  const seed = Number(process.env.POP3_FUZZ_SEED ?? 1939);
  const rnd = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const keywords = [...KNOWN_KEYWORDS, 'LAST', 'APOP', 'XTND', 'retr', 'ToP', ''];
  const tokens = ['1', '0', '007', '-1', '+2', '1.5', 'x', '99999999999999999999999', '', ' ', '\t', '\x00', '\xff', '..', '*'];
  for (let i = 0; i < 20_000; i++) {
    let line: Buffer;
    if (rnd() < 0.2) {
      line = Buffer.from(Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256)));
    } else {
      const parts = [pick(keywords)];
      const n = Math.floor(rnd() * 4);
      for (let k = 0; k < n; k++) parts.push(pick(tokens));
      line = Buffer.from(parts.join(rnd() < 0.8 ? ' ' : '  '), 'latin1');
    }
    const r = parseCommand(line);
    const where = `seed ${seed}, line ${i}: ${JSON.stringify(line.toString('latin1'))}`;
    if (!r.ok) {
      assert.ok(r.message.length > 0, where);
      assert.match(r.keyword, /^[\x21-\x7e]{0,8}$/, where);
      continue;
    }
    assert.ok(KNOWN_KEYWORDS.has(r.command.name), where);
    if ('args' in r.command) {
      assert.ok(r.command.args.length <= 2, where);
      for (const n of r.command.args) assert.ok(Number.isSafeInteger(n) && n >= 0, where);
    }
  }
});
