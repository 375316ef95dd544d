// What a session tells its client about the selected folder, over real sockets, with several
// sessions on one mailbox:
// - a keyword reaches the client in FLAGS (and PERMANENTFLAGS) before any FETCH shows it, however
//   it got into the folder: this session's STORE, another session's STORE, APPEND or COPY, a
//   delivery, or a FETCH that reads newer flags than the session last announced (RFC 3501 §7.2.6);
// - \Recent belongs to exactly one session, the first to hear of the message; STATUS counts the
//   messages no session has heard of; SEARCH RECENT/NEW/OLD follow the session (RFC 3501 §2.3.2);
// - with QRESYNC, SELECT reports what vanished since the client's MODSEQ, and expunges arrive as
//   VANISHED rather than EXPUNGE (RFC 7162 §3.2.5, §3.2.10);
// - a client that announces a literal shorter than what it sends gets BAD for the command and
//   for each stray line, and the session stays in step.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { message, RawClient, startServer, type TestServer } from './harness.ts';

let server: TestServer;
const open: RawClient[] = [];

async function login(user: string): Promise<RawClient> {
  const c = await RawClient.login(server.tlsPort, `${user}@contoso.com`);
  open.push(c);
  return c;
}

const SYSTEM = '\\Answered \\Flagged \\Deleted \\Seen \\Draft';
const flagsLine = (keywords: string) => `* FLAGS (${SYSTEM}${keywords ? ` ${keywords}` : ''})`;
const permanentLine = (keywords: string) => `* OK [PERMANENTFLAGS (${SYSTEM}${keywords ? ` ${keywords}` : ''} \\*)] Flags permitted.`;
const untagged = (lines: string[]) => lines.filter((l) => l.startsWith('* '));

/** Asserts that FLAGS naming `keyword` comes before the first line matching `shown`. */
function announcedBefore(lines: string[], keyword: string, shown: RegExp): void {
  const flags = lines.findIndex((l) => l.startsWith('* FLAGS (') && l.includes(` ${keyword}`));
  const use = lines.findIndex((l) => shown.test(l));
  assert.ok(flags >= 0, `FLAGS names ${keyword}:\n${lines.join('\n')}`);
  assert.ok(use >= 0, `${shown} is there:\n${lines.join('\n')}`);
  assert.ok(flags < use, `FLAGS comes first:\n${lines.join('\n')}`);
}

before(async () => {
  server = await startServer();
  for (const alias of ['kw1', 'kw2', 'kw3', 'rc1', 'rc2', 'rc3', 'rc4', 'rc5', 'qr1', 'qr2', 'strays']) await server.addUser(alias);
});

after(async () => {
  for (const c of open) c.close();
  await server?.stop();
});

