import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CmdletSyntaxError } from '../../src/cli/types.ts';
import { decodeWord, findGroupEnd, quoteArgument, splitCommandLine, splitTopLevel } from '../../src/cli/syntax.ts';
import { prng } from '../support/random.ts';


// Lines on which PowerShell-style splitting and bash agree: same argv either way.
const agreeWithBash: [string, string[]][] = [
  ['Set-PopSettings -LoginType SecureLogin', ['Set-PopSettings', '-LoginType', 'SecureLogin']],
  ['  Get-PopSettings   ', ['Get-PopSettings']],
  ['Set-ReceiveConnector "Client Frontend MAIL01" -Fqdn Dublin01.Contoso.com', ['Set-ReceiveConnector', 'Client Frontend MAIL01', '-Fqdn', 'Dublin01.Contoso.com']],
  ["Set-ReceiveConnector 'Client Frontend MAIL01'", ['Set-ReceiveConnector', 'Client Frontend MAIL01']],
  ['Set-ImapSettings -ExternalConnectionSettings "mail.contoso.com:993:SSL","mail.contoso.com:143:TLS"', ['Set-ImapSettings', '-ExternalConnectionSettings', 'mail.contoso.com:993:SSL,mail.contoso.com:143:TLS']],
  ["Set-PopSettings -ExternalConnectionSettings '{Dublin01.Contoso.com:995:SSL}'", ['Set-PopSettings', '-ExternalConnectionSettings', '{Dublin01.Contoso.com:995:SSL}']],
  ['Set-PopSettings -Banner "Hello, world"', ['Set-PopSettings', '-Banner', 'Hello, world']],
  ['Set-X -Name:"x y"', ['Set-X', '-Name:x y']],
  ['Set-X -Name:\'x y\'', ['Set-X', '-Name:x y']],
  ['Set-X a"b c"d', ['Set-X', 'ab cd']],
  ["Set-X 'a'\"b\"c", ['Set-X', 'abc']],
  ['Set-X -Banner ""', ['Set-X', '-Banner', '']],
  ["Set-X -Banner ''", ['Set-X', '-Banner', '']],
  ['Set-X "" ""', ['Set-X', '', '']],
  ['Set-X -MaxMessageSize 36MB', ['Set-X', '-MaxMessageSize', '36MB']],
  ['Set-X -MaxMessageSize "36 MB (37,748,736 bytes)"', ['Set-X', '-MaxMessageSize', '36 MB (37,748,736 bytes)']],
  ['Set-X -AuthenticatedConnectionTimeout 00:45:00', ['Set-X', '-AuthenticatedConnectionTimeout', '00:45:00']],
  ['Set-X -Count -5', ['Set-X', '-Count', '-5']],
  ['Set-X a,b', ['Set-X', 'a,b']],
  ['Set-X a, b', ['Set-X', 'a,', 'b']],
  ['Set-X a\tb', ['Set-X', 'a', 'b']],
  ['Set-X a@contoso.com', ['Set-X', 'a@contoso.com']],
  ['Set-X "it\'s"', ['Set-X', "it's"]],
  ['Set-X # a comment', ['Set-X']],
  ['# only a comment', []],
  ['Set-X a#b', ['Set-X', 'a#b']],
  ['', []],
];

for (const [line, expected] of agreeWithBash) {
  test(`splitCommandLine(${JSON.stringify(line)})`, () => {
    assert.deepEqual(splitCommandLine(line), expected);
  });
}

test('bash passes the same argv for the lines where the shells agree', (t) => {
  // One bash process prints every line's arguments, NUL-separated, with RS between lines.
  const script = ['f() { if [ $# -gt 0 ]; then printf "%s\\0" "$@"; fi; printf "\\036"; }', ...agreeWithBash.map(([line]) => `f ${line}`)].join('\n');
  const run = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' });
  if (run.error) {
    t.skip('bash is not available');
    return;
  }
  const lines = run.stdout.split('\x1e').slice(0, -1);
  assert.equal(lines.length, agreeWithBash.length);
  lines.forEach((out, i) => {
    const argv = out.split('\0').slice(0, -1);
    assert.deepEqual(argv, agreeWithBash[i]![1], agreeWithBash[i]![0]);
  });
});

