import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CmdletSyntaxError } from '../../src/cli/types.ts';
import {
  formatSize,
  formatTimeSpan,
  formatValue,
  isBooleanLiteral,
  parseBoolean,
  parseEnum,
  parseInteger,
  parseSize,
  parseTimeSpan,
} from '../../src/cli/values.ts';
import { prng } from '../support/random.ts';


const MB = 1024 ** 2;
const GB = 1024 ** 3;

// ---------------------------------------------------------------------------------------------
// Booleans

const booleans: [string, boolean][] = [
  ['$true', true],
  ['$TRUE', true],
  ['$True', true],
  ['true', true],
  ['True', true],
  ['1', true],
  ['$false', false],
  ['$False', false],
  ['false', false],
  ['FALSE', false],
  ['0', false],
  [' $true ', true],
];
for (const [text, expected] of booleans) {
  test(`parseBoolean(${JSON.stringify(text)}) = ${expected}`, () => {
    assert.equal(parseBoolean(text), expected);
    assert.equal(isBooleanLiteral(text), true);
  });
}

for (const text of ['', 'yes', 'no', '$null', 'tru', '2', '-1', '$', 'on', 'truefalse']) {
  test(`parseBoolean rejects ${JSON.stringify(text)}`, () => {
    assert.throws(() => parseBoolean(text, { parameter: 'Enabled' }), (e: unknown) => {
      assert.ok(e instanceof CmdletSyntaxError);
      assert.match(e.message, /^-Enabled must be \$true or \$false \(got '.*'\)\.$/);
      assert.equal(e.parameter, 'Enabled');
      return true;
    });
    assert.equal(isBooleanLiteral(text), false);
  });
}

// ---------------------------------------------------------------------------------------------
// Sizes

const sizes: [string, number | 'unlimited'][] = [
  ['10MB', 10 * MB],
  ['10 MB', 10 * MB],
  ['10mb', 10 * MB],
  ['10 mB', 10 * MB],
  ['36MB', 36 * MB],
  ['36 MB (37,748,736 bytes)', 37748736],
  ['1.899 GB (2,039,480,320 bytes)', 2039480320],
  ['512 B (512 bytes)', 512],
  ['0 B (0 bytes)', 0],
  ['2 GB (2147483648 bytes)', 2147483648],
  ['1.5GB', 1.5 * GB],
  ['.5KB', 512],
  ['0.5 KB', 512],
  ['512', 512],
  ['512B', 512],
  ['512 b', 512],
  ['100KB', 102400],
  ['2TB', 2 * 1024 ** 4],
  ['0', 0],
  ['+4KB', 4096],
  ['1.25MB', 1310720],
  ['Unlimited', 'unlimited'],
  ['unlimited', 'unlimited'],
  ['  25 MB  ', 25 * MB],
];
for (const [text, expected] of sizes) {
  test(`parseSize(${JSON.stringify(text)}) = ${expected}`, () => {
    assert.equal(parseSize(text, { allowUnlimited: true }), expected);
  });
}

const badSizes: [string, RegExp][] = [
  ['-5MB', /cannot be negative/],
  ['-1', /cannot be negative/],
  ['1.1KB', /whole number of bytes/],
  ['0.1MB', /whole number of bytes/],
  ['1.5', /whole number of bytes/],
  ['10 XB', /must be a size/],
  ['10MiB', /must be a size/],
  ['MB', /must be a size/],
  ['', /must be a size/],
  ['ten MB', /must be a size/],
  ['10 MB 5', /must be a size/],
  ['1,024', /must be a size/],
  ['36 MB (37,748,73 bytes)', /must be a size/],
  ['garbage (512 bytes)', /must be a size/],
  ['-1 MB (512 bytes)', /must be a size/],
  ['99999999 TB', /too large/],
  ['Unlimited', /cannot be Unlimited/],
];
for (const [text, message] of badSizes) {
  test(`parseSize rejects ${JSON.stringify(text)}`, () => {
    assert.throws(() => parseSize(text, { parameter: 'MaxMessageSize' }), (e: unknown) => {
      assert.ok(e instanceof CmdletSyntaxError);
      assert.match(e.message, /^-MaxMessageSize /);
      assert.match(e.message, message);
      return true;
    });
  });
}

test('parseSize lists Unlimited among the choices only when it is allowed', () => {
  assert.throws(() => parseSize('x', { allowUnlimited: true }), /or Unlimited/);
  assert.throws(() => parseSize('x'), (e: unknown) => e instanceof Error && !/Unlimited/.test(e.message));
});

