// Parser: the command envelope (tag, UID, name), the connection and mailbox commands, LIST and
// APPEND. FETCH/STORE/COPY/MOVE/EXPUNGE and SEARCH/SORT/THREAD have their own files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMMAND_NAMES, commandLineLimit, ID_COMMAND_MAX, isIdleDone, parseCommand, readAuthenticateResponse, readTag, ParseError } from '../../../src/imap/protocol/index.ts';
import { pick, prng, randomInt } from '../../support/random.ts';
import { argsOf, parse, parseError } from './helpers.ts';

test('envelope: tag, command name in any case, UID prefix', () => {
  assert.deepEqual(parse('a001 noop'), { tag: 'a001', uid: false, command: 'NOOP', args: {} });
  assert.deepEqual(parse('60 Capability'), { tag: '60', uid: false, command: 'CAPABILITY', args: {} });
  assert.equal(parse('x.y]z NOOP').tag, 'x.y]z');
  const uid = parse('A1 uid fetch 1:* (FLAGS)');
  assert.equal(uid.uid, true);
  assert.equal(uid.command, 'FETCH');
});

test('envelope: errors carry the tag when there is one', () => {
  const cases: [string, string | null, RegExp][] = [
    ['', null, /Empty command/],
    ['A1', 'A1', /Missing command name/],
    ['A1 FROB', 'A1', /Unknown command FROB/],
    ['A1 UID SELECT INBOX', 'A1', /Unknown UID command SELECT/],
    ['A1 UID', 'A1', /Missing UID command/],
    ['A1 NOOP extra', 'A1', /Unexpected extra arguments/],
    ['A+1 NOOP', null, /Invalid tag/],
    ['* NOOP', null, /Invalid tag/],
    ['"A1" NOOP', null, /Invalid tag/],
    ['A1 SELECT "unterminated', 'A1', /Missing '"'/],
    ['A1 SELECT (', 'A1', /Missing '\)'/],
    ['A1 "NOOP"', 'A1', /Invalid command name/],
  ];
  for (const [line, tag, message] of cases) {
    const error = parseError(line);
    assert.equal(error.tag, tag, line);
    assert.match(error.message, message, line);
    assert.equal(error.status, 'BAD');
  }
});

test('every command name parses from its simplest valid form', () => {
  const simplest: Record<string, string> = {
    CAPABILITY: 'CAPABILITY', NOOP: 'NOOP', LOGOUT: 'LOGOUT', ID: 'ID NIL', STARTTLS: 'STARTTLS',
    AUTHENTICATE: 'AUTHENTICATE PLAIN', LOGIN: 'LOGIN u p', ENABLE: 'ENABLE CONDSTORE', SELECT: 'SELECT INBOX',
    EXAMINE: 'EXAMINE INBOX', CREATE: 'CREATE a', DELETE: 'DELETE a', RENAME: 'RENAME a b', SUBSCRIBE: 'SUBSCRIBE a',
    UNSUBSCRIBE: 'UNSUBSCRIBE a', LIST: 'LIST "" *', LSUB: 'LSUB "" *', XLIST: 'XLIST "" *', NAMESPACE: 'NAMESPACE',
    STATUS: 'STATUS a (MESSAGES)', APPEND: 'APPEND a {1}\r\nx', IDLE: 'IDLE', GETQUOTA: 'GETQUOTA ""',
    GETQUOTAROOT: 'GETQUOTAROOT INBOX', SETQUOTA: 'SETQUOTA "" (STORAGE 512)', COMPRESS: 'COMPRESS DEFLATE',
    CHECK: 'CHECK', CLOSE: 'CLOSE', UNSELECT: 'UNSELECT', EXPUNGE: 'EXPUNGE', SEARCH: 'SEARCH ALL',
    SORT: 'SORT (DATE) UTF-8 ALL', THREAD: 'THREAD REFERENCES UTF-8 ALL', FETCH: 'FETCH 1 FLAGS',
    STORE: 'STORE 1 FLAGS ()', COPY: 'COPY 1 a', MOVE: 'MOVE 1 a',
  };
  assert.deepEqual(Object.keys(simplest).sort(), [...COMMAND_NAMES].sort());
  for (const [name, line] of Object.entries(simplest)) assert.equal(parse(`T ${line}`).command, name, line);
});

test('commands without arguments refuse arguments', () => {
  for (const name of ['CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS', 'IDLE', 'CHECK', 'CLOSE', 'UNSELECT', 'NAMESPACE', 'EXPUNGE']) {
    assert.match(parseError(`T ${name} x`).message, /Unexpected extra arguments/, name);
  }
});

