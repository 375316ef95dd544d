// Raw-socket transcripts for what the back end advertises beyond RFC 3501's core and no client
// test reaches: mailbox names that are not modified UTF-7, ID at its RFC 2971 maximum.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawClient, startServer, type TestServer } from './harness.ts';

let server: TestServer;
const open: RawClient[] = [];

async function login(user: string): Promise<RawClient> {
  const c = await RawClient.login(server.tlsPort, user);
  open.push(c);
  return c;
}

before(async () => {
  server = await startServer();
  for (const alias of ['names']) await server.addUser(alias);
});

after(async () => {
  for (const c of open) c.close();
  await server?.stop();
});

describe('IMAP4 extension transcripts', () => {
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