const formattedSizes: [number | 'unlimited', string][] = [
  [10 * MB, '10 MB (10,485,760 bytes)'],
  [512, '512 B (512 bytes)'],
  [0, '0 B (0 bytes)'],
  [1, '1 B (1 bytes)'],
  [1023, '1023 B (1,023 bytes)'],
  [1024, '1 KB (1,024 bytes)'],
  [1536, '1.5 KB (1,536 bytes)'],
  [37748736, '36 MB (37,748,736 bytes)'],
  [2039480320, '1.899 GB (2,039,480,320 bytes)'],
  [2147483648, '2 GB (2,147,483,648 bytes)'],
  [1.25 * 1024 ** 4, '1.25 TB (1,374,389,534,720 bytes)'],
  [1048575, '1023.999 KB (1,048,575 bytes)'],
  ['unlimited', 'Unlimited'],
];
for (const [bytes, expected] of formattedSizes) {
  test(`formatSize(${bytes}) = ${expected}`, () => {
    assert.equal(formatSize(bytes), expected);
  });
}

test('formatSize refuses what is not a byte count', () => {
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 60]) assert.throws(() => formatSize(bad), RangeError);
});

// ---------------------------------------------------------------------------------------------
// Time spans

const timeSpans: [string, number][] = [
  ['00:45:00', 2700],
  ['00:30:00', 1800],
  ['00:00:00', 0],
  ['23:59:59', 86399],
  ['1.00:00:00', 86400],
  ['7.00:00:00', 604800],
  ['2.03:04:05', 2 * 86400 + 3 * 3600 + 4 * 60 + 5],
  ['0:5:7', 307],
  ['01:30', 5400],
  ['1:30', 5400],
  [' 00:01:00 ', 60],
  ['10675199.02:48:05', 10675199 * 86400 + 2 * 3600 + 48 * 60 + 5],
];
for (const [text, expected] of timeSpans) {
  test(`parseTimeSpan(${JSON.stringify(text)}) = ${expected}`, () => {
    assert.equal(parseTimeSpan(text), expected);
  });
}

const badTimeSpans: [string, RegExp][] = [
  ['00:60:00', /out of range/],
  ['00:00:60', /out of range/],
  ['24:00:00', /out of range/],
  ['1.24:00:00', /out of range/],
  ['-00:30:00', /must be a time span/],
  ['30', /must be a time span/],
  ['00:30:00.5', /must be a time span/],
  ['1.00:00', /must be a time span/],
  ['00:30:00:00', /must be a time span/],
  ['1d', /must be a time span/],
  ['', /must be a time span/],
  ['a:b:c', /must be a time span/],
  ['000:30:00', /must be a time span/],
  ['99999999999999.00:00:00', /too large/],
];
for (const [text, message] of badTimeSpans) {
  test(`parseTimeSpan rejects ${JSON.stringify(text)}`, () => {
    assert.throws(() => parseTimeSpan(text, { parameter: 'ConnectionTimeout' }), (e: unknown) => {
      assert.ok(e instanceof CmdletSyntaxError);
      assert.match(e.message, /^-ConnectionTimeout /);
      assert.match(e.message, message);
      return true;
    });
  });
}

const formattedTimeSpans: [number, string][] = [
  [0, '00:00:00'],
  [1800, '00:30:00'],
  [2700, '00:45:00'],
  [86399, '23:59:59'],
  [86400, '1.00:00:00'],
  [90061, '1.01:01:01'],
  [604800, '7.00:00:00'],
];
for (const [seconds, expected] of formattedTimeSpans) {
  test(`formatTimeSpan(${seconds}) = ${expected}`, () => {
    assert.equal(formatTimeSpan(seconds), expected);
  });
}

test('formatTimeSpan refuses what is not a number of seconds', () => {
  for (const bad of [-1, 0.5, NaN]) assert.throws(() => formatTimeSpan(bad), RangeError);
});

// ---------------------------------------------------------------------------------------------
// Integers and enumerations

const integers: [string, number | 'unlimited'][] = [
  ['0', 0],
  ['42', 42],
  ['2147483647', 2147483647],
  ['-5', -5],
  ['+7', 7],
  ['-0', 0],
  [' 10 ', 10],
  ['Unlimited', 'unlimited'],
  ['UNLIMITED', 'unlimited'],
];
for (const [text, expected] of integers) {
  test(`parseInteger(${JSON.stringify(text)}) = ${expected}`, () => {
    assert.equal(parseInteger(text, { allowUnlimited: true }), expected);
  });
}

for (const text of ['', '1.5', '1,000', '10MB', 'ten', '0x10', '1e3', '99999999999999999999', 'Unlimited']) {
  test(`parseInteger rejects ${JSON.stringify(text)}`, () => {
    assert.throws(() => parseInteger(text, { parameter: 'MaxConnections' }), (e: unknown) => {
      assert.ok(e instanceof CmdletSyntaxError);
      assert.match(e.message, /^-MaxConnections /);
      return true;
    });
  });
}

const LOGIN_TYPES = ['PlainTextLogin', 'PlainTextAuthentication', 'SecureLogin'];

test('parseEnum matches case-insensitively and returns the canonical spelling', () => {
  assert.equal(parseEnum('securelogin', LOGIN_TYPES), 'SecureLogin');
  assert.equal(parseEnum('PLAINTEXTLOGIN', LOGIN_TYPES), 'PlainTextLogin');
  assert.equal(parseEnum(' SecureLogin ', LOGIN_TYPES), 'SecureLogin');
});

