import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatLogonName,
  LogonNameError,
  parseLogonName,
  tryParseLogonName,
  type LogonName,
  type LogonNameErrorCode,
} from '../../src/auth/login-name.ts';

test('parseLogonName accepts every documented form', () => {
  const rows: [string, LogonName][] = [
    ['alice@contoso.com', { kind: 'upn', address: 'alice@contoso.com', localPart: 'alice', domain: 'contoso.com' }],
    ['Alice.Smith@Contoso.COM', { kind: 'upn', address: 'Alice.Smith@Contoso.COM', localPart: 'Alice.Smith', domain: 'Contoso.COM' }],
    ['  alice@contoso.com \t', { kind: 'upn', address: 'alice@contoso.com', localPart: 'alice', domain: 'contoso.com' }],
    ['alice+tag@mail.contoso.co.uk', { kind: 'upn', address: 'alice+tag@mail.contoso.co.uk', localPart: 'alice+tag', domain: 'mail.contoso.co.uk' }],
    ['a/b@contoso.com', { kind: 'upn', address: 'a/b@contoso.com', localPart: 'a/b', domain: 'contoso.com' }],
    ['王小明@例子.公司', { kind: 'upn', address: '王小明@例子.公司', localPart: '王小明', domain: '例子.公司' }],
    ['王小明@例子.公司\\销售部', { kind: 'upn', address: '王小明@例子.公司', localPart: '王小明', domain: '例子.公司', targetAlias: '销售部' }],
    ['josé@exämple.de', { kind: 'upn', address: 'josé@exämple.de', localPart: 'josé', domain: 'exämple.de' }],
    // NFD input (as some macOS clients send it) comes out NFC.
    ['jose\u0301@example.com', { kind: 'upn', address: 'jos\u00e9@example.com', localPart: 'jos\u00e9', domain: 'example.com' }],
    ['alice@localhost', { kind: 'upn', address: 'alice@localhost', localPart: 'alice', domain: 'localhost' }],
    ['alice@contoso.com\\sales', { kind: 'upn', address: 'alice@contoso.com', localPart: 'alice', domain: 'contoso.com', targetAlias: 'sales' }],
    ['alice@contoso.com\\sales@contoso.com', { kind: 'upn', address: 'alice@contoso.com', localPart: 'alice', domain: 'contoso.com', targetAlias: 'sales@contoso.com' }],
    ['CONTOSO\\alice', { kind: 'down-level', domain: 'CONTOSO', user: 'alice' }],
    ['contoso\\Alice', { kind: 'down-level', domain: 'contoso', user: 'Alice' }],
    ['contoso.com\\alice', { kind: 'down-level', domain: 'contoso.com', user: 'alice' }],
    ['CONTOSO\\John Smith', { kind: 'down-level', domain: 'CONTOSO', user: 'John Smith' }],
    ['CONTOSO\\alice\\sales', { kind: 'down-level', domain: 'CONTOSO', user: 'alice', targetAlias: 'sales' }],
    ['Domain\\Max.Mustermann\\Shared.MailboxAlias', { kind: 'down-level', domain: 'Domain', user: 'Max.Mustermann', targetAlias: 'Shared.MailboxAlias' }],
    ['CONTOSO \\ alice \\ sales', { kind: 'down-level', domain: 'CONTOSO', user: 'alice', targetAlias: 'sales' }],
    ['CONTOSO\\alice\\shared@contoso.com', { kind: 'down-level', domain: 'CONTOSO', user: 'alice', targetAlias: 'shared@contoso.com' }],
    ['例子\\王小明', { kind: 'down-level', domain: '例子', user: '王小明' }],
    ['alice', { kind: 'bare', user: 'alice' }],
    ['王小明', { kind: 'bare', user: '王小明' }],
    ['CONTOSO/alice/sales', { kind: 'bare', user: 'CONTOSO/alice/sales' }], // "/" is not a separator
    ['x'.repeat(320), { kind: 'bare', user: 'x'.repeat(320) }],
    ['😀'.repeat(320), { kind: 'bare', user: '😀'.repeat(320) }], // counted in characters, not UTF-16 units
  ];
  for (const [input, expected] of rows) {
    assert.deepEqual(parseLogonName(input), expected, input);
    assert.deepEqual(tryParseLogonName(input), { ok: true, name: expected }, input);
  }
});