// Lines where PowerShell's rules are followed and bash would differ.
const powerShellOnly: [string, string[]][] = [
  ['Set-ReceiveConnector "Client Frontend MAIL01" -AdvertiseClientSettings $true -Fqdn Dublin01.Contoso.com', ['Set-ReceiveConnector', 'Client Frontend MAIL01', '-AdvertiseClientSettings', '$true', '-Fqdn', 'Dublin01.Contoso.com']],
  ['Set-X -Enabled:$false', ['Set-X', '-Enabled:$false']],
  ['Set-X -Banner "$true and $(x)"', ['Set-X', '-Banner', '$true and $(x)']],
  ["Set-X 'It''s'", ['Set-X', "It's"]],
  ['Set-X "say ""hi"""', ['Set-X', 'say "hi"']],
  ['Set-X "a`"b"', ['Set-X', 'a"b']],
  ['Set-X "a``b"', ['Set-X', 'a`b']],
  ['Set-X "a`nb`tc"', ['Set-X', 'a\nb\tc']],
  ['Set-X "`u{263A}"', ['Set-X', '\u263A']],
  ['Set-X "a\\b"', ['Set-X', 'a\\b']],
  // A backslash is an ordinary character, so Windows paths survive; bash would drop it.
  ['Set-X C:\\Program Files', ['Set-X', 'C:\\Program', 'Files']],
  ['Set-X a` b', ['Set-X', 'a b']],
  ['Set-X `$true', ['Set-X', '$true']],
  ["Set-X 'a`nb'", ['Set-X', 'a`nb']],
  ['Set-PopSettings -ExternalConnectionSettings {Dublin01.Contoso.com:995:SSL}', ['Set-PopSettings', '-ExternalConnectionSettings', '{Dublin01.Contoso.com:995:SSL}']],
  ['Set-X -Names {a, b}', ['Set-X', '-Names', '{a, b}']],
  ['Set-X -Names {a,b}', ['Set-X', '-Names', '{a,b}']],
  ['Set-X -Names {"a b", \'c}\'}', ['Set-X', '-Names', '{"a b", \'c}\'}']],
  ['Set-X -Names:{a, b}', ['Set-X', '-Names:{a, b}']],
  ['Set-X -Names @("a", "b")', ['Set-X', '-Names', '@("a", "b")']],
  ['Set-Mailbox x -EmailAddresses @{Add="a@x.com"; Remove="b@x.com"}', ['Set-Mailbox', 'x', '-EmailAddresses', '@{Add="a@x.com"; Remove="b@x.com"}']],
  ['Set-X -E @{Add=@("a","b"); Remove={c}}', ['Set-X', '-E', '@{Add=@("a","b"); Remove={c}}']],
  ['Set-X a(b c)', ['Set-X', 'a(b', 'c)']],
  ['Set-X -Banner \u201CHello world\u201D', ['Set-X', '-Banner', 'Hello world']],
  ['Set-X \u2018It\u2019\u2019s\u2019', ['Set-X', 'It\u2019s']],
  ['Set-X a`\n  -B c', ['Set-X', 'a', '-B', 'c']],
  ['Set-X a`\r\n  -B c', ['Set-X', 'a', '-B', 'c']],
  ['Set-X a\u00A0b', ['Set-X', 'a', 'b']],
];

for (const [line, expected] of powerShellOnly) {
  test(`splitCommandLine(${JSON.stringify(line)}) follows PowerShell`, () => {
    assert.deepEqual(splitCommandLine(line), expected);
  });
}

const errors: [string, RegExp][] = [
  ['Set-X "abc', /no closing quote/],
  ["Set-X 'abc", /no closing quote/],
  ["Set-X 'It''s", /no closing quote/],
  ['Set-X "a`"', /no closing quote/],
  ['Set-X {a, b', /never closed/],
  ['Set-X @{Add="x"', /never closed/],
  ['Set-X @(a, b', /never closed/],
  ['Set-X {"}"', /never closed/],
  ['Set-X {a)', /does not match/],
  ['Set-X a`', /ends with a backtick/],
  ['Set-X "`u{110000}"', /hex digits/],
  ['Set-X a; Remove-X b', /one command per line/],
  ['Get-X | Format-List', /pipeline/],
];

for (const [line, message] of errors) {
  test(`splitCommandLine rejects ${JSON.stringify(line)}`, () => {
    assert.throws(() => splitCommandLine(line), (e: unknown) => {
      assert.ok(e instanceof CmdletSyntaxError);
      assert.match(e.message, message);
      return true;
    });
  });
}

test('error messages do not repeat the line, which may hold a password', () => {
  for (const line of ['Set-X -Password "hunter2', "Set-X -Password 'hunter2", 'Set-X -Password {hunter2']) {
    assert.throws(() => splitCommandLine(line), (e: unknown) => e instanceof Error && !e.message.includes('hunter2'));
  }
});

// ---------------------------------------------------------------------------------------------
// Helpers the binder uses on list values