test('AUTHENTICATE with and without SASL-IR (RFC 4959)', () => {
  assert.deepEqual(argsOf('A authenticate plain', 'AUTHENTICATE'), { mechanism: 'PLAIN', initialResponse: null });
  assert.deepEqual(argsOf('A AUTHENTICATE PLAIN AHVzZXIAcGFzcw==', 'AUTHENTICATE'), {
    mechanism: 'PLAIN',
    initialResponse: 'AHVzZXIAcGFzcw==',
  });
  assert.deepEqual(argsOf('A AUTHENTICATE SCRAM-SHA-256 =', 'AUTHENTICATE'), { mechanism: 'SCRAM-SHA-256', initialResponse: '=' });
  assert.match(parseError('A AUTHENTICATE').message, /Missing authentication mechanism/);
  assert.match(parseError('A AUTHENTICATE PLAIN a b').message, /Unexpected extra arguments/);
  assert.match(parseError('A AUTHENTICATE PLAIN "abc"').message, /Invalid initial response/);
  assert.match(parseError('A AUTHENTICATE PL@IN').message, /Invalid authentication mechanism/);
});

test('AUTHENTICATE responses and IDLE DONE lines', () => {
  assert.deepEqual(readAuthenticateResponse('*'), { cancelled: true });
  assert.deepEqual(readAuthenticateResponse(Buffer.from('AHVzZXIAcGFzcw==')), { cancelled: false, base64: 'AHVzZXIAcGFzcw==' });
  assert.deepEqual(readAuthenticateResponse(''), { cancelled: false, base64: '' });
  assert.throws(() => readAuthenticateResponse('not base64!'), ParseError);
  assert.equal(isIdleDone('DONE'), true);
  assert.equal(isIdleDone(Buffer.from('done ')), true);
  assert.equal(isIdleDone('DONE x'), false);
  assert.equal(isIdleDone('A1 NOOP'), false);
});

test('LOGIN: atoms, quoted strings, literals, backslashes, UTF-8', () => {
  assert.deepEqual(argsOf('A LOGIN alice secret', 'LOGIN'), { username: 'alice', password: 'secret' });
  assert.deepEqual(argsOf('A LOGIN "alice@example.com" "p a\\"ss"', 'LOGIN'), { username: 'alice@example.com', password: 'p a"ss' });
  assert.deepEqual(argsOf('A LOGIN {5}\r\nalice {6+}\r\nsecret', 'LOGIN'), { username: 'alice', password: 'secret' });
  // Exchange's shared-mailbox logon form, sent unquoted by Python's imaplib.
  assert.deepEqual(argsOf('A LOGIN CONTOSO\\alice\\shared pw', 'LOGIN'), { username: 'CONTOSO\\alice\\shared', password: 'pw' });
  assert.deepEqual(argsOf('A LOGIN {5}\r\n\u00e9t\u00e9 {3}\r\n\u00e9t', 'LOGIN'), { username: '\u00e9t\u00e9', password: '\u00e9t' });
  assert.deepEqual(argsOf('A LOGIN NIL NIL', 'LOGIN'), { username: 'NIL', password: 'NIL' });
  assert.match(parseError('A LOGIN alice').message, /Missing password/);
  assert.match(parseError(Buffer.from('A LOGIN {1}\r\n\xff x', 'latin1')).message, /Invalid UTF-8 in user name/);
  assert.match(parseError('A LOGIN (a) b').message, /Invalid user name/);
});

test('ENABLE (RFC 5161)', () => {
  assert.deepEqual(argsOf('A ENABLE condstore qresync UTF8=ACCEPT', 'ENABLE'), { capabilities: ['CONDSTORE', 'QRESYNC', 'UTF8=ACCEPT'] });
  assert.match(parseError('A ENABLE').message, /Missing capability/);
  assert.match(parseError('A ENABLE "CONDSTORE"').message, /Invalid capability/);
});