test('parseLogonName rejects malformed names with a typed error', () => {
  const rows: [string, LogonNameErrorCode][] = [
    ['', 'empty'],
    ['   \t ', 'empty'],
    ['x'.repeat(321), 'too-long'],
    [`${'a'.repeat(64)}@${'b'.repeat(256)}`, 'too-long'],
    ['x'.repeat(5000), 'too-long'],
    ['ali\u0000ce', 'control-character'],
    ['alice\r\n@contoso.com', 'control-character'],
    ['alice\u007f', 'control-character'],
    ['alice\u0085', 'control-character'],
    ['resu@moc.osotnoc\u202e', 'control-character'],
    ['ali\ufeffce', 'control-character'], // a leading BOM is trimmed like whitespace
    ['line\u2028break', 'control-character'],
    ['A\\B\\C\\D', 'too-many-backslashes'],
    ['alice@contoso.com\\a\\b', 'too-many-backslashes'],
    ['\\alice', 'empty-part'],
    ['CONTOSO\\', 'empty-part'],
    ['CONTOSO\\\\alice', 'empty-part'],
    ['CONTOSO\\alice\\', 'empty-part'],
    ['CONTOSO\\ \\sales', 'empty-part'],
    ['alice@', 'missing-domain'],
    ['alice@\\sales', 'missing-domain'],
    ['@contoso.com', 'missing-local-part'],
    ['王小明@', 'missing-domain'],
    ['alice@bob@contoso.com', 'invalid-address'],
    ['alice smith@contoso.com', 'invalid-address'],
    ['alice@contoso..com', 'invalid-domain'],
    ['alice@.contoso.com', 'invalid-domain'],
    ['alice@contoso.com.', 'invalid-domain'],
    ['alice@con:toso.com', 'invalid-domain'],
    ['CON TOSO\\alice', 'invalid-domain'],
    ['CON*TOSO\\alice', 'invalid-domain'],
    ['CONTOSO\\alice@contoso.com', 'invalid-user'],
    ['CONTOSO\\alice\\sales team', 'invalid-alias'],
    ['alice@contoso.com\\sales@', 'missing-domain'],
    ['CONTOSO\\alice\\@contoso.com', 'missing-local-part'],
  ];
  for (const [input, code] of rows) {
    assert.throws(
      () => parseLogonName(input),
      (err: unknown) => err instanceof LogonNameError && err.code === code && err.message.length > 0,
      `${JSON.stringify(input)} should fail with ${code}`,
    );
    const result = tryParseLogonName(input);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.error.code, code);
  }
  assert.equal(tryParseLogonName(42 as unknown as string).ok, false);
});

test('formatLogonName gives the canonical text back', () => {
  const rows: [string, string, string][] = [
    [' alice@contoso.com ', 'alice@contoso.com', 'alice@contoso.com'],
    ['CONTOSO \\ alice \\ sales', 'CONTOSO\\alice\\sales', 'CONTOSO\\alice'],
    ['alice@contoso.com\\sales', 'alice@contoso.com\\sales', 'alice@contoso.com'],
    ['alice', 'alice', 'alice'],
  ];
  for (const [input, full, withoutAlias] of rows) {
    const name = parseLogonName(input);
    assert.equal(formatLogonName(name), full);
    assert.equal(formatLogonName(name, { includeAlias: false }), withoutAlias);
    assert.deepEqual(parseLogonName(formatLogonName(name)), name);
  }
});
