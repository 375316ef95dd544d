// Raw-socket transcripts for what the back end advertises beyond RFC 3501's core and no client
// test reaches: LSUB and the subscription list, LIST-EXTENDED's SUBSCRIBED and RECURSIVEMATCH,
// LIST-STATUS, BINARY (FETCH and APPEND), ID at its RFC 2971 maximum, and mailbox names that
// are not modified UTF-7.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { message, RawClient, startServer, type TestServer } from './harness.ts';

let server: TestServer;
const open: RawClient[] = [];

async function login(user: string): Promise<RawClient> {
  const c = await RawClient.login(server.tlsPort, user);
  open.push(c);
  return c;
}

before(async () => {
  server = await startServer();
  for (const alias of ['names', 'lsub', 'listext', 'status', 'binary']) await server.addUser(alias);
});

after(async () => {
  for (const c of open) c.close();
  await server?.stop();
});

/** The untagged replies of a command whose tagged reply must be OK. */
async function untagged(c: RawClient, tag: string, command: string): Promise<string[]> {
  const lines = await c.command(tag, command);
  assert.match(lines.at(-1)!, new RegExp(`^${tag} OK `), lines.join('\n'));
  return lines.slice(0, -1);
}

describe('IMAP4 extension transcripts', () => {
  test('LSUB: subscribed names, \\Noselect levels above them for "%", and names whose folder is gone (RFC 3501 §6.3.9)', async () => {
    const c = await login('lsub@contoso.com');
    for (const name of ['work/', 'work/a', 'work/b/c', 'solo']) assert.match(await c.status('c', `CREATE ${name}`), /^c OK /);
    // A folder created over IMAP is not subscribed until the client says so.
    assert.deepEqual(await untagged(c, 'l0', 'LSUB "" work*'), []);
    for (const name of ['work/a', 'work/b/c', 'solo']) assert.equal(await c.status('s', `SUBSCRIBE ${name}`), 's OK SUBSCRIBE completed.');
    assert.deepEqual(await untagged(c, 'l1', 'LSUB "" work/%'), ['* LSUB (\\HasNoChildren) "/" work/a', '* LSUB (\\Noselect) "/" work/b']);
    assert.deepEqual(await untagged(c, 'l2', 'LSUB work/ *'), ['* LSUB (\\HasNoChildren) "/" work/a', '* LSUB (\\HasNoChildren) "/" work/b/c']);
    const top = await untagged(c, 'l3', 'LSUB "" %');
    assert.ok(top.includes('* LSUB (\\Noselect) "/" work') && top.includes('* LSUB (\\HasNoChildren) "/" solo'), top.join('\n'));
    // The default folders start subscribed.
    assert.ok(top.includes('* LSUB (\\HasNoChildren) "/" INBOX') && top.includes('* LSUB (\\HasNoChildren) "/" "Sent Items"'), top.join('\n'));
    // Deleting a folder does not unsubscribe it (RFC 3501 §6.3.6); another session sees the same list.
    assert.match(await c.status('d1', 'DELETE solo'), /^d1 OK /);
    const d = await login('lsub@contoso.com');
    assert.deepEqual(await untagged(d, 'l4', 'LSUB "" solo'), ['* LSUB (\\Noselect) "/" solo']);
    assert.equal(await d.status('u1', 'UNSUBSCRIBE solo'), 'u1 OK UNSUBSCRIBE completed.');
    assert.deepEqual(await untagged(c, 'l5', 'LSUB "" solo'), []);
    assert.equal(await d.status('u2', 'UNSUBSCRIBE solo'), "u2 NO [NONEXISTENT] 'solo' is not subscribed.");
    assert.equal(await d.status('u3', 'SUBSCRIBE solo'), "u3 NO [NONEXISTENT] There is no folder 'solo'.");
    // RENAME carries the subscription to the new name.
    assert.match(await c.status('r1', 'RENAME work/a work/a2'), /^r1 OK /);
    assert.deepEqual(await untagged(c, 'l6', 'LSUB "" work/a*'), ['* LSUB (\\HasNoChildren) "/" work/a2']);
    // An existing folder that is not subscribed: UNSUBSCRIBE is no error.
    assert.equal(await c.status('u4', 'UNSUBSCRIBE work'), 'u4 OK UNSUBSCRIBE completed.');
  });

  test('LIST-EXTENDED: SUBSCRIBED lists names whose folder is gone as \\NonExistent; RECURSIVEMATCH adds CHILDINFO (RFC 5258)', async () => {
    const c = await login('listext@contoso.com');
    for (const name of ['x/', 'x/one', 'x/two/deep', 'x/three/deep', 'x/three/other', 'x/gone']) assert.match(await c.status('c', `CREATE ${name}`), /^c OK /);
    for (const name of ['x/one', 'x/two/deep', 'x/three/deep', 'x/gone']) assert.match(await c.status('s', `SUBSCRIBE ${name}`), /^s OK /);
    assert.match(await c.status('d', 'DELETE x/gone'), /^d OK /);
    assert.deepEqual(await untagged(c, 'a1', 'LIST (SUBSCRIBED) "" x/*'), [
      '* LIST (\\HasNoChildren \\Subscribed) "/" x/one',
      '* LIST (\\HasNoChildren \\Subscribed) "/" x/three/deep',
      '* LIST (\\HasNoChildren \\Subscribed) "/" x/two/deep',
      '* LIST (\\NonExistent \\Subscribed) "/" x/gone',
    ]);
    // x/two and x/three are not subscribed, but have subscribed children that "%" does not reach.
    assert.deepEqual(await untagged(c, 'a2', 'LIST (SUBSCRIBED RECURSIVEMATCH) "" x/% RETURN (CHILDREN)'), [
      '* LIST (\\HasNoChildren \\Subscribed) "/" x/one',
      '* LIST (\\HasChildren) "/" x/three ("CHILDINFO" ("SUBSCRIBED"))',
      '* LIST (\\HasChildren) "/" x/two ("CHILDINFO" ("SUBSCRIBED"))',
      '* LIST (\\NonExistent \\Subscribed) "/" x/gone',
    ]);
    // A child the patterns match is returned itself, and brings no CHILDINFO.
    assert.deepEqual(await untagged(c, 'a3', 'LIST (SUBSCRIBED RECURSIVEMATCH) "" (x/two x/two/deep)'), ['* LIST (\\HasNoChildren \\Subscribed) "/" x/two/deep']);
    // Without SUBSCRIBED selection only existing folders, marked with RETURN (SUBSCRIBED).
    assert.deepEqual(await untagged(c, 'a4', 'LIST "" x/% RETURN (SUBSCRIBED)'), [
      '* LIST (\\HasNoChildren \\Subscribed) "/" x/one',
      '* LIST (\\HasChildren) "/" x/three',
      '* LIST (\\HasChildren) "/" x/two',
    ]);
    assert.match(await c.status('b1', 'LIST (RECURSIVEMATCH) "" x/%'), /^b1 BAD /);
  });

  test('LIST-STATUS: a STATUS after each selectable folder LIST returns (RFC 5819)', async () => {
    const c = await login('status@contoso.com');
    assert.match(await c.status('c1', 'CREATE "Reports/&ZeVnLIqe-"'), /^c1 OK /);
    assert.match(await c.status('c2', 'SUBSCRIBE "Reports/&ZeVnLIqe-"'), /^c2 OK /);
    assert.match(await c.status('c3', 'SUBSCRIBE Reports'), /^c3 OK /);
    await server.seed('status', message('one', 'first'), { folder: 'Reports/日本語', flags: ['\\Seen'] });
    const uid = await server.seed('status', message('two', 'second'), { folder: 'Reports/日本語' });
    const { store, folder } = await server.folderOf('status', 'Reports/日本語');
    const size = (await store.status(folder.id)).size;
    const lines = await untagged(c, 'l1', 'LIST "" Reports* RETURN (STATUS (MESSAGES UNSEEN UIDNEXT SIZE))');
    assert.deepEqual(lines, [
      '* LIST (\\HasChildren) "/" Reports',
      '* STATUS Reports (MESSAGES 0 UNSEEN 0 UIDNEXT 1 SIZE 0)',
      '* LIST (\\HasNoChildren) "/" Reports/&ZeVnLIqe-',
      `* STATUS Reports/&ZeVnLIqe- (MESSAGES 2 UNSEEN 1 UIDNEXT ${uid + 1} SIZE ${size})`,
    ]);
    // A name that no longer exists gets no STATUS; the others still do.
    assert.match(await c.status('d1', 'DELETE "Reports/&ZeVnLIqe-"'), /^d1 OK /);
    assert.deepEqual(await untagged(c, 'l2', 'LIST (SUBSCRIBED) "" Reports* RETURN (STATUS (MESSAGES))'), [
      '* LIST (\\HasNoChildren \\Subscribed) "/" Reports',
      '* STATUS Reports (MESSAGES 0)',
      '* LIST (\\NonExistent \\Subscribed) "/" Reports/&ZeVnLIqe-',
    ]);
  });


  test('BINARY: FETCH BINARY[n] and BINARY.SIZE[n] undo the transfer encoding; NUL comes as literal8 (RFC 3516 §4.2)', async () => {
    const bytes = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0x0d, 0x0a, 0x41]);
    const mime = [
      'From: a@fabrikam.com', 'Subject: parts', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
      '--b', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '',
      'caf=C3=A9 soft=', 'break   ', 'next', '--b', 'Content-Type: application/octet-stream', 'Content-Transfer-Encoding: base64', '',
      bytes.toString('base64'), '--b', 'Content-Type: message/rfc822', '', 'Subject: inner', '', 'inner body', '--b',
      'Content-Type: application/x-odd', 'Content-Transfer-Encoding: x-uuencode', '', 'begin 644 x', '--b--', '',
    ].join('\r\n');
    await server.seed('binary', mime);
    await server.seed('binary', 'Subject: single\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29ybGQ=\r\n');
    const c = await login('binary@contoso.com');
    c.decoding = 'latin1';
    await c.command('s1', 'SELECT INBOX');
    const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    const text = utf8('café softbreak\r\nnext');
    assert.deepEqual(await untagged(c, 'f1', 'FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])'), [`* 1 FETCH (BINARY.SIZE[1] ${text.length} BINARY[1] {${text.length}}\r\n${text})`]);
    assert.deepEqual(await untagged(c, 'f2', 'FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2])'), [`* 1 FETCH (BINARY[2] ~{7}\r\n${bytes.toString('latin1')} BINARY.SIZE[2] 7)`]);
    assert.deepEqual(await untagged(c, 'f3', 'FETCH 1 (BINARY.PEEK[2]<2.3>)'), [`* 1 FETCH (BINARY[2]<2> {3}\r\n\xfe\xff\r)`]);
    // A message/rfc822 part and the whole message are not encoded: their bytes as stored.
    assert.deepEqual(await untagged(c, 'f4', 'FETCH 1 (BINARY.PEEK[3])'), ['* 1 FETCH (BINARY[3] {28}\r\nSubject: inner\r\n\r\ninner body)']);
    assert.deepEqual(await untagged(c, 'f5', 'FETCH 1 (BINARY.SIZE[])'), [`* 1 FETCH (BINARY.SIZE[] ${Buffer.byteLength(mime)})`]);
    // Part 1 of a single-part message is its body.
    assert.deepEqual(await untagged(c, 'f6', 'FETCH 2 (BINARY.PEEK[1] BINARY.SIZE[1])'), ['* 2 FETCH (BINARY[1] {11}\r\nhello world BINARY.SIZE[1] 11)']);
    assert.equal(await c.status('f7', 'FETCH 1 (BINARY.PEEK[4])'), 'f7 NO [UNKNOWN-CTE] Cannot decode x-uuencode.');
    assert.equal(await c.status('f8', 'FETCH 1 (BINARY.PEEK[9])'), 'f8 NO [NONEXISTENT] There is no part 9 to decode.');
    // BINARY without .PEEK sets \Seen, as BODY does.
    assert.match((await untagged(c, 'f9', 'FETCH 2 (BINARY[1])'))[0]!, /^\* 2 FETCH \(BINARY\[1\] \{11\}\r\nhello world FLAGS \(\\Seen( \\Recent)?\)\)$/);
  });

  test('APPEND literal8: binary parts are stored in base64, so BODY[] holds no NUL and BINARY[] gives the bytes back (RFC 3516 §4.4)', async () => {
    const c = await login('binary@contoso.com');
    c.decoding = 'latin1';
    const payload = Buffer.from([0x00, 0x2d, 0xe4, 0x0d, 0x0a, 0x00, 0x0a]);
    const raw = Buffer.concat([Buffer.from('Subject: bin\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n'), payload]);
    c.send(Buffer.concat([Buffer.from(`b1 APPEND Drafts ~{${raw.length}}`)]));
    assert.match(await c.line(), /^\+ /);
    c.write(Buffer.concat([raw, Buffer.from('\r\n')]));
    assert.match(await c.line(), /^b1 OK \[APPENDUID \d+ 1\] /);
    await c.command('s1', 'SELECT Drafts');
    const body = await untagged(c, 'f1', 'FETCH 1 (BODY.PEEK[1] BODY.PEEK[1.MIME])');
    const header = 'Subject: bin\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n';
    assert.deepEqual(body, [`* 1 FETCH (BODY[1] {14}\r\n${payload.toString('base64')}\r\n BODY[1.MIME] {${header.length}}\r\n${header})`]);
    assert.deepEqual(await untagged(c, 'f2', 'FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[1])'), [`* 1 FETCH (BINARY.SIZE[1] 7 BINARY[1] ~{7}\r\n${payload.toString('latin1')})`]);
    // With LITERAL+ too.
    c.write(Buffer.concat([Buffer.from(`b2 APPEND Drafts ~{${raw.length}+}\r\n`), raw, Buffer.from('\r\n')]));
    assert.match(await c.line(), /^(\* \d+ EXISTS|b2 OK)/);
    // NUL in a plain literal is a syntax error (RFC 3501 §4.3); NUL in a header cannot be stored.
    c.write(Buffer.concat([Buffer.from(`b3 APPEND Drafts {${raw.length}+}\r\n`), raw, Buffer.from('\r\n')]));
    assert.match((await c.until('b3')).at(-1)!, /^b3 BAD /);
    const nulHeader = Buffer.from('Subject: a\x00b\r\n\r\nbody\r\n', 'latin1');
    c.write(Buffer.concat([Buffer.from(`b4 APPEND Drafts ~{${nulHeader.length}+}\r\n`), nulHeader, Buffer.from('\r\n')]));
    assert.match((await c.until('b4')).at(-1)!, /^b4 NO \[UNKNOWN-CTE\] /);
    const { store, folder } = await server.folderOf('binary', 'Drafts');
    assert.equal((await store.status(folder.id)).messages, 2);
  });

  test('a name with atom-specials that is not modified UTF-7 is NO, never BAD, and the session goes on', async () => {
    const c = await login('names@contoso.com');
    // imaptest's atoms script: every ATOM-CHAR that is not alphanumeric, "&" opening no valid shift.
    const name = "!#$&'+,-.0123456789:;<=>?@^_`|[}";
    for (const [i, command] of [`SELECT ${name}`, `EXAMINE ${name}`, `STATUS ${name} (MESSAGES)`, `CREATE ${name}`, `DELETE ${name}`,
      `SUBSCRIBE ${name}`, 'SELECT &Jjo', 'CREATE "a&-b&AGE"'].entries()) {
      assert.equal(await c.status(`a${i}`, command), `a${i} NO [CANNOT] The mailbox name is not valid modified UTF-7.`, command);
    }
    // As a LIST pattern it matches nothing and is no error.
    assert.deepEqual(await c.command('l1', `LIST "" ${name}%*`), ['l1 OK LIST completed.']);
    assert.deepEqual(await c.command('l2', 'LIST "" ~foo'), ['l2 OK LIST completed.']);
    assert.match(await c.status('l3', 'SELECT ~foo'), /^l3 NO /);
    assert.deepEqual(await c.command('n1', 'NOOP'), ['n1 OK NOOP completed.']);
  });

  test('ID after logon: RFC 2971\'s largest is accepted although it is longer than MaxCommandSize; other commands are not', async () => {
    const c = await login('names@contoso.com');
    const pairs = Array.from({ length: 30 }, (_, i) => `"${String.fromCharCode(97 + (i % 26))}${'2'.repeat(29)}" "${'1'.repeat(1024)}"`);
    assert.deepEqual(await c.command('i1', `ID (${pairs.join(' ')})`), ['* ID ("name" "Mailroom" "vendor" "Mailroom")', 'i1 OK ID completed.']);
    assert.equal(await c.status('i2', `STATUS INBOX (MESSAGES) ${'x'.repeat(20_000)}`), 'i2 BAD Command line too long.');
    // ID values as literals: within ID's bound, though more than MaxCommandSize in all.
    c.send('i3 ID ("name" {1024}');
    for (let i = 0; i < 12; i++) {
      assert.match(await c.line(), /^\+ /);
      c.send(`${'w'.repeat(1024)} "f${i}" {1024}`);
    }
    assert.match(await c.line(), /^\+ /);
    c.send(`${'w'.repeat(1024)})`);
    assert.equal((await c.until('i3')).at(-1), 'i3 OK ID completed.');
    // A literal of another command is still held to MaxCommandSize.
    c.send('i4 SELECT {12000}');
    assert.match(await c.line(), /^i4 NO \[TOOBIG\] /);
    assert.deepEqual(await c.command('n1', 'NOOP'), ['n1 OK NOOP completed.']);
  });
});