test('ID (RFC 2971)', () => {
  assert.deepEqual(argsOf('A ID NIL', 'ID'), { params: null });
  assert.deepEqual(argsOf('62 ID ("name" "Thunderbird" "version" "153.7.0")', 'ID'), {
    params: [['name', 'Thunderbird'], ['version', '153.7.0']],
  });
  assert.deepEqual(argsOf('A ID ("name" NIL "os" {5}\r\nLinux)', 'ID'), { params: [['name', null], ['os', 'Linux']] });
  assert.deepEqual(argsOf('A ID ()', 'ID'), { params: [] });
  assert.match(parseError('A ID ("name")').message, /Missing ID value/);
  assert.match(parseError('A ID').message, /Missing ID parameters/);
  assert.match(parseError(`A ID ("${'x'.repeat(31)}" "v")`).message, /too long/);
  assert.match(parseError(`A ID ("f" "${'x'.repeat(1025)}")`).message, /too long/);
  const many = Array.from({ length: 31 }, (_, i) => `"f${i}" "v"`).join(' ');
  assert.match(parseError(`A ID (${many})`).message, /Too many ID parameters/);
});

test('ID: the longest command RFC 2971 allows parses and fits ID_COMMAND_MAX; only ID lines get that limit', () => {
  // 30 pairs, 30-octet fields, 1024-octet values made of the characters a quoted string must escape.
  const pairs = Array.from({ length: 30 }, (_, i) => [`"${'\\"'.repeat(28)}${String(i).padStart(2, '0')}"`, `"${'\\\\'.repeat(1024)}"`]);
  const longest = `${'t'.repeat(64)} ID (${pairs.map((p) => p.join(' ')).join(' ')})`;
  assert.ok(Buffer.byteLength(longest) <= ID_COMMAND_MAX, `${Buffer.byteLength(longest)} > ${ID_COMMAND_MAX}`);
  const args = argsOf(longest, 'ID');
  assert.equal(args.params!.length, 30);
  assert.equal(args.params![0]![1], '\\'.repeat(1024));
  for (const head of ['a ID (', 'A1 id NIL', `${'t'.repeat(55)} ID ("x"`]) assert.equal(commandLineLimit(Buffer.from(head)), ID_COMMAND_MAX, head);
  for (const head of ['a NOOP ID (', 'ID (', 'a IDLE', 'a ID(', '"a" ID (', 'a  ID (', 'a UID ID', `${'t'.repeat(70)} ID (`, '']) {
    assert.equal(commandLineLimit(Buffer.from(head)), 0, head);
  }
});

