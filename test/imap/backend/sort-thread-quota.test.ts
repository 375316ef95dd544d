// SORT (RFC 5256, RFC 5957 DISPLAYFROM/DISPLAYTO, RFC 5267 ESORT), THREAD (REFERENCES and
// ORDEREDSUBJECT) and QUOTA (RFC 9208) over a real socket, as transcripts: the messages are
// stored with known headers, sizes and internal dates, and the answers are the orders the RFCs
// give for them. One expunged message ahead of the others makes sequence numbers and UIDs
// differ, so every answer shows which of the two it holds.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, RawClient, startServer, type TestServer } from './harness.ts';
import { threadCache } from '../../../src/imap/sorting/thread-cache.ts';

let server: TestServer;
const open: RawClient[] = [];

async function login(user: string): Promise<RawClient> {
  const c = await RawClient.login(server.tlsPort, user, PASSWORD);
  open.push(c);
  return c;
}

/** A message with exactly these header fields (CRLF line ends). */
function raw(headers: Record<string, string>, body: string): string {
  return `${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}\r\n`;
}

// Noon, so that SINCE finds the same day in any time zone.
const day = (d: number, h = 12) => new Date(Date.UTC(2026, 10, d, h));

/** Stores a message that is expunged first, then `messages`; sequence number n is UID n + 1. */
async function seedAfterPlaceholder(alias: string, messages: { raw: string; internalDate: Date }[]): Promise<void> {
  await server.seed(alias, raw({ Subject: 'placeholder' }, 'x'), { flags: ['\\Deleted'] });
  for (const m of messages) await server.seed(alias, m.raw, { internalDate: m.internalDate });
}

/** SELECT, and EXPUNGE the placeholder if no earlier session did. */
async function selectInbox(c: RawClient): Promise<void> {
  assert.match(await c.status('s0', 'SELECT INBOX'), /^s0 OK /);
  assert.match(await c.status('s1', 'EXPUNGE'), /^s1 OK /);
}

/** The untagged line an OK command answered with (exactly one is expected). */
async function answer(c: RawClient, tag: string, command: string | Buffer): Promise<string> {
  const lines = await c.command(tag, command);
  assert.match(lines.at(-1)!, new RegExp(`^${tag} OK `), lines.join('\n'));
  const untagged = lines.filter((l) => l.startsWith('* SORT') || l.startsWith('* THREAD') || l.startsWith('* ESEARCH'));
  assert.equal(untagged.length, 1, lines.join('\n'));
  return untagged[0]!;
}

before(async () => {
  server = await startServer();
  for (const alias of ['sorter', 'threader', 'quotum', 'defaults']) await server.addUser(alias);
  // Sizes are far apart (the bodies differ by hundreds of bytes, the headers by tens), and the
  // internal dates are in another order than both the UIDs and the Date fields.
  await seedAfterPlaceholder('sorter', [
    {
      raw: raw({ From: '"Zoe Adams" <zoe@fabrikam.com>', To: 'bob@contoso.com', Cc: 'carol@contoso.com', Subject: 'Re: Budget', Date: 'Tue, 03 Nov 2026 09:00:00 +0000' }, 'a'.repeat(2000)),
      internalDate: day(5),
    },
    {
      raw: raw({ From: 'amy@contoso.com', To: 'Team: dan@contoso.com, eve@contoso.com;', Subject: '_notes', Date: 'Mon, 02 Nov 2026 10:00:00 +0000' }, 'b'.repeat(500)),
      internalDate: day(4),
    },
    {
      raw: raw({ From: '"Bob Brown" <bob@contoso.com>', To: 'Amy <amy@contoso.com>', Cc: 'Xavier <alice@contoso.com>', Subject: '=?utf-8?q?=5Bfin=5D_Fwd=3A_budget?=', Date: 'Mon, 02 Nov 2026 08:00:00 +0200' }, 'c'.repeat(4000)),
      internalDate: day(6),
    },
    {
      raw: raw({ From: '=?iso-8859-1?q?=C9mile?= <emile@contoso.com>', To: 'zed@contoso.com', Subject: '=?utf-8?b?5pyD6K2wIG5vdGVz?=' }, 'd'.repeat(100)),
      internalDate: day(1),
    },
    {
      raw: raw({ From: '"amy lee" <Amy@contoso.com>', To: 'bob@contoso.com', Cc: 'bob@contoso.com', Subject: 'Budget (fwd)', Date: 'Wed, 04 Nov 2026 12:00:00 +0000' }, 'e'.repeat(1000)),
      internalDate: day(7),
    },
  ]);
});