test('parseEnum names the allowed values', () => {
  assert.throws(
    () => parseEnum('Foo', LOGIN_TYPES, { parameter: 'LoginType' }),
    {
      name: 'CmdletSyntaxError',
      message: '-LoginType must be one of PlainTextLogin, PlainTextAuthentication, SecureLogin (got \'Foo\').',
    },
  );
});

test('error messages cut long values and escape control characters', () => {
  assert.throws(() => parseBoolean('x'.repeat(500)), (e: unknown) => e instanceof Error && e.message.length < 150);
  assert.throws(() => parseBoolean('a\u001b[2Jb'), (e: unknown) => e instanceof Error && !e.message.includes('\u001b'));
});

// ---------------------------------------------------------------------------------------------
// Format-List display

const displayed: [unknown, string][] = [
  [true, 'True'],
  [false, 'False'],
  [null, ''],
  [undefined, ''],
  [0, '0'],
  [2147483647, '2147483647'],
  ['text, with a comma', 'text, with a comma'],
  ['', ''],
  ['unlimited', 'Unlimited'],
  [[], '{}'],
  [['a'], '{a}'],
  [['mail.contoso.com:993:SSL', 'mail.contoso.com:143:TLS'], '{mail.contoso.com:993:SSL, mail.contoso.com:143:TLS}'],
  [[true, 1, null], '{True, 1, }'],
  [new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), '2024-01-02T03:04:05.000Z'],
];
for (const [value, expected] of displayed) {
  test(`formatValue(${JSON.stringify(value)}) = ${JSON.stringify(expected)}`, () => {
    assert.equal(formatValue(value), expected);
  });
}

// ---------------------------------------------------------------------------------------------
// Properties

const FUZZ_ALPHABET = ['0', '1', '9', '.', ',', ':', ' ', '-', '+', '(', ')', 'b', 'B', 'k', 'M', 'G', 'T', 'y', 't', 'e', 's', '$', 'u', 'n', 'l', 'i', 'm', 'd', 'x'];

function randomText(next: () => number, maxLength: number): string {
  let s = '';
  const length = Math.floor(next() * maxLength);
  for (let i = 0; i < length; i++) s += FUZZ_ALPHABET[Math.floor(next() * FUZZ_ALPHABET.length)];
  return s;
}

/** Texts that look like sizes and time spans often enough to reach the deeper checks. */
function nearMiss(next: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const n = (): string => String(Math.floor(next() * 100));
  return pick([
    () => `${n()}${pick(['', '.', '.5', '.25'])}${pick(['', ' ', '  '])}${pick(['B', 'kb', 'MB', 'gB', 'TB', 'XB', ''])}`,
    () => `${n()} MB (${n()},${n()} bytes)`,
    () => `${pick(['', '1.', '-1.'])}${n()}:${n()}${pick(['', `:${n()}`])}`,
    () => randomText(next, 16),
  ])();
}

test('parsers either return or throw CmdletSyntaxError, whatever the text', () => {
  const next = prng(0x5eed);
  const parsers: ((text: string) => unknown)[] = [
    (t) => parseBoolean(t),
    (t) => parseSize(t, { allowUnlimited: next() < 0.5 }),
    (t) => parseTimeSpan(t),
    (t) => parseInteger(t, { allowUnlimited: true }),
    (t) => parseEnum(t, LOGIN_TYPES),
  ];
  for (let i = 0; i < 3000; i++) {
    const text = nearMiss(next);
    for (const parse of parsers) {
      try {
        parse(text);
      } catch (e) {
        assert.ok(e instanceof CmdletSyntaxError, `${JSON.stringify(text)} threw ${String(e)}`);
      }
    }
  }
});

test('parseSize(formatSize(n)) === n', () => {
  const next = prng(42);
  for (let i = 0; i < 3000; i++) {
    // Spread over every unit: from bytes up to the safe-integer limit.
    const n = Math.floor(next() * 2 ** Math.floor(next() * 53));
    assert.equal(parseSize(formatSize(n)), n, formatSize(n));
  }
  assert.equal(parseSize(formatSize('unlimited'), { allowUnlimited: true }), 'unlimited');
});

test('parseSize of a whole number of a unit gives that many of the unit', () => {
  const next = prng(7);
  const units: [string, number][] = [['B', 1], ['KB', 1024], ['MB', MB], ['GB', GB], ['TB', 1024 ** 4]];
  for (let i = 0; i < 2000; i++) {
    const [unit, factor] = units[Math.floor(next() * units.length)]!;
    const count = Math.floor(next() * 4096);
    assert.equal(parseSize(`${count}${unit}`), count * factor);
    assert.equal(parseSize(`${count} ${unit.toLowerCase()}`), count * factor);
  }
});

test('parseTimeSpan(formatTimeSpan(s)) === s', () => {
  const next = prng(99);
  for (let i = 0; i < 3000; i++) {
    const s = Math.floor(next() * 10 ** Math.floor(next() * 10));
    assert.equal(parseTimeSpan(formatTimeSpan(s)), s, formatTimeSpan(s));
  }
});
