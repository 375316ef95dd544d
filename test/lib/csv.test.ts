// CSV cells of the protocol and receive logs (OWASP "CSV Injection"): hostile values in a table,
// and a property test that any text becomes one cell that reads back as the text made safe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvCell } from '../../src/lib/csv.ts';
import { logonNameTag } from '../../src/lib/log.ts';
import { prng, randomInt } from '../support/random.ts';

test('cells that a spreadsheet would run, and control characters', () => {
  const cases: [string | number, string][] = [
    ['alice@contoso.com', 'alice@contoso.com'],
    [42, '42'],
    ['', ''],
    ['=1+2', `"'=1+2"`],
    [`=HYPERLINK("http://evil.example","click")`, `"'=HYPERLINK(""http://evil.example"",""click"")"`],
    ['+cmd', `"'+cmd"`],
    ['-2+3', `"'-2+3"`],
    ['@SUM(A1:A9)', `"'@SUM(A1:A9)"`],
    // Tab and CR first: they become spaces, so the cell no longer starts with them.
    ['\t=1+2', ' =1+2'],
    ['\r\n=1+2', ' =1+2'],
    ['a\r\nb\n\nc', 'a b c'],
    ['R=-ERR [AUTH] Logon failure, "bad"', `"R=-ERR [AUTH] Logon failure, ""bad"""`],
    ['\x1b[31mred\x07', '\ufffd[31mred\ufffd'],
    ['\0\x7f\x85', '\ufffd\ufffd\ufffd'],
    ['txt.\u202eexe.doc', 'txt.\ufffdexe.doc'],
    ['\u2066x\u2069', '\ufffdx\ufffd'],
    ['a\u2028b', 'a\ufffdb'],
    ['中文 and é', '中文 and é'],
  ];
  for (const [value, cell] of cases) assert.equal(csvCell(value), cell, JSON.stringify(value));
});

/** RFC 4180 reading of one cell. */
function readCell(cell: string): string {
  if (!cell.startsWith('"')) return cell;
  assert.ok(cell.endsWith('"') && cell.length >= 2, cell);
  const inner = cell.slice(1, -1);
  assert.ok(!/(^|[^"])"("")*($|[^"])/.test(inner.replaceAll('""', '')), `a lone quote inside ${cell}`);
  return inner.replaceAll('""', '"');
}

test('property: any text is one safe cell that reads back as the text with controls replaced', () => {
  const seed = Date.now() % 1_000_000;
  const random = prng(seed);
  const alphabet = ['=', '+', '-', '@', '\t', '\r', '\n', ',', '"', "'", ' ', 'a', '中', '\0', '\x1b', '\x7f', '\x9b', '\u202e', '\u2028'];
  for (let run = 0; run < 20_000; run++) {
    let text = '';
    for (let i = randomInt(random, 8); i > 0; i--) text += alphabet[randomInt(random, alphabet.length)];
    const cell = csvCell(text);
    const context = `seed ${seed}: ${JSON.stringify(text)} → ${JSON.stringify(cell)}`;
    assert.ok(!/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(cell), context);
    // Outside quotes there is never a comma or a quote: the cell cannot split the record.
    if (!cell.startsWith('"')) assert.ok(!cell.includes(',') && !cell.includes('"'), context);
    const read = readCell(cell);
    assert.ok(!/^[=+\-@]/.test(read), context);
    const safe = text.replace(/[\r\n]+/g, ' ').replace(/\t/g, ' ').replace(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '\ufffd');
    assert.equal(read, /^[=+\-@]/.test(safe) ? `'${safe}` : safe, context);
  }
});

test('a typed logon name is logged as its first characters and a keyed tag', () => {
  const tag = logonNameTag('Summer-Secret-2026!');
  assert.match(tag, /^Sum\.\.\.#[0-9a-f]{8}$/);
  assert.equal(logonNameTag('Summer-Secret-2026!'), tag, 'one name, one tag');
  assert.notEqual(logonNameTag('Summer-Secret-2027!'), tag);
  assert.match(logonNameTag('王小明@contoso.com'), /^王小明\.\.\.#[0-9a-f]{8}$/);
  assert.match(logonNameTag(''), /^\.\.\.#[0-9a-f]{8}$/);
});