after(async () => {
  for (const c of open) c.close();
  await server?.stop();
});

describe('SORT over a session', () => {
  test('CAPABILITY offers SORT, SORT=DISPLAY, ESORT, both THREAD algorithms and QUOTA', async () => {
    const c = await login('sorter@contoso.com');
    const caps = (await c.command('c1', 'CAPABILITY'))[0]!.split(' ');
    for (const cap of ['SORT', 'SORT=DISPLAY', 'ESORT', 'THREAD=REFERENCES', 'THREAD=ORDEREDSUBJECT', 'QUOTA']) assert.ok(caps.includes(cap), cap);
  });

  test('each sort key, REVERSE, several keys, and ties in sequence order', async () => {
    const c = await login('sorter@contoso.com');
    await selectInbox(c);
    // [criteria, sequence numbers]
    const cases: [string, string][] = [
      // Base subjects "Budget" (1 Re:, 3 "[fin] Fwd:" encoded, 5 "(fwd)"), "_notes", "會議 notes":
      // "_" sorts after letters, equal subjects in sequence order.
      ['(SUBJECT)', '1 3 5 2 4'],
      ['(REVERSE SUBJECT)', '4 2 1 3 5'],
      // Date fields (3 is 06:00 UTC; 4 has none and sorts by its internal date, 1 November).
      ['(DATE)', '4 3 2 1 5'],
      ['(REVERSE DATE)', '5 1 2 3 4'],
      ['(ARRIVAL)', '4 2 1 3 5'],
      ['(SIZE)', '4 2 5 1 3'],
      // Local parts without case: amy (2, 5), bob, emile, zoe.
      ['(FROM)', '2 5 3 4 1'],
      ['(FROM REVERSE DATE)', '5 2 3 4 1'],
      // A group sorts by its name ("Team").
      ['(TO)', '3 1 5 2 4'],
      // No Cc at all sorts first.
      ['(CC)', '2 4 3 5 1'],
      // Display names, decoded ("Émile"), else the address: "amy lee" < "amy@contoso.com".
      ['(DISPLAYFROM)', '5 2 3 4 1'],
      ['(REVERSE DISPLAYTO)', '4 2 1 5 3'],
      ['(SUBJECT REVERSE SIZE)', '3 1 5 2 4'],
    ];
    for (const [i, [criteria, expected]] of cases.entries()) {
      assert.equal(await answer(c, `k${i}`, `SORT ${criteria} UTF-8 ALL`), `* SORT ${expected}`, criteria);
    }
    // UID SORT answers with UIDs, one above each sequence number here.
    assert.equal(await answer(c, 'u1', 'UID SORT (SUBJECT) US-ASCII ALL'), '* SORT 2 4 6 3 5');
  });

  test('search criteria, CHARSET and an empty result', async () => {
    const c = await login('sorter@contoso.com');
    await selectInbox(c);
    assert.equal(await answer(c, 'q1', 'SORT (REVERSE SIZE) US-ASCII SINCE 4-Nov-2026'), '* SORT 3 1 5 2');
    assert.equal(await answer(c, 'q2', 'SORT (DATE) UTF-8 UID 3:5'), '* SORT 4 3 2');
    // The search strings are in the charset named: 會議 as UTF-8 and as Big5.
    const utf8 = Buffer.from('會議');
    assert.equal(await answer(c, 'q3', Buffer.concat([Buffer.from(`SORT (DATE) UTF-8 SUBJECT {${utf8.length}+}\r\n`), utf8])), '* SORT 4');
    const big5 = Buffer.from([0xb7, 0x7c, 0xc4, 0xb3]);
    assert.equal(await answer(c, 'q4', Buffer.concat([Buffer.from(`SORT (DATE) BIG5 SUBJECT {${big5.length}+}\r\n`), big5])), '* SORT 4');
    assert.match(await c.status('q5', 'SORT (DATE) X-NO-SUCH-CHARSET ALL'), /^q5 NO \[BADCHARSET \(/);
    assert.equal(await answer(c, 'q6', 'SORT (DATE) UTF-8 UID 100:200'), '* SORT');
  });

  test('ESORT: RETURN answers with ESEARCH in sort order, and SAVE keeps the result for $', async () => {
    const c = await login('sorter@contoso.com');
    await selectInbox(c);
    assert.equal(await answer(c, 'e1', 'SORT RETURN (MIN MAX COUNT ALL) (SUBJECT) UTF-8 ALL'), '* ESEARCH (TAG "e1") MIN 1 MAX 4 COUNT 5 ALL 1,3,5,2,4');
    // RETURN () is RETURN (ALL); runs in sort order are compressed, never re-sorted.
    assert.equal(await answer(c, 'e2', 'UID SORT RETURN () (REVERSE DATE) UTF-8 ALL'), '* ESEARCH (TAG "e2") UID ALL 6,2:5');
    assert.equal(await answer(c, 'e3', 'SORT RETURN (COUNT MIN) (DATE) UTF-8 UID 100:200'), '* ESEARCH (TAG "e3") COUNT 0');
    // MIN is the first message in sort order: the oldest Date, sequence number 4.
    assert.equal(await answer(c, 'e4', 'SORT RETURN (SAVE MIN) (DATE) UTF-8 ALL'), '* ESEARCH (TAG "e4") MIN 4');
    assert.deepEqual(await c.command('e5', 'FETCH $ (UID)'), ['* 4 FETCH (UID 5)', 'e5 OK FETCH completed.']);
    // SAVE alone answers with no ESEARCH at all (RFC 5182 §2.4).
    assert.deepEqual(await c.command('e6', 'SORT RETURN (SAVE) (SIZE) UTF-8 SINCE 6-Nov-2026'), ['e6 OK SORT completed.']);
    assert.deepEqual(await c.command('e7', 'UID FETCH $ (UID)'), ['* 3 FETCH (UID 4)', '* 5 FETCH (UID 6)', 'e7 OK FETCH completed.']);
  });

  test('bad SORT commands are BAD, and SORT needs a selected folder', async () => {
    const c = await login('sorter@contoso.com');
    assert.match(await c.status('b0', 'SORT (DATE) UTF-8 ALL'), /^b0 BAD /);
    await c.command('s0', 'SELECT INBOX');
    for (const [i, bad] of ['SORT (BOGUS) UTF-8 ALL', 'SORT DATE UTF-8 ALL', 'SORT () UTF-8 ALL', 'SORT (REVERSE) UTF-8 ALL', 'SORT (DATE) UTF-8', 'SORT (DATE)',
      'SORT RETURN (BOGUS) (DATE) UTF-8 ALL'].entries()) {
      assert.match(await c.status(`b${i + 1}`, bad), new RegExp(`^b${i + 1} BAD `), bad);
    }
    assert.deepEqual(await c.command('n1', 'NOOP'), ['n1 OK NOOP completed.']);
  });
});

describe('THREAD over a session', () => {
  before(async () => {
    const m = (headers: Record<string, string>, d: number, h: number) => ({
      raw: raw({ From: 'amy@contoso.com', Date: `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][day(d).getUTCDay()]}, 0${d} Nov 2026 ${String(h).padStart(2, '0')}:00:00 +0000`, ...headers }, 'body'),
      internalDate: day(d, h),
    });
    await seedAfterPlaceholder('threader', [
      m({ 'Message-ID': '<p1@x>', Subject: 'Plan' }, 2, 8),
      m({ 'Message-ID': '<p2@x>', 'In-Reply-To': '<p1@x>', Subject: 'Re: Plan' }, 2, 9),
      m({ 'Message-ID': '<p3@x>', References: '<p1@x> <p2@x>', Subject: 'Re: Plan' }, 2, 10),
      m({ 'Message-ID': '<o1@x>', Subject: 'Other' }, 1, 8),
      // Answers <p1@x>, and is older than 2: the first of 1's replies.
      m({ 'Message-ID': '<p4@x>', References: '<p1@x>', Subject: 'Re: Plan' }, 2, 8),
      // Its parent is not in the folder; alone under it, it becomes a root, then joins "Other".
      m({ 'Message-ID': '<q1@x>', References: '<missing@x>', Subject: 'Re: Other' }, 3, 8),
      m({ Subject: 'Lunch' }, 4, 8),
      // Two replies to a missing message: a dummy holds them, and "Lunch" joins that dummy.
      m({ References: '<gone@x>', Subject: 'Re: lunch' }, 5, 8),
      m({ References: '<gone@x>', Subject: 'RE: Lunch' }, 6, 8),
    ]);
  });

  test('REFERENCES and ORDEREDSUBJECT, by sequence number and by UID', async () => {
    const c = await login('threader@contoso.com');
    await selectInbox(c);
    assert.equal(await answer(c, 't1', 'THREAD REFERENCES UTF-8 ALL'), '* THREAD (4 6)(1 (5)(2 3))((7)(8)(9))');
    assert.equal(await answer(c, 't2', 'UID THREAD REFERENCES US-ASCII ALL'), '* THREAD (5 7)(2 (6)(3 4))((8)(9)(10))');
    assert.equal(await answer(c, 't3', 'THREAD ORDEREDSUBJECT UTF-8 ALL'), '* THREAD (4 6)(1 (5)(2)(3))(7 (8)(9))');
    assert.equal(await answer(c, 't4', 'UID THREAD ORDEREDSUBJECT UTF-8 ALL'), '* THREAD (5 7)(2 (6)(3)(4))(8 (9)(10))');
  });

  test('only the messages that match are threaded; their missing parents become dummies', async () => {
    const c = await login('threader@contoso.com');
    await selectInbox(c);
    // Without 1–3, 5 hangs under a missing <p1@x> alone and is a root of its own.
    assert.equal(await answer(c, 'm1', 'THREAD REFERENCES UTF-8 4:9'), '* THREAD (4 6)(5)((7)(8)(9))');
    assert.equal(await answer(c, 'm2', 'THREAD REFERENCES UTF-8 UID 100:200'), '* THREAD');
    assert.equal(await answer(c, 'm3', 'THREAD ORDEREDSUBJECT UTF-8 SINCE 5-Nov-2026'), '* THREAD (8 9)');
    // Expunging "Plan" (1) renumbers the rest, and its two replies (now 4 and 1) share a
    // dummy parent in its place.
    assert.match(await c.status('m4', 'STORE 1 +FLAGS.SILENT (\\Deleted)'), /^m4 OK /);
    assert.match(await c.status('m5', 'EXPUNGE'), /^m5 OK /);
    assert.equal(await answer(c, 'm6', 'THREAD REFERENCES UTF-8 ALL'), '* THREAD (3 5)((4)(1 2))((6)(7)(8))');
  });

  test('bad THREAD commands are BAD', async () => {
    const c = await login('threader@contoso.com');
    assert.match(await c.status('b0', 'THREAD REFERENCES UTF-8 ALL'), /^b0 BAD /);
    await c.command('s0', 'SELECT INBOX');
    for (const [i, bad] of ['THREAD BOGUS UTF-8 ALL', 'THREAD REFS UTF-8 ALL', 'THREAD REFERENCES UTF-8', 'THREAD (REFERENCES) UTF-8 ALL'].entries()) {
      assert.match(await c.status(`b${i + 1}`, bad), new RegExp(`^b${i + 1} BAD `), bad);
    }
    assert.match(await c.status('b9', 'THREAD REFERENCES X-NO-SUCH-CHARSET ALL'), /^b9 NO \[BADCHARSET /);
  });
});

describe('THREAD of a large folder, kept between commands', () => {
  const COUNT = 2100;
  before(async () => {
    await server.addUser('bigthreads');
    // Chains of replies within each of seven subjects, dates not in arrival order.
    const { store, folder } = await server.folderOf('bigthreads');
    await Promise.all(Array.from({ length: 8 }, async (_, lane) => {
      for (let i = lane + 1; i <= COUNT; i += 8) {
        const reply: Record<string, string> = i > 5 && i % 3 === 0 ? { 'In-Reply-To': `<b${i - 5}@threads.test>` } : {};
        await store.append(folder.id, {
          raw: Buffer.from(raw({ Subject: `${i % 3 === 0 ? 'Re: ' : ''}Topic ${i % 7}`, 'Message-ID': `<b${i}@threads.test>`, Date: new Date(Date.UTC(2026, 0, 1 + (i * 37) % 300)).toUTCString(), ...reply }, 'x')),
        });
      }
    }));
  });

  test('the same answer from the cache; a change is answered afresh, by UID and by sequence number', async () => {
    const c = await login('bigthreads@contoso.com');
    assert.match(await c.status('s0', 'SELECT INBOX'), /^s0 OK /);
    const held = threadCache.bytes;
    const first = await answer(c, 't1', 'UID THREAD REFERENCES US-ASCII ALL');
    assert.ok(threadCache.bytes > held, 'the answer is kept');
    assert.equal((first.match(/\d+/g) ?? []).length, COUNT);
    assert.equal(await answer(c, 't2', 'UID THREAD REFERENCES US-ASCII ALL'), first);

    // A reply to message 10 arrives: the next answer holds it, under message 10's thread.
    const appended = await c.command('a1', `APPEND INBOX {${raw({ Subject: 'Re: Topic 3', 'Message-ID': '<late@threads.test>', 'In-Reply-To': '<b10@threads.test>', Date: 'Mon, 02 Nov 2026 10:00:00 +0000' }, 'y').length}+}\r\n${raw({ Subject: 'Re: Topic 3', 'Message-ID': '<late@threads.test>', 'In-Reply-To': '<b10@threads.test>', Date: 'Mon, 02 Nov 2026 10:00:00 +0000' }, 'y')}`);
    const newUid = Number(/APPENDUID \d+ (\d+)/.exec(appended.at(-1)!)?.[1]);
    assert.ok(newUid > COUNT, appended.join('\n'));
    await c.command('n1', 'NOOP');
    const withReply = await answer(c, 't3', 'UID THREAD REFERENCES US-ASCII ALL');
    assert.notEqual(withReply, first);
    assert.match(withReply, new RegExp(`[ (]${newUid}[ )]`));
    // Only matching messages: a search that leaves the reply out gives the first answer again.
    assert.equal(await answer(c, 't4', `UID THREAD REFERENCES US-ASCII UID 1:${COUNT}`), first);

    // An expunge: by sequence number, each UID is replaced by its new position.
    assert.match(await c.status('f1', 'UID STORE 2 +FLAGS.SILENT (\\Deleted)'), /^f1 OK /);
    assert.match(await c.status('e1', 'EXPUNGE'), /^e1 OK /);
    const byUid = await answer(c, 't5', 'UID THREAD REFERENCES US-ASCII ALL');
    assert.doesNotMatch(byUid, /[ (]2[ )]/);
    const uids = (await c.command('u1', 'UID SEARCH ALL')).find((l) => l.startsWith('* SEARCH'))!.slice('* SEARCH '.length).split(' ').map(Number);
    const seqOf = new Map(uids.map((uid, i) => [uid, i + 1]));
    assert.equal(await answer(c, 't6', 'THREAD REFERENCES US-ASCII ALL'), byUid.replace(/\d+/g, (uid) => String(seqOf.get(Number(uid)))));
    // ORDEREDSUBJECT is kept apart from REFERENCES.
    const ordered = await answer(c, 't7', 'UID THREAD ORDEREDSUBJECT US-ASCII ALL');
    assert.notEqual(ordered, byUid);
    assert.equal(await answer(c, 't8', 'UID THREAD ORDEREDSUBJECT US-ASCII ALL'), ordered);
  });
});

describe('SORT and THREAD of ALL', () => {
  test("ALL is the session's messages that the store still holds: one expunged by another session is left out before it is reported", async () => {
    const c = await login('bigthreads@contoso.com');
    const other = await login('bigthreads@contoso.com');
    assert.match(await c.status('s0', 'SELECT INBOX'), /^s0 OK /);
    assert.match(await other.status('s0', 'SELECT INBOX'), /^s0 OK /);
    const numbers = (line: string) => (line.match(/\d+/g) ?? []).map(Number);
    const sorted = numbers(await answer(c, 'o1', 'SORT (ARRIVAL) US-ASCII ALL'));
    const threaded = numbers(await answer(c, 'o2', 'THREAD REFERENCES US-ASCII ALL'));
    assert.equal(sorted.length, threaded.length);
    // The other session expunges the third message. Sequence-number commands may not report an
    // expunge (RFC 3501 §7.4.1), so c's numbering stays; its answers leave out number 3.
    const uid = numbers((await c.command('f1', 'FETCH 3 (UID)')).find((l) => l.startsWith('* 3 FETCH'))!)[1]!;
    assert.match(await other.status('d1', `UID STORE ${uid} +FLAGS.SILENT (\\Deleted)`), /^d1 OK /);
    assert.match(await other.status('d2', `UID EXPUNGE ${uid}`), /^d2 OK /);
    const after3 = numbers(await answer(c, 'o3', 'SORT (ARRIVAL) US-ASCII ALL'));
    assert.deepEqual(after3, sorted.filter((n) => n !== 3));
    assert.deepEqual(numbers(await answer(c, 'o4', 'THREAD REFERENCES US-ASCII ALL')).sort((a, b) => a - b), threaded.filter((n) => n !== 3).sort((a, b) => a - b));
  });
});

describe('QUOTA over a session', () => {
  /** `* QUOTA "" (STORAGE used limit)` from the store's own figures, in KiB (RFC 9208 §5.1). */
  async function expectedQuota(alias: string, limitBytes: number): Promise<string> {
    const { store, mailbox } = await server.folderOf(alias);
    const usage = await store.usage(mailbox.id);
    assert.ok(usage.bytes > 0);
    return `* QUOTA "" (STORAGE ${Math.ceil(usage.bytes / 1024)} ${Math.floor(limitBytes / 1024)})`;
  }

  test("GETQUOTAROOT and GETQUOTA report the mailbox's usage and ProhibitSendReceiveQuota", async () => {
    const limit = 5 * 1024 * 1024;
    await server.dir.updateMailbox('quotum', { settings: { UseDatabaseQuotaDefaults: false, ProhibitSendReceiveQuota: limit } });
    await server.seed('quotum', raw({ Subject: 'one' }, 'x'.repeat(3000)));
    await server.seed('quotum', raw({ Subject: 'two' }, 'y'.repeat(5000)), { folder: 'Drafts' });
    const c = await login('quotum@contoso.com');
    const before = await expectedQuota('quotum', limit);
    assert.deepEqual(await c.command('g1', 'GETQUOTAROOT INBOX'), ['* QUOTAROOT INBOX ""', before, 'g1 OK GETQUOTAROOT completed.']);
    // Every folder shares the one root: the limit is on the whole mailbox.
    assert.deepEqual(await c.command('g2', 'GETQUOTAROOT Drafts'), ['* QUOTAROOT Drafts ""', before, 'g2 OK GETQUOTAROOT completed.']);
    assert.deepEqual(await c.command('g3', 'GETQUOTA ""'), [before, 'g3 OK GETQUOTA completed.']);
    // A message appended over IMAP counts at once.
    const added = raw({ Subject: 'three' }, 'z'.repeat(4000));
    assert.match(await c.status('g4', `APPEND INBOX {${added.length}+}\r\n${added}`), /^g4 OK /);
    const after = await expectedQuota('quotum', limit);
    assert.notEqual(after, before);
    assert.deepEqual(await c.command('g5', 'GETQUOTA ""'), [after, 'g5 OK GETQUOTA completed.']);
    // So does an administrator's change of the limit.
    await server.dir.updateMailbox('quotum', { settings: { ProhibitSendReceiveQuota: 2 * limit } });
    assert.deepEqual(await c.command('g6', 'GETQUOTA ""'), [await expectedQuota('quotum', 2 * limit), 'g6 OK GETQUOTA completed.']);
  });

  test("a mailbox on the database defaults reports the database's limit", async () => {
    await server.seed('defaults', raw({ Subject: 'one' }, 'x'.repeat(100)));
    const database = await server.dir.mailboxDatabase((await server.dir.requireMailbox('defaults')).database);
    const limit = database.settings.ProhibitSendReceiveQuota;
    assert.equal(typeof limit, 'number');
    const c = await login('defaults@contoso.com');
    assert.deepEqual(await c.command('d1', 'GETQUOTAROOT INBOX'), ['* QUOTAROOT INBOX ""', await expectedQuota('defaults', limit as number), 'd1 OK GETQUOTAROOT completed.']);
  });

  test('other roots do not exist, a missing folder is NO, and SETQUOTA is refused', async () => {
    const c = await login('quotum@contoso.com');
    assert.match(await c.status('x1', 'GETQUOTA "User quota"'), /^x1 NO \[NONEXISTENT\] /);
    assert.match(await c.status('x2', 'GETQUOTAROOT "No Such Folder"'), /^x2 NO /);
    assert.match(await c.status('x3', 'SETQUOTA "" (STORAGE 1)'), /^x3 NO \[NOPERM\] /);
    assert.match(await c.status('x4', 'GETQUOTA'), /^x4 BAD /);
  });
});
