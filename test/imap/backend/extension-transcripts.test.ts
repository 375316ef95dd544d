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