describe('keywords are announced in FLAGS before they are used', () => {
  test("this session's STORE: FLAGS and PERMANENTFLAGS come first, for .SILENT too", async () => {
    await server.seed('kw1', message('one', 'x'));
    await server.seed('kw1', message('two', 'x'));
    const c = await login('kw1');
    const select = await c.command('k1', 'SELECT INBOX');
    assert.ok(select.includes(flagsLine('')), select.join('\n'));
    assert.deepEqual(await c.command('k2', 'STORE 1 +FLAGS ($Todo)'), [
      flagsLine('$Todo'),
      permanentLine('$Todo'),
      '* 1 FETCH (FLAGS ($Todo \\Recent))',
      'k2 OK STORE completed.',
    ]);
    // Keywords compare without regard to case: $todo is not new.
    assert.deepEqual(await c.command('k3', 'STORE 2 +FLAGS ($todo)'), ['* 2 FETCH (FLAGS ($todo \\Recent))', 'k3 OK STORE completed.']);
    // .SILENT asks for no FETCH, but the new keyword is still announced.
    assert.deepEqual(await c.command('k4', 'STORE 2 +FLAGS.SILENT (Work)'), [
      flagsLine('$Todo Work'),
      permanentLine('$Todo Work'),
      'k4 OK STORE completed.',
    ]);
    // Taking a keyword off every message does not take it out of FLAGS while the folder stays
    // selected: the list only grows, so the client never loses a keyword it still holds.
    assert.deepEqual(await c.command('k5', 'STORE 1:2 -FLAGS.SILENT ($Todo)'), ['k5 OK STORE completed.']);
    // A new SELECT lists the keywords its messages carry.
    const again = await c.command('k6', 'SELECT INBOX');
    assert.ok(again.includes(flagsLine('Work')), again.join('\n'));
    assert.ok(again.includes(permanentLine('Work')), again.join('\n'));
  });

  test("another session's STORE, APPEND and COPY, a delivery, and a FETCH that reads newer flags", async () => {
    await server.seed('kw2', message('first', 'x'));
    await server.seed('kw2', message('draft', 'x'), { folder: 'Drafts', flags: ['$Copied'] });
    const a = await login('kw2');
    const b = await login('kw2');
    await a.command('a1', 'SELECT INBOX');
    await b.command('b1', 'SELECT INBOX');

    // STORE elsewhere: at a's next sync, FLAGS before the FETCH.
    await b.command('b2', 'STORE 1 +FLAGS.SILENT ($Urgent)');
    assert.deepEqual(untagged(await a.command('a2', 'NOOP')), [flagsLine('$Urgent'), permanentLine('$Urgent'), '* 1 FETCH (FLAGS ($Urgent \\Recent))']);

    // APPEND with a keyword: FLAGS before the EXISTS that brings the message.
    const raw = message('later', 'x');
    await b.command('b3', `APPEND INBOX ($Later) {${raw.length}+}\r\n${raw}`);
    const afterAppend = await a.command('a3', 'NOOP');
    announcedBefore(afterAppend, '$Later', /^\* 2 EXISTS$/);
    assert.ok(afterAppend.includes(permanentLine('$Urgent $Later')), afterAppend.join('\n'));
    assert.match((await a.command('a4', 'FETCH 2 (FLAGS)'))[0]!, /^\* 2 FETCH \(FLAGS \(\$Later( \\Recent)?\)\)$/);

    // COPY from another folder.
    const c = await login('kw2');
    await c.command('c1', 'SELECT Drafts');
    assert.match(await c.status('c2', 'COPY 1 INBOX'), /^c2 OK \[COPYUID /);
    announcedBefore(await a.command('a5', 'NOOP'), '$Copied', /^\* 3 EXISTS$/);

    // A delivery while the session is in IDLE.
    a.send('i1 IDLE');
    assert.equal(await a.line(), '+ idling');
    await server.seed('kw2', message('delivered', 'x'), { flags: ['$Delivered'] });
    const pushed = [await a.line(1000), await a.line(1000), await a.line(1000)];
    assert.deepEqual(pushed, [flagsLine('$Urgent $Later $Copied $Delivered'), permanentLine('$Urgent $Later $Copied $Delivered'), '* 4 EXISTS']);
    a.send('DONE');
    const done = await a.until('i1');
    assert.equal(done.at(-1), 'i1 OK IDLE terminated.');

    // FETCH reads the store, which may be ahead of what the session last announced: the keyword
    // is announced before that FETCH shows it, not only at the sync after it.
    await b.command('b4', 'STORE 1 +FLAGS.SILENT ($Fresh)');
    const fetched = await a.command('a6', 'FETCH 1 (FLAGS)');
    announcedBefore(fetched, '$Fresh', /^\* 1 FETCH \(FLAGS \(\$Fresh \$Urgent \\Recent\)\)$/);
    assert.equal(fetched.filter((l) => l.startsWith('* FLAGS ')).length, 1, fetched.join('\n'));
  });

  test('EXAMINE: a new keyword is announced in FLAGS; PERMANENTFLAGS stays the empty list of SELECT time', async () => {
    await server.seed('kw3', message('one', 'x'));
    const e = await login('kw3');
    const b = await login('kw3');
    const examine = await e.command('e1', 'EXAMINE INBOX');
    assert.ok(examine.includes('* OK [PERMANENTFLAGS ()] Read-only folder.'), examine.join('\n'));
    await b.command('b1', 'SELECT INBOX');
    await b.command('b2', 'STORE 1 +FLAGS.SILENT ($Seen2)');
    // e heard of the message first, so it stays \Recent here, though b's SELECT took it.
    assert.deepEqual(untagged(await e.command('e2', 'NOOP')), [flagsLine('$Seen2'), '* 1 FETCH (FLAGS ($Seen2 \\Recent))']);
  });
});

describe('\\Recent belongs to one session (RFC 3501 §2.3.2)', () => {
  test('a new message is recent in the first session to hear of it; STATUS counts it until then', async () => {
    const a = await login('rc1');
    const b = await login('rc1');
    const c = await login('rc1');
    await a.command('a1', 'SELECT INBOX');
    await b.command('b1', 'SELECT INBOX');
    const raw = message('arrives', 'x');
    assert.match(await c.status('c1', `APPEND INBOX {${raw.length}+}\r\n${raw}`), /^c1 OK /);
    // Neither selected session has synced yet: nobody has heard of it.
    assert.deepEqual(await c.command('c2', 'STATUS INBOX (MESSAGES RECENT)'), ['* STATUS INBOX (MESSAGES 1 RECENT 1)', 'c2 OK STATUS completed.']);
    assert.deepEqual(await a.command('a2', 'NOOP'), ['* 1 EXISTS', '* 1 RECENT', 'a2 OK NOOP completed.']);
    assert.deepEqual(await b.command('b2', 'NOOP'), ['* 1 EXISTS', 'b2 OK NOOP completed.']);
    assert.deepEqual(await a.command('a3', 'FETCH 1 (FLAGS)'), ['* 1 FETCH (FLAGS (\\Recent))', 'a3 OK FETCH completed.']);
    assert.deepEqual(await b.command('b3', 'FETCH 1 (FLAGS)'), ['* 1 FETCH (FLAGS ())', 'b3 OK FETCH completed.']);
    assert.deepEqual(await c.command('c3', 'STATUS INBOX (RECENT)'), ['* STATUS INBOX (RECENT 0)', 'c3 OK STATUS completed.']);

    // SEARCH answers RECENT, NEW (RECENT UNSEEN) and OLD for the session that asks.
    assert.equal((await a.command('a4', 'SEARCH RECENT'))[0], '* SEARCH 1');
    assert.equal((await a.command('a5', 'SEARCH NEW'))[0], '* SEARCH 1');
    assert.equal((await a.command('a6', 'SEARCH OLD'))[0], '* SEARCH');
    assert.equal((await b.command('b4', 'SEARCH RECENT'))[0], '* SEARCH');
    assert.equal((await b.command('b5', 'SEARCH OLD'))[0], '* SEARCH 1');
    await a.command('a7', 'STORE 1 +FLAGS.SILENT (\\Seen)');
    assert.equal((await a.command('a8', 'SEARCH NEW'))[0], '* SEARCH');
    assert.equal((await a.command('a9', 'UID SEARCH RECENT SEEN'))[0], '* SEARCH 1');

    // A later session finds nothing recent.
    const d = await login('rc1');
    assert.ok((await d.command('d1', 'SELECT INBOX')).includes('* 0 RECENT'));
  });

  test('FETCH of UID, FLAGS and MODSEQ alone: the items in the order asked, \\Recent where held, every order alike', async () => {
    // These go the light way (built as bytes from the folder map); the same items with another
    // one (RFC822.SIZE) go the general way, and both must say the same.
    for (const subject of ['one', 'two', 'three']) await server.seed('rc5', message(subject, 'x'));
    const a = await login('rc5');
    await a.command('r1', 'ENABLE CONDSTORE');
    await a.command('r2', 'SELECT INBOX');
    await a.command('r3', 'STORE 2 +FLAGS.SILENT (\\Seen $Later)');
    const raw = message('four', 'x');
    await a.status('r4', `APPEND INBOX {${raw.length}+}\r\n${raw}`);
    await a.command('r5', 'NOOP');
    const general = (await a.command('r6', 'FETCH 1:* (UID FLAGS MODSEQ RFC822.SIZE)')).filter((l) => l.startsWith('* ') && l.includes('FETCH'));
    const facts = general.map((l) => {
      const [, seq, uid, flags, modseq] = /^\* (\d+) FETCH \(UID (\d+) FLAGS \(([^)]*)\) MODSEQ \((\d+)\)/.exec(l)!;
      return { seq: seq!, uid: uid!, flags: flags!, modseq: modseq! };
    });
    assert.equal(facts.length, 4);
    // The seeded messages were recent in this session's SELECT, the appended one after its NOOP.
    assert.ok(facts.every((f) => f.flags.includes('\\Recent')), general.join('\n'));
    assert.ok(facts[1]!.flags.includes('$Later') && facts[1]!.flags.includes('\\Seen'));
    // Each order of the items: the light answer equals the general one less its RFC822.SIZE.
    for (const [i, items] of ['UID FLAGS', 'FLAGS MODSEQ UID', 'MODSEQ FLAGS', 'MODSEQ', 'UID', 'FLAGS'].entries()) {
      const light = await a.command(`o${i}`, `FETCH 1:* (${items})`);
      const general = await a.command(`o${i}`, `FETCH 1:* (${items} RFC822.SIZE)`);
      assert.equal(light.length, 5, light.join('\n'));
      assert.deepEqual(light, general.map((l) => l.replace(/ ?RFC822\.SIZE \d+/, '').replace('( ', '(')), items);
      for (const [k, f] of facts.entries()) {
        assert.ok(light[k]!.includes(`FLAGS (${f.flags})`) || !items.includes('FLAGS'), light[k]);
        // With CONDSTORE on, FLAGS comes with MODSEQ (RFC 7162 §3.1.4.1).
        assert.ok(light[k]!.includes(`MODSEQ (${f.modseq})`) || items === 'UID', light[k]);
      }
    }
    // Another session holds none of them as recent.
    const b = await login('rc5');
    await b.command('s1', 'SELECT INBOX');
    const other = await b.command('s2', 'FETCH 1:* (UID FLAGS)');
    assert.deepEqual(other.slice(0, 4), facts.map((f) => `* ${f.seq} FETCH (UID ${f.uid} FLAGS (${f.flags.replace(/ ?\\Recent/, '')}))`));
    // A new message is recent in b, which hears of it first; the others, with the same stored
    // flags, are not: one answer holds both.
    const fifth = message('five', 'x');
    await b.status('s3', `APPEND INBOX {${fifth.length}+}\r\n${fifth}`);
    await b.command('s4', 'NOOP');
    assert.deepEqual(await b.command('s5', 'FETCH 1:* (UID FLAGS)'), [
      '* 1 FETCH (UID 1 FLAGS ())', '* 2 FETCH (UID 2 FLAGS (\\Seen $Later))', '* 3 FETCH (UID 3 FLAGS ())',
      '* 4 FETCH (UID 4 FLAGS ())', '* 5 FETCH (UID 5 FLAGS (\\Recent))', 's5 OK FETCH completed.',
    ]);
    // More recent ones, between ones that are not, and sets whose ranges go back and jump: the
    // light answer is the general one, line for line, in the set's order.
    for (const subject of ['six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen']) {
      const m = message(subject, 'x');
      await b.status(`s6${subject}`, `APPEND INBOX {${m.length}+}\r\n${m}`);
    }
    await b.command('s7', 'NOOP');
    for (const [i, set] of ['1:*', '15,1,14,2,13:12', '5,1:3', '3,15,4,14,5', '*:1', '2,4,6,8,10,12,14'].entries()) {
      const light = await b.command(`s8${i}`, `FETCH ${set} (UID FLAGS)`);
      const general = await b.command(`s8${i}`, `FETCH ${set} (UID FLAGS RFC822.SIZE)`);
      assert.deepEqual(light, general.map((l) => l.replace(/ ?RFC822\.SIZE \d+/, '')), set);
      if (set === '1:*') assert.deepEqual(light.slice(0, -1).map((l) => l.includes('\\Recent')), [false, false, false, false, ...Array<boolean>(11).fill(true)], light.join('\n'));
    }
  });

  test('APPEND from a session with another folder selected: STATUS counts it recent; its next SELECT takes it', async () => {
    const a = await login('rc2');
    await a.command('a1', 'SELECT Drafts');
    const raw = message('for later', 'x');
    assert.match(await a.status('a2', `APPEND INBOX (\\Seen) {${raw.length}+}\r\n${raw}`), /^a2 OK \[APPENDUID /);
    // The APPEND alone does not make the session hear of it: it has Drafts selected.
    assert.deepEqual(await a.command('a3', 'STATUS INBOX (MESSAGES UNSEEN RECENT)'), ['* STATUS INBOX (MESSAGES 1 UNSEEN 0 RECENT 1)', 'a3 OK STATUS completed.']);
    const select = await a.command('a4', 'SELECT INBOX');
    assert.ok(select.includes('* 1 RECENT'), select.join('\n'));
    assert.deepEqual(await a.command('a5', 'FETCH 1 (FLAGS)'), ['* 1 FETCH (FLAGS (\\Seen \\Recent))', 'a5 OK FETCH completed.']);
    const b = await login('rc2');
    assert.ok((await b.command('b1', 'SELECT INBOX')).includes('* 0 RECENT'));
    assert.deepEqual(await a.command('a6', 'STATUS INBOX (RECENT)'), ['* STATUS INBOX (RECENT 0)', 'a6 OK STATUS completed.']);
  });

  test('COPY: into the selected folder, EXISTS and RECENT come with the reply; into a folder another session has selected, at its NOOP', async () => {
    await server.seed('rc3', message('one', 'x'));
    await server.seed('rc3', message('two', 'x'), { flags: ['\\Flagged'] });
    const a = await login('rc3');
    const b = await login('rc3');
    assert.ok((await a.command('a1', 'SELECT INBOX')).includes('* 2 RECENT'));
    const copy = await a.command('a2', 'COPY 1:2 INBOX');
    assert.deepEqual(untagged(copy), ['* 4 EXISTS', '* 4 RECENT']);
    assert.match(copy.at(-1)!, /^a2 OK \[COPYUID \d+ 1:2 3:4\] /);
    assert.deepEqual(await a.command('a3', 'FETCH 3:4 (FLAGS)'), [
      '* 3 FETCH (FLAGS (\\Recent))',
      '* 4 FETCH (FLAGS (\\Flagged \\Recent))',
      'a3 OK FETCH completed.',
    ]);
    await b.command('b1', 'SELECT Drafts');
    await a.command('a4', 'COPY 2 Drafts');
    assert.deepEqual(await b.command('b2', 'NOOP'), ['* 1 EXISTS', '* 1 RECENT', 'b2 OK NOOP completed.']);
    assert.deepEqual(await b.command('b3', 'FETCH 1 (FLAGS)'), ['* 1 FETCH (FLAGS (\\Flagged \\Recent))', 'b3 OK FETCH completed.']);
    // An expunge lowers the count, and the client is told.
    await a.command('a5', 'STORE 4 +FLAGS.SILENT (\\Deleted)');
    assert.deepEqual(untagged(await a.command('a6', 'EXPUNGE')), ['* 4 EXPUNGE', '* 3 EXISTS', '* 3 RECENT']);
  });

  test('EXAMINE shows \\Recent without taking it; the next SELECT takes it', async () => {
    await server.seed('rc4', message('one', 'x'));
    const e = await login('rc4');
    assert.ok((await e.command('e1', 'EXAMINE INBOX')).includes('* 1 RECENT'));
    assert.deepEqual(await e.command('e2', 'FETCH 1 (FLAGS)'), ['* 1 FETCH (FLAGS (\\Recent))', 'e2 OK FETCH completed.']);
    assert.equal((await e.command('e3', 'SEARCH RECENT'))[0], '* SEARCH 1');
    const s = await login('rc4');
    assert.ok((await s.command('s1', 'SELECT INBOX')).includes('* 1 RECENT'));
    const e2 = await login('rc4');
    assert.ok((await e2.command('f1', 'EXAMINE INBOX')).includes('* 0 RECENT'));
  });
});

describe('QRESYNC (RFC 7162) through a session', () => {
  test('SELECT (QRESYNC (uidvalidity modseq known-uids)) answers VANISHED (EARLIER) and the changed flags', async () => {
    for (let i = 1; i <= 5; i++) await server.seed('qr1', message(`m${i}`, 'x'));
    const a = await login('qr1');
    await a.command('a1', 'ENABLE QRESYNC');
    const first = await a.command('a2', 'SELECT INBOX');
    const uidValidity = Number(/UIDVALIDITY (\d+)/.exec(first.join('\n'))![1]);
    const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(first.join('\n'))![1]);
    await a.command('a3', 'LOGOUT');

    // While the client is away: 2 and 4 are expunged, 1 is flagged.
    const b = await login('qr1');
    await b.command('b1', 'SELECT INBOX');
    await b.command('b2', 'STORE 2,4 +FLAGS.SILENT (\\Deleted)');
    await b.command('b3', 'EXPUNGE');
    await b.command('b4', 'STORE 1 +FLAGS.SILENT (\\Flagged)');

    const c = await login('qr1');
    await c.command('c1', 'ENABLE QRESYNC');
    const resync = await c.command('c2', `SELECT INBOX (QRESYNC (${uidValidity} ${modseq} 1:5))`);
    assert.equal(resync.at(-1), 'c2 OK [READ-WRITE] SELECT completed.');
    assert.ok(resync.includes('* 3 EXISTS'), resync.join('\n'));
    assert.ok(resync.includes('* VANISHED (EARLIER) 2,4'), resync.join('\n'));
    assert.ok(resync.some((l) => /^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$/.test(l)), resync.join('\n'));
    assert.ok(!resync.some((l) => / EXPUNGE$/.test(l)), resync.join('\n'));

    // Known UIDs narrow the report to what the client had; another UIDVALIDITY gets none.
    const narrow = await c.command('c3', `SELECT INBOX (QRESYNC (${uidValidity} ${modseq} 1:3))`);
    assert.ok(narrow.includes('* VANISHED (EARLIER) 2'), narrow.join('\n'));
    const stale = await c.command('c4', `SELECT INBOX (QRESYNC (${uidValidity + 1} ${modseq}))`);
    assert.ok(!stale.some((l) => l.startsWith('* VANISHED')), stale.join('\n'));
    // QRESYNC in SELECT needs ENABLE QRESYNC first.
    const d = await login('qr1');
    assert.match(await d.status('d1', `SELECT INBOX (QRESYNC (${uidValidity} ${modseq}))`), /^d1 BAD /);
  });

  test('with QRESYNC enabled, expunges arrive as VANISHED, not EXPUNGE: at NOOP, in IDLE and for its own EXPUNGE', async () => {
    for (let i = 1; i <= 4; i++) await server.seed('qr2', message(`m${i}`, 'x'));
    const a = await login('qr2');
    const b = await login('qr2');
    await a.command('a1', 'ENABLE QRESYNC');
    await a.command('a2', 'SELECT INBOX');
    await b.command('b1', 'SELECT INBOX');

    await b.command('b2', 'STORE 2 +FLAGS.SILENT (\\Deleted)');
    assert.ok((await b.command('b3', 'EXPUNGE')).includes('* 2 EXPUNGE'), 'without QRESYNC, EXPUNGE');
    const noop = untagged(await a.command('a3', 'NOOP'));
    assert.equal(noop[0], '* VANISHED 2');
    assert.ok(noop.includes('* 3 EXISTS'), noop.join('\n'));
    assert.ok(!noop.some((l) => / EXPUNGE$/.test(l)), noop.join('\n'));

    a.send('i1 IDLE');
    assert.equal(await a.line(), '+ idling');
    await b.command('b4', 'UID STORE 3 +FLAGS.SILENT (\\Deleted)');
    assert.match(await a.line(1000), /^\* 2 FETCH \(FLAGS \(\\Deleted( \\Recent)?\) UID 3 MODSEQ \(\d+\)\)$/);
    await b.command('b5', 'EXPUNGE');
    assert.equal(await a.line(1000), '* VANISHED 3');
    a.send('DONE');
    assert.equal((await a.until('i1')).at(-1), 'i1 OK IDLE terminated.');

    await a.command('a4', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
    const own = untagged(await a.command('a5', 'EXPUNGE'));
    assert.equal(own[0], '* VANISHED 1');
    assert.ok(!own.some((l) => / EXPUNGE$/.test(l)), own.join('\n'));

    // UID FETCH ... (CHANGEDSINCE m VANISHED) reports what went, as EARLIER.
    assert.deepEqual(untagged(await a.command('a6', 'UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)')).filter((l) => l.startsWith('* VANISHED')), ['* VANISHED (EARLIER) 1:3']);
  });
});

describe('a client whose literal is shorter than what it sends', () => {
  test('the command is BAD, each stray line is BAD, and the next command is answered as usual', async () => {
    const c = await login('strays');
    await c.command('s0', 'SELECT INBOX');
    // What Dovecot's imaptest sends for an mbox message holding NUL: it counts each line up to
    // its first NUL, so it announces 83 bytes and sends 96, then the CRLF that ends the command.
    const sent = Buffer.from('From: a@example.com\r\nSubject: nul\0inside\r\nContent-Type: application/octet-stream\r\n\r\n\0\x01\x02\xff\xfe\r\n\0\r\n\r\n', 'latin1');
    assert.equal(sent.length, 96);
    c.write(Buffer.concat([Buffer.from('s1 APPEND INBOX {83+}\r\n'), sent, Buffer.from('\r\n')]));
    // The 83 bytes end in the middle of a CRLF; the LF left over ends the APPEND's line. Its
    // literal holds NUL, which only literal8 may (RFC 3501 §4.3, RFC 3516 §4.1).
    assert.equal(await c.line(), 's1 BAD NUL in literal (only literal8 may hold NUL)');
    // The rest of the message, then the command's own CRLF, are read as command lines.
    assert.deepEqual([await c.line(), await c.line(), await c.line(), await c.line()], [
      '* BAD Invalid characters in atom',
      '* BAD Invalid characters in atom',
      '* BAD Empty command',
      '* BAD Empty command',
    ]);
    assert.deepEqual(await c.command('s2', 'NOOP'), ['s2 OK NOOP completed.']);
    assert.deepEqual(await c.command('s3', 'STATUS INBOX (MESSAGES)'), ['* STATUS INBOX (MESSAGES 0)', 's3 OK STATUS completed.']);
    // Sent as literal8 with its true size, the literal is read whole; the NUL in its Subject has
    // no transfer encoding that could carry it, so the message is refused (RFC 3516 §4.4; binary
    // bodies are stored in base64, see extension-transcripts.test.ts) and the session goes on.
    const refused = await c.command('s4', Buffer.concat([Buffer.from(`APPEND INBOX ~{${sent.length}+}\r\n`), sent]));
    assert.match(refused.at(-1)!, /^s4 NO \[UNKNOWN-CTE\] /);
    assert.deepEqual(await c.command('s5', 'STATUS INBOX (MESSAGES)'), ['* STATUS INBOX (MESSAGES 0)', 's5 OK STATUS completed.']);
  });
});