const groupEnds: [string, number][] = [
  ['{a}', 3],
  ['{a}b', 3],
  ['@{a}', 4],
  ['@(a)', 4],
  ['{a, {b}, c}', 11],
  ['{"}"}', 5],
  ["{'}'}", 5],
  ["{O'Brien}", 9],
  ['{a`}}', 5],
  ['{a', -1],
  ['{"a}', -1],
];
for (const [text, end] of groupEnds) {
  test(`findGroupEnd(${JSON.stringify(text)}) = ${end}`, () => {
    assert.equal(findGroupEnd(text, 0), end);
  });
}

const splits: [string, string, string[]][] = [
  ['a,b,c', ',', ['a', 'b', 'c']],
  ['a, b', ',', ['a', ' b']],
  ['"a,b",c', ',', ['"a,b"', 'c']],
  ["'a,b',c", ',', ["'a,b'", 'c']],
  ["O'Brien,c", ',', ["O'Brien", 'c']],
  ['@("a","b"),c', ',', ['@("a","b")', 'c']],
  ['Add="a","b"; Remove="c"', ';', ['Add="a","b"', ' Remove="c"']],
  ['a`,b,c', ',', ['a`,b', 'c']],
  ['', ',', ['']],
  ['a,', ',', ['a', '']],
];
for (const [text, separators, expected] of splits) {
  test(`splitTopLevel(${JSON.stringify(text)}, ${JSON.stringify(separators)})`, () => {
    assert.deepEqual(splitTopLevel(text, separators), expected);
  });
}

const words: [string, string][] = [
  ['abc', 'abc'],
  ['"a b"', 'a b'],
  ["'It''s'", "It's"],
  ["O'Brien@contoso.com", "O'Brien@contoso.com"],
  ['"a`tb"', 'a\tb'],
  ['a`,b', 'a,b'],
  ['Client Frontend', 'Client Frontend'],
  ['"mail.contoso.com:993:SSL"', 'mail.contoso.com:993:SSL'],
];
for (const [raw, expected] of words) {
  test(`decodeWord(${JSON.stringify(raw)}) = ${JSON.stringify(expected)}`, () => {
    assert.equal(decodeWord(raw), expected);
  });
}

const quoted: [string, string][] = [
  ['SecureLogin', 'SecureLogin'],
  ['mail.contoso.com:993:SSL', 'mail.contoso.com:993:SSL'],
  ['-5', '-5'],
  ['', "''"],
  ['Client Frontend MAIL01', "'Client Frontend MAIL01'"],
  ["It's", "'It''s'"],
  ['$true', "'$true'"],
  ['a,b', "'a,b'"],
  ['{a}', "'{a}'"],
  ['#1', "'#1'"],
];
for (const [text, expected] of quoted) {
  test(`quoteArgument(${JSON.stringify(text)}) = ${expected}`, () => {
    assert.equal(quoteArgument(text), expected);
  });
}

// ---------------------------------------------------------------------------------------------
// Properties

const ALPHABET = [
  'a', 'B', '1', '-', ' ', ' ', '\t', '\n', "'", '"', '`', '{', '}', '(', ')', '@', ',', ';', '|', '$', ':',
  '=', '#', '\\', '\u2018', '\u2019', '\u201C', '\u201D', '\u00A0', 'é', '\u{1F600}',
];

function randomText(next: () => number, maxLength: number): string {
  let s = '';
  const length = Math.floor(next() * maxLength);
  for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return s;
}

test('splitCommandLine and its helpers return or throw CmdletSyntaxError, whatever the text', () => {
  const next = prng(0xc0ffee);
  const helpers: ((text: string) => unknown)[] = [
    splitCommandLine,
    (t) => findGroupEnd(t, 0),
    (t) => splitTopLevel(t, ',;'),
    decodeWord,
  ];
  for (let i = 0; i < 4000; i++) {
    const text = randomText(next, 24);
    for (const helper of helpers) {
      try {
        helper(text);
      } catch (e) {
        assert.ok(e instanceof CmdletSyntaxError, `${JSON.stringify(text)} threw ${String(e)}`);
      }
    }
  }
});

/** PowerShell's own escaping: every kind of single quote is doubled. */
const singleQuote = (token: string): string => `'${token.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;

test('single-quoting a token list PowerShell-style and splitting gives the tokens back', () => {
  const next = prng(2024);
  for (let i = 0; i < 3000; i++) {
    const tokens = Array.from({ length: Math.floor(next() * 6) }, () => randomText(next, 12));
    assert.deepEqual(splitCommandLine(tokens.map(singleQuote).join(' ')), tokens);
    assert.deepEqual(splitCommandLine(tokens.map(quoteArgument).join(' \t ')), tokens);
  }
});
