// Raw-socket transcripts against the IMAP4 back end for the cases clients rarely exercise:
// commands in the wrong state, read-only EXAMINE, pipelining, synchronizing and LITERAL+
// literals, APPENDLIMIT, TRYCREATE, OVERQUOTA, when EXPUNGE may be sent (RFC 3501 §7.4.1),
// another session's changes, refused logons and MaxConnectionsPerUser.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually } from '../../helpers.ts';
import { ADMIN_PW, message, PASSWORD, RawClient, startServer, type TestServer } from './harness.ts';

let server: TestServer;
const open: RawClient[] = [];

async function login(user: string): Promise<RawClient> {
  const c = await RawClient.login(server.tlsPort, user);
  open.push(c);
  return c;
}

/**
 * Drops the `* n RECENT` noise a test does not look at and keeps what it asserts on. Which of
 * two sessions takes a new message's \\Recent depends on which hears of it first.
 */
const isRecentCount = (line: string) => /^\* \d+ RECENT$/.test(line);
const untaggedOf = (lines: string[]) => lines.filter((l) => l.startsWith('* ') && !isRecentCount(l));

/** The next line that is not a `* n RECENT` count. */
async function nextUpdate(c: RawClient): Promise<string> {
  for (;;) {
    const line = await c.line();
    if (!isRecentCount(line)) return line;
  }
}

before(async () => {
  server = await startServer();
  for (const alias of ['states', 'lit', 'expunge', 'quota', 'limit', 'pipe', 'saver', 'vanish', 'fields', 'condstore']) await server.addUser(alias);
  await server.addUser('off', { settings: { ImapEnabled: false } });
});

after(async () => {
  for (const c of open) c.close();
  await server?.stop();
});