test('property: commandLineLimit never throws and is ID_COMMAND_MAX or 0', () => {
  const random = prng(0x2971);
  const pieces = ['a', 'ID', ' ', 'id', '(', '"', '\x00', '\xff', 'NOOP', '{5}', '*', '%', '+', ']'];
  for (let i = 0; i < 2000; i++) {
    let head = '';
    for (let n = randomInt(random, 12); n > 0; n--) head += pick(random, pieces);
    const limit = commandLineLimit(Buffer.from(head, 'latin1'));
    assert.ok(limit === 0 || limit === ID_COMMAND_MAX);
    assert.equal(limit > 0, /^[^\x00-\x20"%()*+\\{\x7f-\xff]+ ID /i.test(head), JSON.stringify(head));
  }
});

test('COMPRESS (RFC 4978)', () => {
  assert.deepEqual(argsOf('A COMPRESS deflate', 'COMPRESS'), { mechanism: 'DEFLATE' });
  assert.match(parseError('A COMPRESS LZMA').message, /Unknown compression mechanism LZMA/);
  assert.match(parseError('A COMPRESS').message, /Missing compression mechanism/);
});

test('SELECT / EXAMINE with CONDSTORE and QRESYNC (RFC 7162)', () => {
  assert.deepEqual(argsOf('85 select "INBOX"', 'SELECT'), { mailbox: 'INBOX', condstore: false, qresync: null });
  assert.deepEqual(argsOf('A EXAMINE &W8RO9lCZTv0-', 'EXAMINE'), { mailbox: '&W8RO9lCZTv0-', condstore: false, qresync: null });
  assert.deepEqual(argsOf('A SELECT INBOX (CONDSTORE)', 'SELECT'), { mailbox: 'INBOX', condstore: true, qresync: null });
  assert.deepEqual(argsOf('A SELECT INBOX ()', 'SELECT'), { mailbox: 'INBOX', condstore: false, qresync: null });
  assert.deepEqual(argsOf('A SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))', 'SELECT'), {
    mailbox: 'INBOX',
    condstore: false,
    qresync: {
      uidValidity: 67890007,
      // RFC 7162's example value is above 2^53; it reads as the largest exact number, which
      // compares the same way against any MODSEQ this server hands out.
      modseq: Number.MAX_SAFE_INTEGER,
      knownUids: { ranges: [[41, 41], [43, 211], [214, 541]] },
      seqMatch: null,
    },
  });
  assert.deepEqual(argsOf('A SELECT INBOX (QRESYNC (1 5 (1:3 4:6)))', 'SELECT').qresync, {
    uidValidity: 1,
    modseq: 5,
    knownUids: null,
    seqMatch: { seqs: { ranges: [[1, 3]] }, uids: { ranges: [[4, 6]] } },
  });
  assert.deepEqual(argsOf('A SELECT INBOX (QRESYNC (1 5 1:9 (1:3 4:6)))', 'SELECT').qresync?.knownUids, { ranges: [[1, 9]] });
  const errors: [string, RegExp][] = [
    ['A SELECT', /Missing mailbox name/],
    ['A SELECT INBOX (FOO)', /Unknown SELECT parameter FOO/],
    ['A SELECT INBOX CONDSTORE', /expected a parenthesized list/],
    ['A SELECT INBOX (QRESYNC)', /Missing QRESYNC parameters/],
    ['A SELECT INBOX (QRESYNC (0 5))', /UIDVALIDITY.*zero/],
    ['A SELECT INBOX (QRESYNC (1 5 1:*))', /"\*" is not allowed/],
    ['A SELECT INBOX (QRESYNC (1 5 (1:3)))', /Missing known UID set/],
    ['A SELECT INBOX (QRESYNC (1 99999999999999999999))', /number too large/],
    ['A SELECT INBOX (QRESYNC (1 5) QRESYNC (1 5))', /QRESYNC given twice/],
    ['A SELECT INBOX (CONDSTORE) x', /Unexpected extra arguments/],
  ];
  for (const [line, message] of errors) assert.match(parseError(line).message, message, line);
});

test('CREATE with USE (RFC 6154), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE', () => {
  assert.deepEqual(argsOf('A CREATE "Sent Items"', 'CREATE'), { mailbox: 'Sent Items', specialUse: [] });
  assert.deepEqual(argsOf('A CREATE Archive/2026 (USE (\\archive \\Flagged))', 'CREATE'), {
    mailbox: 'Archive/2026',
    specialUse: ['\\Archive', '\\Flagged'],
  });
  assert.match(parseError('A CREATE x (USE (\\Bogus))').message, /Unknown special-use attribute/);
  assert.match(parseError('A CREATE x (FOO)').message, /Unknown CREATE parameter FOO/);
  assert.deepEqual(argsOf('A DELETE foo', 'DELETE'), { mailbox: 'foo' });
  assert.deepEqual(argsOf('A RENAME "a b" {3}\r\nc/d', 'RENAME'), { from: 'a b', to: 'c/d' });
  assert.match(parseError('A RENAME a').message, /Missing new mailbox name/);
  assert.deepEqual(argsOf('A SUBSCRIBE "&W8RO9lCZTv0--c9776f85/2026"', 'SUBSCRIBE'), { mailbox: '&W8RO9lCZTv0--c9776f85/2026' });
  assert.deepEqual(argsOf('A UNSUBSCRIBE Drafts', 'UNSUBSCRIBE'), { mailbox: 'Drafts' });
  // UTF-8 names after ENABLE UTF8=ACCEPT.
  assert.deepEqual(argsOf('A CREATE "\u5bc4\u4ef6\u5099\u4efd/2026"', 'CREATE', { utf8: true }), {
    mailbox: '\u5bc4\u4ef6\u5099\u4efd/2026',
    specialUse: [],
  });
});

test('STATUS (RFC 3501 §6.3.10 and later items)', () => {
  assert.deepEqual(argsOf('67 STATUS "Drafts" (UIDNEXT MESSAGES UNSEEN RECENT)', 'STATUS'), {
    mailbox: 'Drafts',
    items: ['UIDNEXT', 'MESSAGES', 'UNSEEN', 'RECENT'],
  });
  assert.deepEqual(argsOf('A STATUS INBOX (highestmodseq size deleted appendlimit mailboxid deleted-storage uidvalidity)', 'STATUS').items, [
    'HIGHESTMODSEQ', 'SIZE', 'DELETED', 'APPENDLIMIT', 'MAILBOXID', 'DELETED-STORAGE', 'UIDVALIDITY',
  ]);
  assert.deepEqual(argsOf('A STATUS INBOX (MESSAGES MESSAGES)', 'STATUS').items, ['MESSAGES']);
  assert.match(parseError('A STATUS INBOX ()').message, /Missing status items/);
  assert.match(parseError('A STATUS INBOX (FOO)').message, /Unknown status item FOO/);
  assert.match(parseError('A STATUS INBOX MESSAGES').message, /parenthesized list/);
});

test('LIST: basic, LIST-EXTENDED, SPECIAL-USE, LIST-STATUS', () => {
  assert.deepEqual(argsOf('64 list "" "INBOX"', 'LIST'), {
    reference: '',
    patterns: ['INBOX'],
    selection: { subscribed: false, remote: false, recursiveMatch: false, specialUse: false },
    returns: { subscribed: false, children: false, specialUse: false, status: null, myRights: false },
    extended: false,
  });
  assert.deepEqual(argsOf('A LIST "" %', 'LIST').patterns, ['%']);
  assert.deepEqual(argsOf('A LIST "" *', 'LIST').patterns, ['*']);
  assert.deepEqual(argsOf('A LIST Archive/ Inbox.%*', 'LIST').patterns, ['Inbox.%*']);
  const thunderbird = argsOf('63 list (subscribed) "" "*" return (special-use)', 'LIST');
  assert.equal(thunderbird.selection.subscribed, true);
  assert.equal(thunderbird.returns.specialUse, true);
  assert.equal(thunderbird.extended, true);
  // iOS Mail
  const ios = argsOf('A LIST "" "*" RETURN (SPECIAL-USE STATUS (UNSEEN))', 'LIST');
  assert.deepEqual(ios.returns, { subscribed: false, children: false, specialUse: true, status: ['UNSEEN'], myRights: false });
  const multi = argsOf('A LIST (REMOTE SUBSCRIBED RECURSIVEMATCH) "" ("INBOX" "Sent*" %) RETURN (CHILDREN SUBSCRIBED MYRIGHTS)', 'LIST');
  assert.deepEqual(multi.patterns, ['INBOX', 'Sent*', '%']);
  assert.deepEqual(multi.selection, { subscribed: true, remote: true, recursiveMatch: true, specialUse: false });
  assert.deepEqual(multi.returns, { subscribed: true, children: true, specialUse: false, status: null, myRights: true });
  assert.equal(argsOf('A LIST (SPECIAL-USE) "" *', 'LIST').selection.specialUse, true);
  assert.equal(argsOf('A LIST () "" * RETURN ()', 'LIST').extended, true);
  const errors: [string, RegExp][] = [
    ['A LIST', /Missing reference name/],
    ['A LIST ""', /Missing mailbox pattern/],
    ['A LIST (FOO) "" *', /Unknown LIST selection option FOO/],
    ['A LIST (RECURSIVEMATCH) "" *', /RECURSIVEMATCH needs another selection option/],
    ['A LIST "" * RETURN (FOO)', /Unknown LIST return option FOO/],
    ['A LIST "" * RETURN', /Missing LIST return options/],
    ['A LIST "" * RETURN (STATUS ())', /Missing status items/],
    ['A LIST "" () ', /Missing mailbox pattern/],
    ['A LIST "" * extra', /Unexpected extra arguments/],
  ];
  for (const [line, message] of errors) assert.match(parseError(line).message, message, line);
});

test('LSUB and XLIST', () => {
  assert.deepEqual(argsOf('80 lsub "" "*"', 'LSUB'), { reference: '', pattern: '*' });
  assert.deepEqual(argsOf('A XLIST "" %', 'XLIST'), { reference: '', pattern: '%' });
  assert.match(parseError('A LSUB ""').message, /Missing mailbox pattern/);
  assert.match(parseError('A LSUB (SUBSCRIBED) "" *').message, /Invalid reference name/);
});

test('NAMESPACE, IDLE, CHECK, CLOSE, UNSELECT, EXPUNGE', () => {
  for (const name of ['NAMESPACE', 'IDLE', 'CHECK', 'CLOSE', 'UNSELECT'] as const) assert.deepEqual(argsOf(`A ${name}`, name), {});
  assert.deepEqual(argsOf('A EXPUNGE', 'EXPUNGE'), { set: null });
});

test('APPEND: flags, date-time, literal, literal8, MULTIAPPEND, UTF8', () => {
  const one = argsOf('A APPEND INBOX (\\Seen \\draft) "02-Nov-2026 10:00:00 +0000" {5}\r\nhello', 'APPEND');
  assert.equal(one.mailbox, 'INBOX');
  assert.equal(one.messages.length, 1);
  const [m] = one.messages;
  assert.deepEqual(m?.flags, ['\\Seen', '\\Draft']);
  assert.equal(m?.date?.date.toISOString(), '2026-11-02T10:00:00.000Z');
  assert.equal(m?.data.toString(), 'hello');
  assert.equal(m?.binary, false);
  const bare = argsOf('A APPEND Drafts {2+}\r\nhi', 'APPEND').messages[0];
  assert.deepEqual([bare?.flags, bare?.date, bare?.data.toString()], [[], null, 'hi']);
  const dated = argsOf('A APPEND Drafts " 7-Feb-1994 21:52:25 -0800" {1}\r\nx', 'APPEND').messages[0];
  assert.deepEqual([dated?.date?.date.toISOString(), dated?.date?.offsetMinutes], ['1994-02-08T05:52:25.000Z', -480]);
  const binary = argsOf(Buffer.from('A APPEND INBOX ~{4}\r\na\u0000\u00ffb', 'latin1'), 'APPEND').messages[0];
  assert.equal(binary?.binary, true);
  const multi = argsOf('A APPEND INBOX (\\Seen) {1}\r\na () {1+}\r\nb "01-Jan-2000 00:00:00 +0000" {1}\r\nc', 'APPEND');
  assert.deepEqual(multi.messages.map((x) => x.data.toString()), ['a', 'b', 'c']);
  assert.deepEqual(multi.messages.map((x) => x.flags), [['\\Seen'], [], []]);
  const utf8 = argsOf('A APPEND INBOX UTF8 (~{3}\r\nabc)', 'APPEND', { utf8: true }).messages[0];
  assert.deepEqual([utf8?.utf8, utf8?.binary, utf8?.data.toString()], [true, true, 'abc']);
  const errors: [string, RegExp][] = [
    ['A APPEND INBOX', /Missing message literal/],
    ['A APPEND INBOX "hello"', /Invalid date-time/],
    ['A APPEND INBOX "02-Nov-2026 10:00:00 +0000" "x"', /Message data must be a literal/],
    ['A APPEND INBOX "31-Feb-2026 10:00:00 +0000" {1}\r\nx', /Invalid date-time/],
    ['A APPEND INBOX (\\Seen', /Missing '\)'/],
    ['A APPEND INBOX (\\*) {1}\r\nx', /Invalid flag/],
    ['A APPEND INBOX hello', /Message data must be a literal/],
    ['A APPEND INBOX {1}\r\nx junk', /Message data must be a literal/],
    ['A APPEND INBOX UTF8 ({3}\r\nabc)', /UTF8 message data must be a literal8/],
    ['A APPEND ~{1}\r\nx {1}\r\ny', /literal8 is only for message data/],
  ];
  for (const [line, message] of errors) assert.match(parseError(line).message, message, line);
});

test('quota commands (RFC 9208)', () => {
  assert.deepEqual(argsOf('A GETQUOTA ""', 'GETQUOTA'), { root: '' });
  assert.deepEqual(argsOf('A GETQUOTAROOT INBOX', 'GETQUOTAROOT'), { mailbox: 'INBOX' });
  assert.deepEqual(argsOf('A SETQUOTA "" (storage 512 MESSAGE 10000)', 'SETQUOTA'), {
    root: '',
    limits: [{ resource: 'STORAGE', limit: 512 }, { resource: 'MESSAGE', limit: 10000 }],
  });
  assert.deepEqual(argsOf('A SETQUOTA "" ()', 'SETQUOTA'), { root: '', limits: [] });
  assert.match(parseError('A SETQUOTA "" (STORAGE)').message, /Missing quota limit/);
  assert.match(parseError('A SETQUOTA "" (STORAGE x)').message, /expected a number/);
});

test('readTag finds the tag of a command that cannot be tokenized', () => {
  assert.equal(readTag(Buffer.from('A7 SELECT "x')), 'A7');
  assert.equal(readTag([{ text: Buffer.from('B2 LOGIN {3}'), literal: Buffer.from('abc') }]), 'B2');
  assert.equal(readTag(Buffer.from('+ NOOP')), null);
  assert.equal(readTag(Buffer.from('')), null);
  assert.equal(readTag([]), null);
  const error = parseError(Buffer.from('A9 NOOP "\u0001'));
  assert.equal(error.tag, 'A9');
});

test('parseCommand takes the session’s segments', () => {
  const command = parseCommand([
    { text: Buffer.from('A1 LOGIN {5}'), literal: Buffer.from('alice') },
    { text: Buffer.from(' {6}'), literal: Buffer.from('s3cret') },
    { text: Buffer.from('') },
  ]);
  assert.deepEqual(command, { tag: 'A1', uid: false, command: 'LOGIN', args: { username: 'alice', password: 's3cret' } });
});
