// The IMAP migration CSV reader (pure): a table of files, and a property: any accounts written
// out with RFC 4180 quoting read back as they were, whatever characters their fields hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvRecords, MigrationCsvError, parseMigrationCsv } from '../../src/migration/formats/migration-csv.ts';
import { pick, prng, randomInt } from '../support/random.ts';

test('migration CSV: a table of files', () => {
  assert.deepEqual(parseMigrationCsv('EmailAddress,UserName,Password\r\nterry@contoso.com,terry,Pa55\r\n').accounts,
    [{ line: 2, emailAddress: 'terry@contoso.com', userName: 'terry', password: 'Pa55' }]);
  // Exchange's Dovecot form: the master user in UserName, its password; columns in any order and case; a BOM.
  assert.deepEqual(parseMigrationCsv('\ufeffpassword,USERNAME,emailaddress,Mailbox\nadmin-pw,terry*mailadmin,terry@contoso.com,tadams\n').accounts,
    [{ line: 2, emailAddress: 'terry@contoso.com', userName: 'terry*mailadmin', password: 'admin-pw', mailbox: 'tadams' }]);
  // Quotes, commas, doubled quotes and a line break inside a field; blank lines skipped; no final newline.
  const quoted = parseMigrationCsv('EmailAddress,UserName,Password\n\n"a@b.c","a, b","p""w,\nx"\n\nc@d.e,c, sp \n');
  assert.deepEqual(quoted.accounts.map((a) => [a.line, a.userName, a.password]), [[3, 'a, b', 'p"w,\nx'], [6, 'c', ' sp ']]);
  const bad = parseMigrationCsv('EmailAddress,UserName,Password\nnot-an-address,x,y\na@b.c,,y\na@b.c,u,p\nA@B.C,u2,p2\n');
  assert.deepEqual(bad.accounts.map((a) => a.emailAddress), ['a@b.c']);
  assert.deepEqual(bad.problems.map((p) => p.line), [2, 3, 5]);
  assert.throws(() => parseMigrationCsv('Email,User,Password\na@b.c,a,b\n'), MigrationCsvError);
  assert.throws(() => parseMigrationCsv(''), MigrationCsvError);
  assert.throws(() => parseMigrationCsv('EmailAddress,UserName,Password\n"a@b.c,a,b\n'), /not closed/);
});

function quote(field: string): string {
  return /[",\r\n]/.test(field) || field !== field.trim() ? `"${field.replaceAll('"', '""')}"` : field;
}

test('migration CSV: written with RFC 4180 quoting, any fields read back as they were (property, seeded)', () => {
  const seed = 0x637376;
  const random = prng(seed);
  const alphabet = ['a', 'Z', '9', ',', '"', '\n', '\r\n', ' ', '*', '\\', '密', '@', '\t', '='];
  const text = (min: number) => {
    let s = '';
    const n = min + randomInt(random, 8);
    for (let i = 0; i < n; i++) s += pick(random, alphabet);
    return s;
  };
  for (let run = 0; run < 500; run++) {
    const accounts = Array.from({ length: 1 + randomInt(random, 5) }, (_, i) => ({
      emailAddress: `user${i}@example.com`, userName: `u${text(1).trim() || 'x'}`, password: text(0),
    }));
    const eol = pick(random, ['\n', '\r\n']);
    const csv = `EmailAddress,UserName,Password${eol}${accounts.map((a) => [a.emailAddress, a.userName, a.password].map(quote).join(',')).join(eol)}${pick(random, ['', eol])}`;
    const got = parseMigrationCsv(csv);
    assert.deepEqual(got.problems.filter((p) => !p.reason.includes('no UserName')), [], `seed ${seed} run ${run}`);
    const wanted = accounts.filter((a) => a.userName.trim() !== '');
    assert.deepEqual(got.accounts.map((a) => [a.emailAddress, a.userName, a.password]), wanted.map((a) => [a.emailAddress, a.userName.trim(), a.password]), `seed ${seed} run ${run}: ${JSON.stringify(csv)}`);
    // Records never lose or invent a field.
    for (const r of csvRecords(csv)) assert.equal(r.fields.length, 3, `seed ${seed} run ${run}`);
  }
});
