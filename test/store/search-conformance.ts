// SEARCH as every MailStore engine must answer it (RFC 3501 §6.4.4, RFC 5032 WITHIN, RFC 7162
// MODSEQ): flags, dates by day, sizes, header fields decoded from encoded words, body text in
// any charset, Chinese substrings without spaces, and boolean combinations.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import type { SearchKey } from '../../src/store/search.ts';
import type { MailStore } from '../../src/store/types.ts';
import type { OpenStore } from './conformance.ts';
import { prng } from '../support/random.ts';

function message(headers: Record<string, string>, body: string | Buffer): Buffer {
  const head = Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`), typeof body === 'string' ? Buffer.from(body) : body]);
}

export function searchConformance(name: string, open: OpenStore): void {
  describe(`MailStore SEARCH: ${name}`, () => {
    let store: MailStore;
    let cleanup: () => Promise<void>;
    let folderId: number;
    const now = new Date('2026-11-26T12:00:00Z');

    before(async () => {
      const opened = await open({ now: () => now });
      store = opened.store;
      cleanup = opened.cleanup;
      await store.provisionMailbox('searcher', 'zh-TW');
      folderId = (await store.folder('searcher', 'INBOX'))!.id;
      const add = (raw: Buffer, flags: string[], date: string) => store.append(folderId, { raw, flags, internalDate: new Date(date) });
      // 1: English report from the boss, seen and flagged, three days old
      await add(message({ From: 'Boss <boss@contoso.com>', To: 'team@contoso.com', Cc: 'audit@contoso.com', Subject: 'Quarterly report', Date: 'Mon, 23 Nov 2026 09:00:00 +0000', 'Message-ID': '<q3@contoso.com>' },
        'The numbers for Q3 are attached.\r\n'), ['\\Seen', '\\Flagged'], '2026-11-23T09:00:00Z');
      // 2: Chinese subject as an encoded word, Big5 body, unseen
      const big5 = iconv.encode('各位同事：明天下午三點開會討論預算。\r\n', 'big5');
      await add(message({ From: '=?UTF-8?B?546L5bCP5piO?= <xiaoming@contoso.com>', To: 'team@contoso.com', Subject: '=?UTF-8?B?5pyD6K2w6YCa55+l?=',
        Date: 'Tue, 24 Nov 2026 10:00:00 +0800', 'Content-Type': 'text/plain; charset=big5', 'Content-Transfer-Encoding': '8bit' }, big5), [], '2026-11-24T02:00:00Z');
      // 3: quoted-printable UTF-8 body with a keyword, today
      await add(message({ From: 'Amy <amy@fabrikam.com>', To: 'chris@contoso.com', Bcc: 'hidden@contoso.com', Subject: 'Lunch?', Date: 'Thu, 26 Nov 2026 11:00:00 +0000',
        'Content-Type': 'text/plain; charset=utf-8', 'Content-Transfer-Encoding': 'quoted-printable' }, 'Caf=C3=A9 at noon? =E5=8F=B0=E5=8C=97 101\r\n'), ['$Important'], '2026-11-26T11:00:00Z');
      // 4: a large GB18030 message, answered
      const gb = iconv.encode(`会议纪要\r\n${'数据'.repeat(2000)}\r\n`, 'gb18030');
      await add(message({ From: 'Li <li@example.cn>', To: 'chris@contoso.com', Subject: '=?GB18030?B?' + iconv.encode('会议纪要', 'gb18030').toString('base64') + '?=',
        Date: 'Wed, 25 Nov 2026 08:00:00 +0800', 'Content-Type': 'text/plain; charset=gb18030', 'Content-Transfer-Encoding': '8bit' }, gb), ['\\Answered'], '2026-11-25T00:00:00Z');
    });
    after(async () => cleanup());

    const cases: [string, SearchKey, number[]][] = [
      ['ALL', { type: 'all' }, [1, 2, 3, 4]],
      ['SEEN', { type: 'flag', flag: '\\Seen', present: true }, [1]],
      ['UNSEEN', { type: 'flag', flag: '\\Seen', present: false }, [2, 3, 4]],
      ['KEYWORD any case', { type: 'flag', flag: '$important', present: true }, [3]],
      ['ANSWERED', { type: 'flag', flag: '\\Answered', present: true }, [4]],
      ['FLAGGED', { type: 'flag', flag: '\\Flagged', present: true }, [1]],
      ['UNFLAGGED, flag in other case', { type: 'flag', flag: '\\FLAGGED', present: false }, [2, 3, 4]],
      ['DELETED', { type: 'flag', flag: '\\Deleted', present: true }, []],
      ['UNDELETED', { type: 'flag', flag: '\\deleted', present: false }, [1, 2, 3, 4]],
      ['RECENT', { type: 'recent', present: true }, [1, 2, 3, 4]],
      ['UID range', { type: 'uid', ranges: [[2, 3]] }, [2, 3]],
      ['SINCE day', { type: 'internaldate', op: 'since', date: '2026-11-25' }, [3, 4]],
      ['BEFORE day', { type: 'internaldate', op: 'before', date: '2026-11-24' }, [1]],
      ['ON day', { type: 'internaldate', op: 'on', date: '2026-11-24' }, [2]],
      ['SENTON uses the Date header', { type: 'sentdate', op: 'on', date: '2026-11-23' }, [1]],
      ['LARGER', { type: 'size', op: 'larger', bytes: 5000 }, [4]],
      ['SMALLER', { type: 'size', op: 'smaller', bytes: 5000 }, [1, 2, 3]],
      ['FROM address part', { type: 'header', field: 'from', value: 'CONTOSO.COM' }, [1, 2]],
      ['FROM decoded display name', { type: 'header', field: 'from', value: '王小明' }, [2]],
      ['SUBJECT decoded encoded word', { type: 'header', field: 'subject', value: '會議' }, [2]],
      ['SUBJECT GB18030 encoded word', { type: 'header', field: 'subject', value: '会议' }, [4]],
      ['TO', { type: 'header', field: 'to', value: 'chris@' }, [3, 4]],
      ['CC', { type: 'header', field: 'cc', value: 'audit' }, [1]],
      ['BCC', { type: 'header', field: 'bcc', value: 'hidden' }, [3]],
      ['HEADER Message-ID', { type: 'header', field: 'Message-ID', value: 'q3@' }, [1]],
      ['HEADER field present (empty value)', { type: 'header', field: 'Message-ID', value: '' }, [1]],
      ['BODY Big5 decoded, Chinese without spaces', { type: 'body', value: '開會' }, [2]],
      ['BODY longer Chinese phrase', { type: 'body', value: '明天下午三點' }, [2]],
      ['BODY quoted-printable decoded', { type: 'body', value: 'café' }, [3]],
      ['BODY 2-character Chinese in QP', { type: 'body', value: '台北' }, [3]],
      ['BODY GB18030', { type: 'body', value: '纪要' }, [4]],
      ['BODY does not search headers', { type: 'body', value: 'Quarterly' }, []],
      ['TEXT searches headers and body', { type: 'text', value: 'quarterly' }, [1]],
      ['TEXT body', { type: 'text', value: 'NUMBERS FOR' }, [1]],
      ['NOT', { type: 'not', key: { type: 'flag', flag: '\\Seen', present: true } }, [2, 3, 4]],
      ['OR', { type: 'or', left: { type: 'header', field: 'from', value: 'amy' }, right: { type: 'flag', flag: '\\Answered', present: true } }, [3, 4]],
      ['AND', { type: 'and', keys: [{ type: 'header', field: 'to', value: 'team' }, { type: 'flag', flag: '\\Seen', present: false }] }, [2]],
      ['YOUNGER (WITHIN)', { type: 'age', op: 'younger', seconds: 2 * 86400 }, [3, 4]],
      ['OLDER (WITHIN)', { type: 'age', op: 'older', seconds: 2 * 86400 }, [1, 2]],
      ['MODSEQ', { type: 'modseq', modseq: 1 }, [1, 2, 3, 4]],
      ['no match', { type: 'text', value: 'zzzzzz' }, []],
      // An index may offer candidates that hold every piece of the string but not the string:
      // the answer must still be exact.
      ['TEXT with each trigram present but not in this order', { type: 'text', value: 'for numbers' }, []],
      ['SUBJECT of words only the body has', { type: 'header', field: 'subject', value: 'numbers' }, []],
      ['SUBJECT of two Chinese characters only the body has', { type: 'header', field: 'subject', value: '開會' }, []],
      ['FROM of a word only the To field has', { type: 'header', field: 'from', value: 'team@' }, []],
    ];
    for (const [title, key, expected] of cases) {
      test(title, async () => {
        assert.deepEqual(await store.search(folderId, key), expected);
      });
    }

    // BODY against a plain substring test of the four bodies as decoded: random strings cut from
    // them (English, Big5 and GB18030 Chinese, a QP-decoded accent), in random case, some with a
    // character changed so that they occur nowhere or elsewhere.
    test('BODY finds exactly the bodies that hold a random string (300 draws)', async () => {
      const bodies = ['The numbers for Q3 are attached.', '各位同事：明天下午三點開會討論預算。', 'Café at noon? 台北 101', `会议纪要\n${'数据'.repeat(2000)}`];
      const random = prng(20261207);
      const pick = (n: number) => Math.floor(random() * n);
      for (let draw = 0; draw < 300; draw++) {
        const chars = [...bodies[pick(bodies.length)]!.slice(0, 60)];
        const length = 1 + pick(Math.min(12, chars.length));
        const start = pick(chars.length - length + 1);
        const cut = chars.slice(start, start + length);
        if (random() < 0.3) cut[pick(cut.length)] = 'Q3數據é '[pick(7)]!;
        let value = cut.join('');
        if (value.includes('\n')) continue; // how a body's line break is stored is not this test's business
        value = random() < 0.5 ? value.toUpperCase() : value;
        const expected = bodies.flatMap((b, i) => (b.toLowerCase().includes(value.toLowerCase()) ? [i + 1] : []));
        assert.deepEqual(await store.search(folderId, { type: 'body', value }), expected, JSON.stringify(value));
      }
    });

    // Header fields in the forms imaptest's search-header, search-addresses and search-date
    // groups use: fields present or absent, address comments, groups, encoded display names,
    // dates in zones east and west of UTC, no date.
    describe('header fields', () => {
      let fieldsId: number;
      before(async () => {
        fieldsId = (await store.createFolder('searcher', 'Fields')).id;
        const add = (headers: Record<string, string>) => store.append(fieldsId, { raw: message(headers, 'body\r\n'), flags: [], internalDate: now });
        await add({ From: 'user-from@domain.org', To: 'user-to@domain.org', Cc: 'user-cc@domain.org', Bcc: 'user-bcc@domain.org',
          Subject: 'hello beautiful world', Date: 'Sun, 25 Mar 2007 01:00:00 +0300' });
        await add({ From: '<user-from (comment)@ (comment) domain.org>', To: 'groupname: groupuser1@domain.org, groupuser2@domain.org;,\r\n  groupname2: groupuser3@domain.org;',
          Date: 'Sat, 24 Mar 2007 23:00:00 -0500', 'X-Extra': 'hello' });
        await add({ From: '=?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@x.org>', To: 'undisclosed-recipients:;', Cc: 'user-cc@domain.org (RealCc)' });
        await add({ From: 'RealFrom <user-from@domain.org>', Subject: '', Date: 'not a date' });
      });

      const fieldCases: [string, SearchKey, number[]][] = [
        ['HEADER Cc "" matches the messages that have the field', { type: 'header', field: 'cc', value: '' }, [1, 3]],
        ['HEADER X-Extra ""', { type: 'header', field: 'x-extra', value: '' }, [2]],
        ['HEADER Date ""', { type: 'header', field: 'date', value: '' }, [1, 2, 4]],
        ['SUBJECT "": an empty Subject field is still the field', { type: 'header', field: 'subject', value: '' }, [1, 4]],
        ['BCC ""', { type: 'header', field: 'bcc', value: '' }, [1]],
        ['NOT HEADER Cc ""', { type: 'not', key: { type: 'header', field: 'cc', value: '' } }, [2, 4]],
        ['OR of two presence tests', { type: 'or', left: { type: 'header', field: 'bcc', value: '' }, right: { type: 'header', field: 'x-extra', value: '' } }, [1, 2]],
        ['FROM the address, with or without a display name or comments', { type: 'header', field: 'from', value: 'user-from@domain.org' }, [1, 2, 4]],
        ['FROM does not match a comment inside the address', { type: 'header', field: 'from', value: 'comment' }, []],
        ['FROM the display name', { type: 'header', field: 'from', value: 'realfrom' }, [4]],
        ['FROM a decoded display name in other case', { type: 'header', field: 'from', value: 'JÖRG MÜLLER' }, [3]],
        ['TO a group name', { type: 'header', field: 'to', value: 'groupname2' }, [2]],
        ['TO a group member', { type: 'header', field: 'to', value: 'groupuser3' }, [2]],
        ['TO an empty group', { type: 'header', field: 'to', value: 'undisclosed' }, [3]],
        ['CC a comment standing in for the display name', { type: 'header', field: 'cc', value: 'realcc' }, [3]],
        // SENT* keys: the Date field's day as written, whatever its zone (RFC 3501 §6.4.4); no
        // readable Date field counts as 1 January 1970, as in Dovecot.
        ['SENTON the written day, east of UTC', { type: 'sentdate', op: 'on', date: '2007-03-25' }, [1]],
        ['SENTON the written day, west of UTC', { type: 'sentdate', op: 'on', date: '2007-03-24' }, [2]],
        ['SENTBEFORE', { type: 'sentdate', op: 'before', date: '2007-03-25' }, [2, 3, 4]],
        ['SENTSINCE', { type: 'sentdate', op: 'since', date: '2007-03-25' }, [1]],
        ['SENTON 1-Jan-1970: no Date field, or no date in it', { type: 'sentdate', op: 'on', date: '1970-01-01' }, [3, 4]],
        ['NOT SENTSINCE 2-Jan-1970', { type: 'not', key: { type: 'sentdate', op: 'since', date: '1970-01-02' } }, [3, 4]],
        ['SENTSINCE 1-Jan-1970', { type: 'sentdate', op: 'since', date: '1970-01-01' }, [1, 2, 3, 4]],
      ];
      for (const [title, key, expected] of fieldCases) {
        test(title, async () => {
          assert.deepEqual(await store.search(fieldsId, key), expected);
        });
      }
    });

    test('MODSEQ finds only messages changed since', async () => {
      const result = await store.storeFlags(folderId, [2], 'add', ['\\Flagged']);
      const modseq = result.changed[0]!.modseq;
      assert.deepEqual(await store.search(folderId, { type: 'modseq', modseq }), [2]);
    });

    test('copies are searchable and expunged messages are not', async () => {
      const target = (await store.folder('searcher', '封存'))!.id;
      const copy = await store.copy(folderId, [2], target);
      assert.deepEqual(await store.search(target, { type: 'body', value: '預算' }), [copy.mapping[0]![1]]);
      await store.expunge(target, [copy.mapping[0]![1]]);
      assert.deepEqual(await store.search(target, { type: 'body', value: '預算' }), []);
      assert.deepEqual(await store.search(folderId, { type: 'body', value: '預算' }), [2]);
    });

    test('restored messages are searchable again', async () => {
      await store.expunge(folderId, [3]);
      assert.deepEqual(await store.search(folderId, { type: 'body', value: 'café' }), []);
      const item = (await store.recoverableItems('searcher')).find((i) => i.subject === 'Lunch?')!;
      await store.restoreRecoverableItems('searcher', [item.id]);
      const found = await store.search(folderId, { type: 'body', value: 'café' });
      assert.equal(found.length, 1);
      assert.ok(found[0]! > 4, 'restored with a new UID');
    });
  });
}
