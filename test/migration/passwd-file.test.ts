// Dovecot passwd-file lines, mail_location expansion and the progress line: table tests and a
// seeded property test.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expandMailLocation, parsePasswdFile } from '../../src/migration/formats/passwd-file.ts';
import { eta, progressText } from '../../src/migration/progress-line.ts';
import { prng, randomInt, pick } from '../support/random.ts';

const SEED = Number(process.env.PROPERTY_SEED ?? 1939);

describe('passwd-file', () => {
  test('table', () => {
    const file = parsePasswdFile([
      '# comment',
      'chris@contoso.com:{SHA512-CRYPT}$6$salt$hash:1000:1000:Chris Ashton:/home/chris::userdb_mail=maildir:~/Maildir quota_rule=*:storage=1G',
      'mei:{BLF-CRYPT}$2y$05$abc:1001:1001::/home/mei',
      'old:$1$salt$md5crypt',
      'nopass::1002:1002::/home/nopass::',
      ':{PLAIN}x',
      'lonely',
      '',
    ].join('\n'));
    assert.deepEqual(file.entries.map((e) => [e.line, e.user, e.password, e.gecos, e.home]), [
      [2, 'chris@contoso.com', '{SHA512-CRYPT}$6$salt$hash', 'Chris Ashton', '/home/chris'],
      [3, 'mei', '{BLF-CRYPT}$2y$05$abc', '', '/home/mei'],
      [4, 'old', '$1$salt$md5crypt', '', ''],
      [5, 'nopass', null, '', '/home/nopass'],
    ]);
    assert.deepEqual(file.entries[0]!.extra, { userdb_mail: 'maildir:~/Maildir', quota_rule: '*:storage=1G' });
    assert.deepEqual(file.problems, [{ line: 6, reason: 'no user name' }, { line: 7, reason: 'no password field' }]);
  });

  test('property: fields written read back; random lines never throw', () => {
    const random = prng(SEED);
    const chars = ['a', 'Z', '0', ':', '{', '}', '$', ' ', '=', '/', '中', '#', '\r'];
    for (let run = 0; run < 300; run++) {
      const word = (n: number) => Array.from({ length: 1 + randomInt(random, n) }, () => pick(random, ['a', 'b', 'X', '1', '.', '-', '中'])).join('');
      const user = `${word(8)}@${word(6)}.com`;
      const password = `{SHA512-CRYPT}$6$${word(8)}$${word(20)}`;
      const home = `/srv/${word(6)}`;
      const parsed = parsePasswdFile(`${user}:${password}:1:2:${word(5)}:${home}::mail=maildir:${home}/Maildir\n`);
      assert.deepEqual([parsed.entries[0]?.user, parsed.entries[0]?.password, parsed.entries[0]?.home, parsed.entries[0]?.extra.mail], [user, password, home, `maildir:${home}/Maildir`], `seed ${SEED} run ${run}`);
      const junk = Array.from({ length: randomInt(random, 6) }, () => Array.from({ length: randomInt(random, 40) }, () => pick(random, chars)).join('')).join('\n');
      const result = parsePasswdFile(junk);
      for (const e of result.entries) assert.ok(e.user.length > 0);
    }
  });
});

describe('mail_location', () => {
  const user = { user: 'chris@contoso.com', home: '/home/chris' };
  test('table', () => {
    assert.deepEqual(expandMailLocation('maildir:~/Maildir', user), { kind: 'Maildir', path: '/home/chris/Maildir' });
    assert.deepEqual(expandMailLocation('maildir:/var/vmail/%d/%n/Maildir:LAYOUT=fs', user), { kind: 'Maildir', path: '/var/vmail/contoso.com/chris/Maildir' });
    assert.deepEqual(expandMailLocation('maildir:/var/vmail/%{domain}/%{username}', user), { kind: 'Maildir', path: '/var/vmail/contoso.com/chris' });
    assert.deepEqual(expandMailLocation('mbox:~/mail:INBOX=/var/mail/%u', user), { kind: 'Mbox', path: '/home/chris/mail', inbox: '/var/mail/chris@contoso.com' });
    assert.deepEqual(expandMailLocation('maildir:/m/%Lu/%%', { user: 'Chris@Contoso.com', home: '' }), { kind: 'Maildir', path: '/m/chris@contoso.com/%' });
    assert.equal(expandMailLocation('mdbox:~/mdbox', user), null);
    assert.equal(expandMailLocation('~/Maildir', user), null);
  });
});

describe('progress line', () => {
  test('counts, bytes and ETA', () => {
    const p = { folder: 'INBOX', messagesTotal: 200, messagesDone: 50, bytesTotal: 4 * 1048576, bytesDone: 1048576, itemsTransferred: 40, bytesTransferred: 900000 };
    assert.equal(eta(p, 30), 90);
    const { bar, line } = progressText('chris@contoso.com (1/2)', p, 30, 10);
    assert.equal(bar, '[###.......]  25% 50/200 messages, 1.0 MB/4.0 MB ETA 1:30 chris@contoso.com (1/2) INBOX');
    assert.equal(line, 'chris@contoso.com (1/2): 25% 50/200 messages, 1.0 MB/4.0 MB, 40 imported, ETA 1:30, folder INBOX');
    assert.equal(eta({ ...p, bytesDone: 0, messagesDone: 0 }, 10), Infinity);
    assert.match(progressText('x', { ...p, bytesDone: 0, messagesDone: 0 }, 10).line, /ETA --:--/);
  });
});