describe('IMAP4 back end transcripts', () => {
  test('selected-state commands before SELECT are BAD; the session goes on', async () => {
    const c = await login('states@contoso.com');
    for (const [i, cmd] of ['FETCH 1 FLAGS', 'STORE 1 +FLAGS (\\Seen)', 'SEARCH ALL', 'UID SEARCH ALL', 'COPY 1 Drafts', 'MOVE 1 Drafts',
      'EXPUNGE', 'UID EXPUNGE 1', 'CLOSE', 'UNSELECT', 'CHECK', 'UID FETCH 1 FLAGS'].entries()) {
      assert.match(await c.status(`w${i}`, cmd), new RegExp(`^w${i} BAD `), cmd);
    }
    assert.deepEqual(await c.command('n1', 'NOOP'), ['n1 OK NOOP completed.']);
    // An unknown command and bad syntax are BAD too, and a missing folder is NO.
    assert.match(await c.status('x1', 'FROBNICATE'), /^x1 BAD /);
    assert.match(await c.status('x2', 'SELECT'), /^x2 BAD /);
    assert.match(await c.status('x3', 'FETCH 1 (FLAGS'), /^x3 BAD /);
    assert.match(await c.status('x4', 'SELECT "No Such Folder"'), /^x4 NO \[NONEXISTENT\] /);
    assert.match(await c.status('x5', 'STATUS "No Such Folder" (MESSAGES)'), /^x5 NO /);
    // ENABLE only before SELECT (RFC 5161 §3.1).
    await c.command('s1', 'SELECT INBOX');
    assert.match(await c.status('x6', 'ENABLE CONDSTORE'), /^x6 BAD /);
    assert.match(await c.status('x7', 'FETCH 1 FLAGS'), /^x7 OK /, 'an empty set is not an error');
  });

  test('EXAMINE is read-only: STORE, EXPUNGE and MOVE are refused, FETCH BODY[] leaves \\Seen alone', async () => {
    await server.seed('states', message('examined', 'read me'));
    const c = await login('states@contoso.com');
    const examine = await c.command('e1', 'EXAMINE INBOX');
    assert.equal(examine.at(-1), 'e1 OK [READ-ONLY] EXAMINE completed.');
    assert.ok(examine.includes('* OK [PERMANENTFLAGS ()] Read-only folder.'));
    assert.equal(await c.status('e2', 'STORE 1 +FLAGS (\\Seen)'), 'e2 NO [READ-ONLY] The folder is read-only.');
    assert.match(await c.status('e3', 'EXPUNGE'), /^e3 NO \[READ-ONLY\] /);
    assert.match(await c.status('e4', 'MOVE 1 Drafts'), /^e4 NO \[READ-ONLY\] /);
    const body = await c.command('e5', 'FETCH 1 (BODY[TEXT])');
    assert.match(body[0]!, /^\* 1 FETCH \(BODY\[TEXT\] \{9\}\r\nread me\r\n\)$/);
    // No session has seen the message yet: it is \\Recent here too, but EXAMINE does not take it.
    assert.deepEqual(await c.command('e6', 'FETCH 1 (FLAGS)'), ['* 1 FETCH (FLAGS (\\Recent))', 'e6 OK FETCH completed.']);
    // Copying out of a read-only folder is allowed.
    assert.match(await c.status('e7', 'COPY 1 Drafts'), /^e7 OK \[COPYUID /);
    // SELECT of the same folder makes it writable again; FETCH BODY[] then sets \Seen.
    await c.command('e8', 'SELECT INBOX');
    const seen = await c.command('e9', 'FETCH 1 (BODY[TEXT])');
    assert.match(seen[0]!, /FLAGS \(\\Seen( \\Recent)?\)/);
  });

  test('pipelined commands are answered in order, literals included', async () => {
    // Commands behind the LOGIN, in the same packet, reach the back end in order.
    const c = await RawClient.connect(server.tlsPort);
    open.push(c);
    c.write(`L1 LOGIN pipe@contoso.com ${PASSWORD}\r\nL2 NAMESPACE\r\nL3 STATUS INBOX (MESSAGES)\r\n`);
    assert.match(await c.line(), /^L1 OK \[CAPABILITY /);
    assert.deepEqual(await c.until('L3'), ['* NAMESPACE (("" "/")) NIL NIL', 'L2 OK NAMESPACE completed.', '* STATUS INBOX (MESSAGES 0)', 'L3 OK STATUS completed.']);
    const raw = message('pipelined', 'one');
    // Everything in one write: LITERAL+ needs no continuation, so a client may send it all at once.
    c.write([
      'p1 SELECT INBOX',
      `p2 APPEND INBOX (\\Seen) {${raw.length}+}\r\n${raw}`,
      'p3 NOOP',
      'p4 UID FETCH 1:* (FLAGS)',
      'p5 SEARCH SUBJECT pipelined',
      'p6 STATUS INBOX (MESSAGES)',
      '',
    ].join('\r\n'));
    const lines = await c.until('p6');
    const tagged = lines.filter((l) => /^p\d /.test(l));
    assert.deepEqual(tagged.map((l) => l.slice(0, 5)), ['p1 OK', 'p2 OK', 'p3 OK', 'p4 OK', 'p5 OK', 'p6 OK']);
    // The APPEND to the selected folder is announced before the APPEND's own OK or at the NOOP.
    assert.ok(lines.indexOf('* 1 EXISTS') > lines.indexOf(tagged[0]!) && lines.indexOf('* 1 EXISTS') < lines.indexOf(tagged[2]!), lines.join('\n'));
    assert.ok(lines.includes('* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))'), lines.join('\n'));
    assert.ok(lines.includes('* SEARCH 1'));
    assert.ok(lines.includes('* STATUS INBOX (MESSAGES 1)'));
  });

  test('synchronizing literals get a continuation; LITERAL+ does not; literals work in any argument', async () => {
    const c = await login('lit@contoso.com');
    const raw = message('literal', 'sync');
    c.send(`l1 APPEND INBOX {${raw.length}}`);
    assert.match(await c.line(), /^\+ /);
    c.write(`${raw}\r\n`);
    assert.match(await c.line(), /^l1 OK \[APPENDUID \d+ 1\] /);
    // A mailbox name as a literal, and a literal followed by more arguments.
    c.send('l2 SELECT {5}');
    assert.match(await c.line(), /^\+ /);
    c.send('INBOX');
    assert.equal((await c.until('l2')).at(-1), 'l2 OK [READ-WRITE] SELECT completed.');
    c.send('l3 SEARCH CHARSET UTF-8 SUBJECT {7+}');
    c.send('literal');
    assert.deepEqual(await c.until('l3'), ['* SEARCH 1', 'l3 OK SEARCH completed.']);
    // MULTIAPPEND: two messages, one with LITERAL+ and one synchronizing, one APPENDUID range.
    const a = message('first of two', 'a');
    const b = message('second of two', 'b');
    c.write(`l4 APPEND Drafts (\\Draft) {${a.length}+}\r\n${a} (\\Seen) "01-Nov-2026 10:00:00 +0800" {${b.length}}\r\n`);
    assert.match(await c.line(), /^\+ /);
    c.write(`${b}\r\n`);
    assert.match(await c.line(), /^l4 OK \[APPENDUID \d+ 1:2\] /);
    const drafts = await c.command('l5', 'STATUS Drafts (MESSAGES)');
    assert.equal(drafts[0], '* STATUS Drafts (MESSAGES 2)');
    const dated = await c.command('l6', 'EXAMINE Drafts');
    assert.equal(dated.at(-1), 'l6 OK [READ-ONLY] EXAMINE completed.');
    assert.deepEqual(await c.command('l7', 'FETCH 2 (FLAGS INTERNALDATE)'), [
      '* 2 FETCH (FLAGS (\\Seen \\Recent) INTERNALDATE "01-Nov-2026 02:00:00 +0000")',
      'l7 OK FETCH completed.',
    ]);
    // UID comes first in a FETCH response wherever the client asked for it.
    assert.deepEqual(await c.command('l8', 'FETCH 2 (FLAGS UID)'), ['* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))', 'l8 OK FETCH completed.']);
  });

  test('APPEND over APPENDLIMIT is NO [TOOBIG] before the bytes are sent, and the session goes on', async () => {
    await server.settings({ MaxSendSize: 4096, MaxReceiveSize: 8192 }, 'TransportConfig');
    try {
      const c = await login('lit@contoso.com');
      const caps = await c.command('c1', 'CAPABILITY');
      assert.match(caps[0]!, / APPENDLIMIT=8192( |$)/);
      c.send('t1 APPEND INBOX {8193}');
      assert.equal(await c.line(), 't1 NO [TOOBIG] The message is larger than the 8192-byte APPENDLIMIT.');
      assert.deepEqual(await c.command('t2', 'NOOP'), ['t2 OK NOOP completed.']);
      const fits = message('just fits', 'x'.repeat(8000)).slice(0, 8192);
      c.send(`t3 APPEND INBOX {${fits.length}}`);
      assert.match(await c.line(), /^\+ /);
      c.write(`${fits}\r\n`);
      assert.match(await c.line(), /^t3 OK \[APPENDUID /);
      // APPENDLIMIT is per message (RFC 7889): a MULTIAPPEND of two that each fit is accepted.
      const half = fits.slice(0, 6000);
      c.send(`t3m APPEND INBOX {${half.length}}`);
      assert.match(await c.line(), /^\+ /);
      c.write(`${half} {${half.length}}\r\n`);
      assert.match(await c.line(), /^\+ /);
      c.write(`${half}\r\n`);
      assert.match(await c.line(), /^t3m OK \[APPENDUID \d+ \d+:\d+\] /);
      // A LITERAL+ literal cannot be refused before it is sent: the connection ends with BYE.
      c.send('t4 APPEND INBOX {9000+}');
      assert.match(await c.line(), /^\* BYE \[TOOBIG\] /);
      await c.waitClosed();
    } finally {
      await server.settings({ MaxSendSize: 10 * 1024 * 1024, MaxReceiveSize: 10 * 1024 * 1024 }, 'TransportConfig');
    }
  });

  test('APPEND and COPY to a missing folder answer NO [TRYCREATE]; CREATE then makes it work', async () => {
    const c = await login('lit@contoso.com');
    const raw = message('nowhere', 'x');
    assert.match(await c.status('m1', `APPEND Missing {${raw.length}+}\r\n${raw}`), /^m1 NO \[TRYCREATE\] /);
    await c.command('m2', 'SELECT INBOX');
    assert.match(await c.status('m3', 'COPY 1 Missing'), /^m3 NO \[TRYCREATE\] /);
    assert.match(await c.status('m4', 'MOVE 1 Missing'), /^m4 NO \[TRYCREATE\] /);
    assert.equal(await c.status('m5', 'CREATE Missing'), 'm5 OK CREATE completed.');
    assert.match(await c.status('m6', 'COPY 1 Missing'), /^m6 OK \[COPYUID \d+ 1 1\] /);
    assert.match(await c.status('m7', 'CREATE Missing'), /^m7 NO \[ALREADYEXISTS\] /);
    assert.match(await c.status('m8', 'DELETE INBOX'), /^m8 NO /);
  });

  test('a full mailbox: APPEND and COPY answer NO [OVERQUOTA] and nothing is stored', async () => {
    const uid = await server.seed('quota', message('already here', 'x'.repeat(600)));
    assert.equal(uid, 1);
    await server.dir.updateMailbox('quota', { settings: { UseDatabaseQuotaDefaults: false, ProhibitSendReceiveQuota: 1024 } });
    const c = await login('quota@contoso.com');
    const raw = message('too much', 'y'.repeat(600));
    assert.match(await c.status('q1', `APPEND INBOX {${raw.length}+}\r\n${raw}`), /^q1 NO \[OVERQUOTA\] /);
    // MULTIAPPEND is all or nothing: the first message fits, the second does not.
    const small = message('small', 'z');
    assert.match(await c.status('q2', `APPEND Drafts {${small.length}+}\r\n${small} {${raw.length}+}\r\n${raw}`), /^q2 NO \[OVERQUOTA\] /);
    // Refused as a whole before anything was stored, so nothing had to be taken back.
    const { store, mailbox } = await server.folderOf('quota');
    assert.deepEqual(await store.recoverableItems(mailbox.id), []);
    await c.command('q3', 'SELECT INBOX');
    assert.match(await c.status('q4', 'COPY 1 Drafts'), /^q4 NO \[OVERQUOTA\] /);
    assert.deepEqual(await c.command('q5', 'STATUS Drafts (MESSAGES)'), ['* STATUS Drafts (MESSAGES 0)', 'q5 OK STATUS completed.']);
    // Moving inside the mailbox does not add to it, so a full mailbox can still be tidied up.
    assert.match(await c.status('q6', 'MOVE 1 Drafts'), /^q6 OK /);
  });

  test('EXPUNGE is held back during FETCH, STORE and SEARCH, and sent for their UID forms and NOOP', async () => {
    for (let i = 1; i <= 6; i++) await server.seed('expunge', message(`m${i}`, `body ${i}`));
    const a = await login('expunge@contoso.com');
    const b = await login('expunge@contoso.com');
    await a.command('a1', 'SELECT INBOX');
    await b.command('b1', 'SELECT INBOX');
    const expungeOther = async (seq: number, tag: string) => {
      await b.command(`${tag}s`, `STORE ${seq} +FLAGS.SILENT (\\Deleted)`);
      const lines = await b.command(`${tag}x`, 'EXPUNGE');
      assert.ok(lines.includes(`* ${seq} EXPUNGE`), lines.join('\n'));
    };
    const hasExpunge = (lines: string[]) => lines.some((l) => /^\* \d+ EXPUNGE$/.test(l));

    await expungeOther(2, 'x1');
    const fetch = await a.command('a2', 'FETCH 1:* (UID)');
    assert.equal(hasExpunge(fetch), false, fetch.join('\n'));
    assert.equal(fetch.at(-1), 'a2 OK FETCH completed.');
    // The message still counts in this session's numbering: 6 is still message 6.
    assert.ok(fetch.includes('* 6 FETCH (UID 6)'), fetch.join('\n'));
    const store = await a.command('a3', 'STORE 6 +FLAGS (\\Flagged)');
    assert.equal(hasExpunge(store), false, store.join('\n'));
    assert.ok(store.includes('* 6 FETCH (FLAGS (\\Flagged \\Recent))') || store.includes('* 6 FETCH (FLAGS (\\Flagged))'), store.join('\n'));
    const search = await a.command('a4', 'SEARCH ALL');
    assert.equal(hasExpunge(search), false, search.join('\n'));
    assert.equal(search[0], '* SEARCH 1 3 4 5 6');
    const noop = await a.command('a5', 'NOOP');
    assert.deepEqual(untaggedOf(noop), ['* 2 EXPUNGE', '* 5 EXISTS']);

    await expungeOther(3, 'x2');
    const uidFetch = await a.command('a6', 'UID FETCH 1:* (FLAGS)');
    assert.ok(uidFetch.includes('* 3 EXPUNGE'), uidFetch.join('\n'));
    await expungeOther(1, 'x3');
    const uidSearch = await a.command('a7', 'UID SEARCH ALL');
    assert.ok(uidSearch.includes('* 1 EXPUNGE'), uidSearch.join('\n'));
    assert.ok(uidSearch.includes('* SEARCH 3 5 6'), uidSearch.join('\n'));
    await expungeOther(1, 'x4');
    const uidStore = await a.command('a8', 'UID STORE 6 -FLAGS (\\Flagged)');
    assert.ok(uidStore.includes('* 1 EXPUNGE'), uidStore.join('\n'));
    // Two EXPUNGEs at once are sent highest first, so each number is right as it is applied.
    for (let i = 1; i <= 3; i++) await server.seed('expunge', message(`n${i}`, 'x'));
    await a.command('a9', 'NOOP');
    await b.command('b9', 'NOOP');
    await b.command('b10', 'STORE 1,3 +FLAGS.SILENT (\\Deleted)');
    await b.command('b11', 'EXPUNGE');
    const both = untaggedOf(await a.command('a10', 'CHECK'));
    assert.deepEqual(both, ['* 3 EXPUNGE', '* 1 EXPUNGE', '* 3 EXISTS']);
  });

  test("another session's flag changes and appends show on NOOP", async () => {
    const a = await login('expunge@contoso.com');
    const b = await login('expunge@contoso.com');
    await a.command('a1', 'SELECT INBOX');
    await b.command('b1', 'SELECT INBOX');
    await b.command('b2', 'STORE 2 +FLAGS.SILENT (\\Answered $Label1)');
    const raw = message('from b', 'x');
    await b.command('b3', `APPEND INBOX {${raw.length}+}\r\n${raw}`);
    const noop = untaggedOf(await a.command('a2', 'NOOP'));
    // $Label1 is new to the folder: FLAGS names it before any FETCH shows it (RFC 3501 §7.2.6).
    assert.deepEqual(noop, [
      '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1)',
      '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Label1 \\*)] Flags permitted.',
      '* 4 EXISTS',
      '* 2 FETCH (FLAGS (\\Answered $Label1))',
    ]);
    // Nothing twice.
    assert.deepEqual(await a.command('a3', 'NOOP'), ['a3 OK NOOP completed.']);
    // With CONDSTORE enabled the MODSEQ comes along.
    const c = await login('expunge@contoso.com');
    await c.command('c1', 'ENABLE CONDSTORE');
    await c.command('c2', 'SELECT INBOX');
    await b.command('b4', 'STORE 1 +FLAGS.SILENT (\\Seen)');
    const withModseq = untaggedOf(await c.command('c3', 'NOOP'));
    assert.equal(withModseq.length, 1);
    assert.match(withModseq[0]!, /^\* 1 FETCH \(FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/);
  });

  test('IDLE: EXISTS, EXPUNGE and FETCH are pushed as they happen; DONE ends it', async () => {
    const a = await login('expunge@contoso.com');
    const b = await login('expunge@contoso.com');
    await a.command('a1', 'SELECT INBOX');
    await b.command('b1', 'SELECT INBOX');
    const exists = Number(/MESSAGES (\d+)/.exec((await a.command('a2', 'STATUS INBOX (MESSAGES)'))[0]!)![1]);
    a.send('i1 IDLE');
    assert.equal(await a.line(), '+ idling');
    const raw = message('pushed', 'x');
    await b.command('b2', `APPEND INBOX {${raw.length}+}\r\n${raw}`);
    assert.equal(await nextUpdate(a), `* ${exists + 1} EXISTS`);
    await b.command('b3', 'STORE 1 +FLAGS.SILENT (\\Flagged)');
    assert.match(await nextUpdate(a), /^\* 1 FETCH \(FLAGS \(.*\\Flagged.*\)\)$/);
    await b.command('b4', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
    await nextUpdate(a);
    await b.command('b5', 'EXPUNGE');
    assert.deepEqual([await nextUpdate(a), await nextUpdate(a)], ['* 1 EXPUNGE', `* ${exists} EXISTS`]);
    a.send('DONE');
    assert.equal(await nextUpdate(a), 'i1 OK IDLE terminated.');
    assert.deepEqual(await a.command('a3', 'NOOP'), ['a3 OK NOOP completed.']);
    // IDLE in the authenticated state is allowed too, and anything but DONE ends it with BAD.
    await a.command('a4', 'UNSELECT');
    a.send('i2 IDLE');
    assert.equal(await a.line(), '+ idling');
    a.send('NOOP');
    assert.match(await a.line(), /^i2 BAD /);
  });

  test('a folder deleted under a session: its own DELETE unselects, another session gets BYE', async () => {
    const a = await login('states@contoso.com');
    const b = await login('states@contoso.com');
    // A DELETE that fails leaves the selection alone.
    await a.command('d1', 'SELECT INBOX');
    assert.match(await a.status('d2', 'DELETE INBOX'), /^d2 NO \[CANNOT\] /);
    assert.match(await a.status('d3', 'FETCH 1 FLAGS'), /^d3 OK /);
    // Deleting the selected folder itself succeeds and leaves nothing selected.
    await a.command('d4', 'CREATE Doomed');
    await a.command('d5', 'SELECT Doomed');
    assert.deepEqual(await a.command('d6', 'DELETE Doomed'), ['d6 OK DELETE completed.']);
    assert.match(await a.status('d7', 'FETCH 1 FLAGS'), /^d7 BAD /);
    // Another session's DELETE: the next command, or IDLE at once, ends the connection.
    for (const idle of [false, true]) {
      await b.command('d8', 'CREATE Doomed');
      const c = await login('states@contoso.com');
      await c.command('d9', 'SELECT Doomed');
      if (idle) {
        c.send('d10 IDLE');
        assert.equal(await c.line(), '+ idling');
      }
      await b.command('d11', 'DELETE Doomed');
      if (!idle) c.send('d10 NOOP');
      assert.equal(await c.line(), '* BYE The selected folder was deleted.');
      await c.waitClosed();
    }
  });

  test('QRESYNC: a SELECT while a folder is selected starts with OK [CLOSED] (RFC 7162 §3.2.11)', async () => {
    const c = await login('saver@contoso.com');
    await c.command('q1', 'ENABLE QRESYNC');
    const first = await c.command('q2', 'SELECT INBOX');
    assert.ok(!first.some((l) => l.includes('[CLOSED]')), 'nothing was selected before');
    const second = await c.command('q3', 'EXAMINE Drafts');
    assert.equal(second[0], '* OK [CLOSED] Previous folder closed.');
    assert.equal(second.filter((l) => l.includes('[CLOSED]')).length, 1);
  });

  test('SEARCH RETURN (SAVE MIN) keeps only the smallest match in $ (RFC 5182)', async () => {
    const c = await login('saver@contoso.com');
    for (let i = 0; i < 3; i++) await c.command(`s${i}`, `APPEND INBOX {${message('saved', 'x').length}+}\r\n${message('saved', 'x')}`);
    await c.command('s3', 'SELECT INBOX');
    const all = (await c.command('s4', 'UID SEARCH SUBJECT saved'))[0]!.split(' ').slice(2).map(Number);
    assert.equal(all.length, 3);
    assert.deepEqual(await c.command('s5', 'UID SEARCH RETURN (SAVE MIN) SUBJECT saved'), [`* ESEARCH (TAG "s5") UID MIN ${all[0]}`, 's5 OK SEARCH completed.']);
    assert.deepEqual(await c.command('s6', 'UID SEARCH UID $'), [`* SEARCH ${all[0]}`, 's6 OK SEARCH completed.']);
    assert.deepEqual(await c.command('s7', 'UID SEARCH RETURN (SAVE) SUBJECT saved'), ['s7 OK SEARCH completed.']);
    assert.deepEqual(await c.command('s8', 'UID FETCH $ (UID)'), all.map((u, i) => `* ${i + 1} FETCH (UID ${u})`).concat('s8 OK FETCH completed.'));
  });

  test('SEARCH HEADER <field> "" finds the messages that have the field (RFC 3501 §6.4.4)', async () => {
    await server.seed('fields', 'From: a@fabrikam.com\r\nSubject: hello beautiful world\r\n\r\nbody\r\n');
    await server.seed('fields', 'From: b@fabrikam.com\r\nX-Extra: hello beautiful header\r\nCc: c@fabrikam.com\r\n\r\nbody\r\n');
    const c = await login('fields@contoso.com');
    await c.command('f1', 'SELECT INBOX');
    assert.deepEqual(await c.command('f2', 'SEARCH HEADER SUBJECT ""'), ['* SEARCH 1', 'f2 OK SEARCH completed.']);
    assert.deepEqual(await c.command('f3', 'SEARCH NOT HEADER SUBJECT ""'), ['* SEARCH 2', 'f3 OK SEARCH completed.']);
    assert.deepEqual(await c.command('f4', 'SEARCH HEADER X-Extra ""'), ['* SEARCH 2', 'f4 OK SEARCH completed.']);
    assert.deepEqual(await c.command('f5', 'SEARCH CC ""'), ['* SEARCH 2', 'f5 OK SEARCH completed.']);
    assert.deepEqual(await c.command('f6', 'SEARCH HEADER FROM ""'), ['* SEARCH 1 2', 'f6 OK SEARCH completed.']);
    // BODY and TEXT "" are no field: every message matches.
    assert.deepEqual(await c.command('f7', 'SEARCH BODY ""'), ['* SEARCH 1 2', 'f7 OK SEARCH completed.']);
  });

  test('SEARCH FROM/TO/CC match the address and the display name in every form', async () => {
    const c = await login('fields@contoso.com');
    await c.command('a0', 'CREATE Addresses');
    const heads = [
      'From: user-from@domain.org\r\nTo: user-to@domain.org\r\nCc: user-cc@domain.org',
      'From: RealFrom <user-from@domain.org>\r\nTo: RealTo <user-to@domain.org>',
      'From: <user-from (comment)@ (comment) domain.org>\r\nTo: <user-to@domain.org>',
      'From: user-from@domain.org (RealFrom)\r\nCc: user-cc@domain.org (RealCc)',
      'From: user-from1@domain.org, user-from2@domain.org\r\nCc: user-cc@domain.org',
      'From: RealFrom <user-from@domain.org>\r\nTo: groupname: groupuser1@domain.org, groupuser2@domain.org;,\r\n  groupname2: groupuser3@domain.org;',
      'From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@x.org>\r\nTo: groupname:;',
    ];
    for (const [i, head] of heads.entries()) {
      const raw = `${head}\r\nSubject: ${i + 1}\r\n\r\nbody\r\n`;
      assert.match(await c.status(`a${i + 1}`, `APPEND Addresses {${Buffer.byteLength(raw)}+}\r\n${raw}`), /OK/);
    }
    await c.command('s0', 'SELECT Addresses');
    const searches: [string, string][] = [
      ['FROM user-from@domain.org', '1 2 3 4 6'],
      ['FROM realfrom', '2 4 6'],
      ['FROM comment', ''],
      ['FROM user-from2', '5'],
      ['TO user-to@domain.org', '1 2 3'],
      ['TO groupname', '6 7'],
      ['TO groupname2', '6'],
      ['TO groupuser3', '6'],
      ['CC realcc', '4'],
      ['HEADER TO ""', '1 2 3 6 7'],
      // The search string in UTF-8 as a literal, matched against the decoded display name.
      [`CHARSET UTF-8 FROM {${Buffer.byteLength('JÖRG')}+}\r\nJÖRG`, '7'],
    ];
    for (const [i, [criteria, want]] of searches.entries()) {
      assert.deepEqual(await c.command(`s${i + 1}`, Buffer.from(`SEARCH ${criteria}`)), [`* SEARCH${want ? ` ${want}` : ''}`, `s${i + 1} OK SEARCH completed.`], criteria);
    }
  });

  test('CONDSTORE turned on by FETCH MODSEQ: HIGHESTMODSEQ once, MODSEQ in STORE replies and ESEARCH (RFC 7162, RFC 4731 §3.2)', async () => {
    for (let i = 1; i <= 4; i++) await server.seed('condstore', message(`m${i}`, 'x'));
    const c = await login('condstore@contoso.com');
    const selected = await c.command('c1', 'SELECT INBOX');
    const highest = selected.find((l) => l.startsWith('* OK [HIGHESTMODSEQ '));
    assert.ok(highest, selected.join('\n'));
    // The first CONDSTORE enabling command with a folder selected repeats its HIGHESTMODSEQ.
    const first = await c.command('c2', 'FETCH 1 MODSEQ');
    assert.deepEqual(first.slice(0, 1).concat(first.slice(-1)), [highest, 'c2 OK FETCH completed.']);
    assert.match(first[1]!, /^\* 1 FETCH \(MODSEQ \(\d+\)\)$/);
    assert.equal(first.length, 3);
    assert.equal((await c.command('c3', 'FETCH 1 MODSEQ')).length, 2, 'only once');
    // STORE replies carry MODSEQ from then on. Stored in the order 1, 3, 2, 4.
    const modseqs = new Map<number, number>();
    for (const n of [1, 3, 2, 4]) {
      const reply = await c.command(`s${n}`, `STORE ${n} +FLAGS (\\Seen)`);
      const m = new RegExp(`^\\* ${n} FETCH \\(FLAGS \\([^)]*\\) MODSEQ \\((\\d+)\\)\\)$`).exec(reply[0]!);
      assert.ok(m, reply.join('\n'));
      modseqs.set(n, Number(m[1]));
    }
    const [m1, m2, m3, m4] = [1, 2, 3, 4].map((n) => modseqs.get(n)!);
    // The MODSEQ of an ESEARCH is the highest of the messages it returns: MIN's, MAX's, the
    // higher of the two, or all of them with ALL or COUNT.
    const searches: [string, string][] = [
      ['RETURN (MIN) 1:3 MODSEQ "/flags/\\\\seen" all 1', `MIN 1 MODSEQ ${m1}`],
      ['RETURN (MAX) 1:3 MODSEQ "/flags/\\\\seen" all 1', `MAX 3 MODSEQ ${m3}`],
      ['RETURN () 1:3 MODSEQ "/flags/\\\\seen" all 1', `ALL 1:3 MODSEQ ${m2}`],
      ['RETURN (MIN MAX) 2:3 MODSEQ "/flags/\\\\seen" all 1', `MIN 2 MAX 3 MODSEQ ${m2}`],
      [`RETURN (ALL) 2:3 MODSEQ "/flags/\\\\seen" all ${m3}`, `ALL 2:3 MODSEQ ${m2}`],
      [`RETURN (ALL) 2:3 MODSEQ "/flags/\\\\seen" all ${m2}`, `ALL 2 MODSEQ ${m2}`],
      [`RETURN (COUNT) 1:4 MODSEQ ${m3}`, `COUNT 3 MODSEQ ${m4}`],
      [`RETURN (ALL) 2:3 MODSEQ "/flags/\\\\seen" all ${m4}`, ''],
    ];
    for (const [i, [criteria, want]] of searches.entries()) {
      assert.deepEqual(await c.command(`e${i}`, `SEARCH ${criteria}`), [`* ESEARCH (TAG "e${i}")${want ? ` ${want}` : ''}`, `e${i} OK SEARCH completed.`], criteria);
    }
    assert.deepEqual(await c.command('p1', `SEARCH MODSEQ ${m3}`), [`* SEARCH 2 3 4 (MODSEQ ${m4})`, 'p1 OK SEARCH completed.']);

    // STATUS HIGHESTMODSEQ and SEARCH MODSEQ enable CONDSTORE as well, and say so the same way.
    for (const [tag, command, change] of [['t1', 'STATUS Drafts (HIGHESTMODSEQ)', '+'], ['t2', 'SEARCH MODSEQ 1', '-']] as const) {
      const d = await login('condstore@contoso.com');
      const again = (await d.command('d1', 'SELECT INBOX')).find((l) => l.startsWith('* OK [HIGHESTMODSEQ '));
      const reply = await d.command(tag, command);
      assert.equal(reply[0], again, command);
      assert.equal(reply.filter((l) => l.startsWith('* OK [HIGHESTMODSEQ ')).length, 1, command);
      assert.match((await d.command('d2', `STORE 1 ${change}FLAGS (\\Flagged)`))[0]!, /MODSEQ \(\d+\)\)$/, command);
    }
  });

  test('SEARCH SENTBEFORE/SENTON/SENTSINCE compare the Date field\'s own day, whatever its zone', async () => {
    const c = await login('fields@contoso.com');
    await c.command('d0', 'CREATE Dates');
    const dates = [
      'Sat, 24 Mar 2007 23:00:00 +0200',
      'Sun, 25 Mar 2007 00:00:00 +0200', // 24 March in UTC
      'Sun, 25 Mar 2007 04:00:00 +0300',
      'Sun, 25 Mar 2007 23:00:00 +0300',
      'Mon, 26 Mar 2007 00:00:00 +0300', // 25 March in UTC
      'Sat, 24 Mar 2007 20:00:00 -0500', // 25 March in UTC
      null,
    ];
    for (const [i, date] of dates.entries()) {
      const raw = `${date ? `Date: ${date}\r\n` : ''}Subject: ${i + 1}\r\n\r\nbody\r\n`;
      assert.match(await c.status(`d${i + 1}`, `APPEND Dates {${raw.length}+}\r\n${raw}`), /OK/);
    }
    await c.command('s0', 'SELECT Dates');
    const searches: [string, string][] = [
      ['SENTON 24-Mar-2007', '1 6'],
      ['SENTON 25-Mar-2007', '2 3 4'],
      ['SENTON 26-Mar-2007', '5'],
      ['SENTBEFORE 25-Mar-2007', '1 6 7'],
      ['SENTSINCE 26-Mar-2007', '5'],
      ['NOT SENTON 25-Mar-2007', '1 5 6 7'],
      // No Date field: sent on 1 January 1970, as Dovecot counts it.
      ['SENTON 1-Jan-1970', '7'],
      ['1:6 SENTSINCE 24-Mar-2007', '1 2 3 4 5 6'],
    ];
    for (const [i, [criteria, want]] of searches.entries()) {
      assert.deepEqual(await c.command(`s${i + 1}`, `SEARCH ${criteria}`), [`* SEARCH${want ? ` ${want}` : ''}`, `s${i + 1} OK SEARCH completed.`], criteria);
    }
  });

  test('the Administrator and a user with ImapEnabled $false cannot log on', async () => {
    for (const [user, password] of [['administrator@contoso.com', ADMIN_PW], ['off@contoso.com', PASSWORD]] as const) {
      const c = await RawClient.connect(server.tlsPort);
      open.push(c);
      assert.match(await c.status('l1', `LOGIN ${user} ${password}`), /^l1 NO /, user);
      // Still not authenticated: a back-end command is refused.
      assert.match(await c.status('l2', 'SELECT INBOX'), /^l2 BAD /, user);
    }
  });

  test('MaxConnectionsPerUser: the connection over the limit is refused until one closes', async () => {
    await server.settings({ MaxConnectionsPerUser: 2 });
    try {
      const first = await login('limit@contoso.com');
      await login('limit@contoso.com');
      const third = await RawClient.connect(server.tlsPort);
      open.push(third);
      const refused = await third.status('l1', `LOGIN limit@contoso.com ${PASSWORD}`);
      assert.match(refused, /^l1 NO \[LIMIT\] /);
      // The refused logon left no trace: after one session ends, a new one gets in.
      first.send('z LOGOUT');
      await first.waitClosed();
      assert.match(await third.status('l2', `LOGIN limit@contoso.com ${PASSWORD}`), /^l2 OK /);
      // A client that just drops the connection frees its slot as well.
      const fourth = await RawClient.connect(server.tlsPort);
      open.push(fourth);
      assert.match(await fourth.status('l3', `LOGIN limit@contoso.com ${PASSWORD}`), /^l3 NO \[LIMIT\] /);
      third.close();
      await eventually(async () => /^l4\d* OK /.test(await fourth.status(`l4${Date.now() % 1000}`, `LOGIN limit@contoso.com ${PASSWORD}`)), 3000, 50);
      // Clients that leave while their logon is on its way to the back end (held there, as a
      // slow mailbox database would): the sessions that start after they left must give their
      // slots back too.
      const release = server.holdBackend();
      const opens = server.backendOpens();
      const leaving: RawClient[] = [];
      for (let i = 0; i < 2; i++) {
        const gone = await RawClient.connect(server.tlsPort);
        gone.send(`v LOGIN vanish@contoso.com ${PASSWORD}`);
        leaving.push(gone);
      }
      await eventually(() => server.backendOpens() === opens + 2, 5000, 10);
      // end(), not destroy(): a clean close, which the server answers by closing its side.
      for (const gone of leaving) gone.socket.end();
      for (const gone of leaving) await gone.waitClosed();
      release();
      // The held logons now finish and find their clients gone; both slots come back. A
      // refused logon takes no slot (above), so asking again until one is let in is fair.
      for (const tag of ['v1', 'v2']) {
        const c = await RawClient.connect(server.tlsPort);
        open.push(c);
        let tries = 0;
        await eventually(async () => {
          const t = `${tag}x${++tries}`;
          return (await c.status(t, `LOGIN vanish@contoso.com ${PASSWORD}`)).startsWith(`${t} OK `);
        }, 5000);
      }
    } finally {
      await server.settings({ MaxConnectionsPerUser: 16 });
    }
  });

  test('an over-long line, a garbage line and a client that vanishes mid-APPEND', async () => {
    const c = await login('lit@contoso.com');
    c.send(`g1 NOOP ${'x'.repeat(100 * 1024)}`);
    assert.equal(await c.line(), 'g1 BAD Command line too long.');
    c.send(Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x20, 0x0b]));
    assert.match(await c.line(), /BAD/);
    assert.deepEqual(await c.command('g2', 'NOOP'), ['g2 OK NOOP completed.']);
    const { store, folder } = await server.folderOf('lit', 'INBOX');
    const before = (await store.status(folder.id)).messages;
    const sessions = () => server.host.liveSessions().filter((x) => x.user === 'lit@contoso.com').length;
    const others = sessions();
    const d = await login('lit@contoso.com');
    assert.equal(sessions(), others + 1);
    // The part of the literal is on its way before the connection drops.
    await new Promise<void>((resolve) => d.socket.write('v1 APPEND INBOX {1000+}\r\nSubject: cut off\r\n\r\nonly part of it', () => resolve()));
    d.close();
    // The server has closed d's session: whatever it was going to do with the cut-off APPEND is done.
    await eventually(() => sessions() === others, 5000);
    assert.equal((await store.status(folder.id)).messages, before, 'nothing half-stored');
  });
});
