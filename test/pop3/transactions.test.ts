// The POP3 service end to end in one process: the real ServiceHost runs the pop3 front end and
// the pop3-backend service on real sockets with real TLS. Transcripts cover every command in
// both states and on both ports, each LoginType, wrong-state commands, over-long lines,
// pipelining, [IN-USE] and MaxConnectionsPerUser, sort order, what a dropped connection and
// QUIT do to the store, UIDL stability, and the protocol log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { LOGIN_TYPES } from '../../src/auth/logon-policy.ts';
import type { ProtocolSessionContext } from '../../src/auth/session-logon.ts';
import { Pop3Backend } from '../../src/backend/pop3-backend.ts';
import { NO_THROTTLING } from '../../src/config/throttling-policy.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { startPopSession } from '../../src/pop3/frontend-session.ts';
import { eventually } from '../helpers.ts';
import { message, PASSWORDS, startPopServer, type PopTestServer } from './harness.ts';
import { PopClient } from './pop-client.ts';
import { dripUntilClosed } from '../support/drip.ts';

let srv: PopTestServer;
const LOGGED_ON = '+OK User successfully logged on.';
const SIGN_OFF = '+OK Mailroom POP3 server signing off.';
const NOT_IN_STATE = '-ERR Command is not valid in this state.';

before(async () => {
  srv = await startPopServer();
  // Alice's Inbox: three messages received a minute apart, oldest first.
  for (const [i, subject] of ['first', 'second', 'third'].entries()) {
    await srv.append('alice', message(subject), new Date(Date.UTC(2026, 10, 1, 8, i)));
  }
});
after(async () => srv?.stop());

async function connect(transport: 'implicit' | 'stls' | 'plain' = 'implicit', port?: number): Promise<PopClient> {
  const tls = transport === 'implicit';
  const c = await PopClient.connect({ port: port ?? (tls ? srv.tlsPort : srv.plainPort), tls });
  assert.equal(await c.line(), '+OK The Mailroom POP3 service is ready.');
  if (transport === 'stls') {
    assert.equal(await c.command('STLS'), '+OK Begin TLS negotiation.');
    await c.startTls();
  }
  return c;
}

async function logon(user: keyof typeof PASSWORDS | string = 'alice', transport: 'implicit' | 'stls' | 'plain' = 'implicit'): Promise<PopClient> {
  const c = await connect(transport);
  const password = PASSWORDS[(user.split(/[@\\]/)[0] ?? user) as keyof typeof PASSWORDS] ?? PASSWORDS.alice;
  assert.equal(await c.command(`USER ${user}`), '+OK');
  assert.equal(await c.command(`PASS ${password}`), LOGGED_ON);
  return c;
}

/**
 * Logs on, retrying while the mailbox is still [IN-USE]: the server frees it when it sees a
 * dropped connection close, which takes a moment.
 */
async function logonWhenFree(user: string, password: string): Promise<PopClient> {
  let session: PopClient | undefined;
  await eventually(async () => {
    const c = await connect('implicit');
    await c.command(`USER ${user}`);
    const answer = await c.command(`PASS ${password}`);
    if (answer === LOGGED_ON) {
      session = c;
      return true;
    }
    c.close();
    assert.ok(answer.startsWith('-ERR [IN-USE]'), answer);
    return false;
  }, 5000, 20);
  return session!;
}

/** Sizes of Alice's three messages, in Inbox order. */
function sizes(): number[] {
  return ['first', 'second', 'third'].map((s) => Buffer.byteLength(message(s)));
}

describe('TRANSACTION state', () => {
  test('every command, in a transcript over implicit TLS (995)', async () => {
    const [a, b, c] = sizes() as [number, number, number];
    const total = a + b + c;
    const client = await logon('alice');
    await client.transcript(`
      C: STAT
      S: +OK 3 ${total}
      C: LIST
      S: +OK 3 messages (${total} octets)
      S: 1 ${a}
      S: 2 ${b}
      S: 3 ${c}
      S: .
      C: LIST 2
      S: +OK 2 ${b}
      C: LIST 4
      S: -ERR No such message.
      C: LIST 0
      S: -ERR No such message.
      C: UIDL
      S: +OK
      S: 1 *.1
      S: 2 *.2
      S: 3 *.3
      S: .
      C: UIDL 3
      S: +OK 3 *.3
      C: TOP 1 0
      S: +OK
      S: From: sender@fabrikam.com
      S: To: alice@contoso.com
      S: Subject: first
      S: Message-ID: <first@fabrikam.com>
      S:
      S: .
      C: TOP 2 5
      S: +OK
      S: From: *
      S: To: *
      S: Subject: second
      S: Message-ID: *
      S:
      S: Body of second.
      S: .
      C: RETR 3
      S: +OK ${c} octets
      S: From: sender@fabrikam.com
      S: To: alice@contoso.com
      S: Subject: third
      S: Message-ID: <third@fabrikam.com>
      S:
      S: Body of third.
      S: .
      C: RETR 9
      S: -ERR No such message.
      C: DELE 1
      S: +OK Message 1 deleted.
      C: DELE 1
      S: -ERR Message 1 has been deleted.
      C: RETR 1
      S: -ERR Message 1 has been deleted.
      C: TOP 1 0
      S: -ERR Message 1 has been deleted.
      C: STAT
      S: +OK 2 ${b + c}
      C: LIST
      S: +OK 2 messages (${b + c} octets)
      S: 2 ${b}
      S: 3 ${c}
      S: .
      C: UIDL
      S: +OK
      S: 2 *.2
      S: 3 *.3
      S: .
      C: RSET
      S: +OK Maildrop has 3 messages (${total} octets).
      C: STAT
      S: +OK 3 ${total}
      C: NOOP
      S: +OK
      C: CAPA
      S: +OK
      S: TOP
      S: UIDL
      S: USER
      S: SASL PLAIN LOGIN SCRAM-SHA-256
      S: RESP-CODES
      S: AUTH-RESP-CODE
      S: PIPELINING
      S: EXPIRE NEVER
      S: UTF8 USER
      S: IMPLEMENTATION Mailroom
      S: .
      C: QUIT
      S: ${SIGN_OFF}
    `);
    await client.waitClosed();
    // RSET took the mark back: nothing was deleted.
    const { store, inboxId } = await srv.store('alice');
    assert.equal((await store.messages(inboxId)).length, 3);
  });

  test('AUTHORIZATION commands, unknown commands and bad arguments after logon', async () => {
    const client = await logon('alice');
    await client.transcript(`
      C: USER bob
      S: ${NOT_IN_STATE}
      C: PASS ${PASSWORDS.bob}
      S: ${NOT_IN_STATE}
      C: AUTH PLAIN
      S: ${NOT_IN_STATE}
      C: STLS
      S: ${NOT_IN_STATE}
      C: UTF8
      S: ${NOT_IN_STATE}
      C: APOP alice 0123456789abcdef0123456789abcdef
      S: -ERR Unknown command.
      C: LAST
      S: -ERR Unknown command.
      C: RETR
      S: -ERR Use RETR <message number>.
      C: RETR x
      S: -ERR Use RETR <message number>.
      C: TOP 1
      S: -ERR Use TOP <message number> <number of lines>.
      C: DELE 1 2
      S: -ERR Use DELE <message number>.
      C: STAT now
      S: -ERR STAT takes no arguments.
      C: stat
      S: +OK 3 *
    `);
    client.close();
  });

  test('TRANSACTION commands before logon are refused, UTF8 is accepted', async () => {
    const client = await connect('implicit');
    await client.transcript(`
      C: STAT
      S: ${NOT_IN_STATE}
      C: RETR 1
      S: ${NOT_IN_STATE}
      C: UTF8
      S: +OK UTF8 enabled.
      C: QUIT
      S: ${SIGN_OFF}
    `);
    await client.waitClosed();
  });

  test('STLS on 110, then the same session', async () => {
    const client = await logon('alice', 'stls');
    const caps = await client.multiline('CAPA');
    assert.ok(!caps.includes('STLS') && caps.includes('USER'));
    assert.match(await client.command('STAT'), /^\+OK 3 \d+$/);
    assert.equal(await client.command('QUIT'), SIGN_OFF);
  });

  for (const loginType of LOGIN_TYPES) {
    test(`LoginType ${loginType}: which transports reach the mailbox`, async () => {
      await srv.apply({ LoginType: loginType });
      try {
        for (const transport of ['plain', 'stls', 'implicit'] as const) {
          const allowed = transport !== 'plain' || loginType === 'PlainTextLogin';
          const c = await connect(transport);
          const user = await c.command('USER alice@contoso.com');
          if (!allowed) {
            assert.equal(user, '-ERR [AUTH] Plain-text logon is allowed only after STLS.', `${loginType}/${transport}`);
            // CAPA keeps STLS and the non-password SASL mechanisms only.
            const caps = await c.multiline('CAPA');
            assert.ok(caps.includes('STLS') && !caps.includes('USER'), `${loginType}/${transport}`);
            c.close();
            continue;
          }
          assert.equal(user, '+OK');
          assert.equal(await c.command(`PASS ${PASSWORDS.alice}`), LOGGED_ON, `${loginType}/${transport}`);
          // After logon CAPA still lists what AUTHORIZATION offered here (RFC 2449 §5).
          const caps = await c.multiline('CAPA');
          assert.equal(caps.includes('STLS'), transport === 'plain', `${loginType}/${transport}`);
          assert.match(await c.command('STAT'), /^\+OK 3 \d+$/);
          assert.equal(await c.command('QUIT'), SIGN_OFF);
        }
        // AUTH PLAIN with an initial response, on 995.
        const c = await connect('implicit');
        const plain = Buffer.from(`\0alice\0${PASSWORDS.alice}`).toString('base64');
        assert.equal(await c.command(`AUTH PLAIN ${plain}`), LOGGED_ON);
        assert.match(await c.command('STAT'), /^\+OK 3/);
        assert.equal(await c.command('QUIT'), SIGN_OFF);
      } finally {
        await srv.apply({ LoginType: 'SecureLogin' });
      }
    });
  }

  test('over-long lines get -ERR and the session goes on (MaxCommandSize)', async () => {
    const client = await logon('alice');
    assert.equal(await client.command(`NOOP ${'x'.repeat(600)}`), '-ERR Command line too long.');
    const junk = `RETR ${'9'.repeat(20_000)}\r\n`;
    for (let i = 0; i < junk.length; i += 1000) client.write(junk.slice(i, i + 1000));
    assert.equal(await client.line(), '-ERR Command line too long.');
    // A new MaxCommandSize applies from the next command read.
    await srv.apply({ MaxCommandSize: 1024 });
    assert.equal(await client.command('NOOP'), '+OK');
    assert.equal(await client.command(`NOOP ${'x'.repeat(600)}`), '-ERR NOOP takes no arguments.');
    await srv.apply({ MaxCommandSize: 512 });
    assert.equal(await client.command('NOOP'), '+OK');
    assert.equal(await client.command('QUIT'), SIGN_OFF);
  });

  test('pipelined commands, from the logon on, are answered in order (RFC 2449 PIPELINING)', async () => {
    const client = await connect('implicit');
    client.write(['USER alice', `PASS ${PASSWORDS.alice}`, 'STAT', 'LIST 1', 'UIDL 2', 'TOP 3 0', 'DELE 1', 'NOOP', 'RSET', 'QUIT', ''].join('\r\n'));
    await client.transcript(`
      S: +OK
      S: ${LOGGED_ON}
      S: +OK 3 *
      S: +OK 1 *
      S: +OK 2 *.2
      S: +OK
      S: From: *
      S: To: *
      S: Subject: third
      S: Message-ID: *
      S:
      S: .
      S: +OK Message 1 deleted.
      S: +OK
      S: +OK Maildrop has 3 messages (* octets).
      S: ${SIGN_OFF}
    `);
    await client.waitClosed();
  });

  test('a second session on a mailbox in TRANSACTION gets [IN-USE]; after QUIT it gets in', async () => {
    const first = await logon('alice');
    const second = await connect('implicit');
    assert.equal(await second.command('USER CONTOSO\\alice'), '+OK');
    assert.equal(await second.command(`PASS ${PASSWORDS.alice}`), '-ERR [IN-USE] The mailbox is already in use by another POP3 session.');
    // Still in AUTHORIZATION: it may try again, and Bob's mailbox is free.
    assert.equal(await second.command('STAT'), NOT_IN_STATE);
    assert.equal(await first.command('QUIT'), SIGN_OFF);
    assert.equal(await second.command('USER alice'), '+OK');
    assert.equal(await second.command(`PASS ${PASSWORDS.alice}`), LOGGED_ON);
    const bob = await logon('bob');
    assert.equal(await bob.command('STAT'), '+OK 0 0');
    await bob.command('QUIT');
    await second.command('QUIT');
  });

  test('two logons to one mailbox at the same moment: exactly one gets in', async () => {
    const [a, b] = await Promise.all([connect('implicit'), connect('implicit')]);
    for (const c of [a, b]) c.write(`USER alice\r\nPASS ${PASSWORDS.alice}\r\n`);
    const answers = await Promise.all([a, b].map(async (c) => [await c.line(), await c.line()][1]));
    assert.deepEqual(answers.sort(), [LOGGED_ON, '-ERR [IN-USE] The mailbox is already in use by another POP3 session.'].sort());
    for (const c of [a, b]) c.send('QUIT');
    await Promise.all([a, b].map((c) => c.waitClosed()));
  });

  test('a shared mailbox through FullAccess is locked on its own; MaxConnectionsPerUser counts the user', async () => {
    await srv.apply({ MaxConnectionsPerUser: 1 });
    try {
      const own = await logon('alice');
      const shared = await connect('implicit');
      assert.equal(await shared.command('USER alice@contoso.com\\sales'), '+OK');
      assert.equal(await shared.command(`PASS ${PASSWORDS.alice}`), '-ERR [IN-USE] Too many POP3 sessions for this user (MaxConnectionsPerUser 1).');
      await srv.apply({ MaxConnectionsPerUser: 2 });
      assert.equal(await shared.command('USER alice@contoso.com\\sales'), '+OK');
      assert.equal(await shared.command(`PASS ${PASSWORDS.alice}`), LOGGED_ON);
      assert.equal(await shared.command('STAT'), '+OK 0 0');
      // A dropped connection gives its slot back.
      shared.close();
      own.close();
      await srv.apply({ MaxConnectionsPerUser: 1 });
      const again = await logonWhenFree('alice@contoso.com\\sales', PASSWORDS.alice);
      await again.command('QUIT');
    } finally {
      await srv.apply({ MaxConnectionsPerUser: 16 });
    }
  });

  test('MessageRetrievalSortOrder Descending numbers newest first, for the next session', async () => {
    await srv.apply({ MessageRetrievalSortOrder: 'Descending' });
    try {
      const client = await logon('alice');
      const uidl = await client.multiline('UIDL');
      assert.deepEqual(uidl.slice(1).map((l) => l.replace(/^\d+ \d+\./, '')), ['3', '2', '1']);
      const first = await client.retr(1);
      assert.match(first.data.toString(), /Subject: third/);
      await client.command('QUIT');
    } finally {
      await srv.apply({ MessageRetrievalSortOrder: 'Ascending' });
    }
  });

  test('a dropped connection deletes nothing', async () => {
    const client = await logon('alice');
    for (const n of [1, 2, 3]) assert.equal(await client.command(`DELE ${n}`), `+OK Message ${n} deleted.`);
    client.close();
    const again = await logonWhenFree('alice', PASSWORDS.alice);
    assert.match(await again.command('STAT'), /^\+OK 3 /);
    await again.command('QUIT');
  });

  test('UIDLs stay the same across sessions and mailbox changes, and are never reused', async () => {
    const read = async () => {
      const c = await logon('alice');
      const lines = (await c.multiline('UIDL')).slice(1).map((l) => l.split(' ')[1]!);
      await c.command('QUIT');
      return lines;
    };
    const before = await read();
    const { store, inboxId } = await srv.store('alice');
    const uids = (await store.messages(inboxId)).map((m) => m.uid);
    // What an IMAP client does meanwhile: flags, a new message, one expunged.
    await store.storeFlags(inboxId, uids, 'add', ['\\Flagged']);
    const extra = await srv.append('alice', message('extra'), new Date(Date.UTC(2026, 10, 1, 9)));
    await store.expunge(inboxId, [extra]);
    const replacement = await srv.append('alice', message('replacement'), new Date(Date.UTC(2026, 10, 1, 9)));
    const afterwards = await read();
    assert.deepEqual(afterwards.slice(0, 3), before);
    assert.equal(afterwards.length, 4);
    assert.ok(!afterwards.includes(`${before[0]!.split('.')[0]}.${extra}`), 'an expunged UID is not reused');
    assert.ok(afterwards[3]!.endsWith(`.${replacement}`));
    await store.expunge(inboxId, [replacement]);
  });

  test('while POP3 holds the maildrop, IMAP-side changes do not disturb it, and POP3 deletions reach IMAP as expunges', async () => {
    const { store, inboxId } = await srv.store('alice');
    const temp1 = await srv.append('alice', message('temp one'), new Date(Date.UTC(2026, 10, 2)));
    const temp2 = await srv.append('alice', message('temp two'), new Date(Date.UTC(2026, 10, 2, 0, 1)));
    const client = await logon('alice');
    assert.match(await client.command('STAT'), /^\+OK 5 /);
    const modseq = (await store.status(inboxId)).highestModseq;
    // An IMAP client expunges temp one; POP3 numbers stay put and the message can still be read.
    await store.expunge(inboxId, [temp1]);
    assert.match((await client.retr(4)).data.toString(), /Subject: temp one/);
    assert.equal(await client.command('DELE 4'), '+OK Message 4 deleted.');
    assert.equal(await client.command('DELE 5'), '+OK Message 5 deleted.');
    assert.equal(await client.command('QUIT'), SIGN_OFF);
    const changes = await store.changesSince(inboxId, modseq);
    assert.deepEqual(changes.expunged.sort((a, b) => a - b), [temp1, temp2]);
  });

  test('QUIT removes what was marked into Recoverable Items, and marks what RETR fetched \\Seen', async () => {
    const { store, inboxId, mailboxId } = await srv.store('alice');
    const uid = await srv.append('alice', message('to delete'), new Date(Date.UTC(2026, 10, 3)));
    const client = await logon('alice');
    assert.match(await client.command('STAT'), /^\+OK 4 /);
    await client.retr(1);
    await client.multiline('TOP 2 0');
    assert.equal(await client.command('DELE 4'), '+OK Message 4 deleted.');
    assert.equal(await client.command('QUIT'), SIGN_OFF);
    await client.waitClosed();
    const left = await store.messages(inboxId);
    assert.ok(!left.some((m) => m.uid === uid));
    assert.ok(left[0]!.flags.includes('\\Seen'), 'RETR marks read');
    assert.ok(!left[1]!.flags.includes('\\Seen'), 'TOP does not');
    const recoverable = (await store.recoverableItems(mailboxId)).filter((i) => i.reason === 'pop3');
    assert.ok(recoverable.some((i) => i.subject === 'to delete' && i.folderName === 'INBOX'));
    const item = recoverable.find((i) => i.subject === 'to delete')!;
    assert.ok(item.purgeAfter.getTime() - item.deletedAt.getTime() === 14 * 86400_000, 'kept for 14 days');
  });

  test('with pop3-backend stopped, logons are told the mailbox server is not available', async () => {
    await srv.setService('pop3-backend', 'Disabled');
    try {
      const c = await connect('implicit');
      assert.equal(await c.command('USER alice'), '+OK');
      assert.equal(await c.command(`PASS ${PASSWORDS.alice}`), '-ERR [SYS/TEMP] The mailbox server for alice@contoso.com is not available yet.');
      c.close();
    } finally {
      await srv.setService('pop3-backend', 'Automatic');
    }
    const c = await logon('alice');
    await c.command('QUIT');
  });

  /**
   * A POP3 listener on a free port with the given PopSettings (plain-text logons allowed), built
   * by hand so that timeouts below Exchange's 30-second minimum can be used.
   */
  async function handBuiltServer(overrides: Record<string, unknown>): Promise<{ port: number; close: () => Promise<void> }> {
    const popSettings = { ...(await srv.dir.settings('PopSettings', 'MAIL01')), LoginType: 'PlainTextLogin', ...overrides };
    const log = pino({ level: 'silent' });
    const databases = new MailboxDatabases(srv.dir);
    const backend = new Pop3Backend({ databases, directory: srv.dir, log }, popSettings, NO_THROTTLING);
    const ctx: ProtocolSessionContext = {
      settings: () => popSettings,
      secureContext: () => {
        throw new Error('no TLS here');
      },
      authenticator: new Authenticator(srv.dir, log),
      log,
      clientAddress: '127.0.0.1',
      implicitTls: false,
      backend: () => backend,
    };
    const server = createServer((socket) => startPopSession(socket, ctx));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as { port: number }).port,
      close: async () => {
        server.close();
        await databases.closeAll();
      },
    };
  }

  test('an idle session is closed after AuthenticatedConnectionTimeout, without UPDATE', async () => {
    // Settings below the 30-second minimum need a session built by hand.
    const { port, close } = await handBuiltServer({ AuthenticatedConnectionTimeout: 1 });
    try {
      const c = await PopClient.connect({ port });
      await c.line();
      await c.command('USER bob');
      assert.equal(await c.command(`PASS ${PASSWORDS.bob}`), LOGGED_ON);
      assert.equal(await c.command('NOOP'), '+OK');
      await srv.append('bob', message('for bob'));
      // Then nothing: the server closes the session.
      await c.waitClosed(10_000);
      await assert.rejects(c.line(), /connection closed; unread: ""/);
      // The lock went with the connection.
      const again = await PopClient.connect({ port });
      await again.line();
      await again.command('USER bob');
      assert.equal(await again.command(`PASS ${PASSWORDS.bob}`), LOGGED_ON);
      assert.equal(await again.command('DELE 1'), '+OK Message 1 deleted.');
      await again.command('QUIT');
    } finally {
      await close();
    }
  });

  test('after logon only complete commands keep a session: a slow drip is closed at AuthenticatedConnectionTimeout', async () => {
    // A logon deadline shorter than the test: the session must outlive it once logged on.
    const { port, close } = await handBuiltServer({ PreAuthenticatedConnectionTimeout: 0.3, AuthenticatedConnectionTimeout: 0.5 });
    try {
      const c = await PopClient.connect({ port });
      await c.line();
      await c.command('USER carol');
      assert.equal(await c.command(`PASS ${PASSWORDS.carol}`), LOGGED_ON);
      // Complete commands for twice the logon deadline: the session stays.
      const until = Date.now() + 600;
      while (Date.now() < until) {
        assert.equal(await c.command('NOOP'), '+OK');
        await new Promise((r) => setTimeout(r, 50));
      }
      await dripUntilClosed(c, 'STAT', 20, 10_000);
      await assert.rejects(c.line(), /connection closed; unread: ""/);
    } finally {
      await close();
    }
  });
});

describe('protocol log', () => {
  test('one CSV line per command in Exchange\'s format, credentials never written, settings live', async () => {
    await srv.apply({ ProtocolLogEnabled: true });
    try {
      const c = await logon('carol');
      await c.command('STAT');
      await c.command('LIST');
      await c.command('BOGUS whatever');
      await c.command('QUIT');
      await c.waitClosed();
      const sasl = await connect('implicit');
      assert.equal(await sasl.command('AUTH PLAIN'), '+ ');
      assert.equal(await sasl.command(Buffer.from(`\0bob\0${PASSWORDS.bob}`).toString('base64')), LOGGED_ON);
      await sasl.command('QUIT');
      const wrong = await connect('implicit');
      await wrong.command('USER bob');
      assert.equal(await wrong.command('PASS Not-Bobs-Password-2026'), '-ERR [AUTH] Logon failure: unknown user name or bad password.');
      assert.equal(await wrong.command(`AUTH LOGIN ${Buffer.from('bob').toString('base64')}`), `+ ${Buffer.from('Password:').toString('base64')}`);
      wrong.send(Buffer.from('Not-Bobs-Password-2026').toString('base64'));
      assert.match(await wrong.line(), /^-ERR \[AUTH\]/);
      wrong.close();

      const folder = join(srv.data, 'Logging', 'Pop3');
      // Each session's last line is CloseSession: once the three are there, so is the rest.
      const closed = () => (existsSync(folder) ? readdirSync(folder) : []).map((n) => readFileSync(join(folder, n), 'utf8').split(',CloseSession,').length - 1).reduce((a, b) => a + b, 0);
      await eventually(() => closed() === 3, 5000);
      const names = readdirSync(folder);
      assert.equal(names.length, 1);
      assert.match(names[0]!, /^POP3\d{10}-1\.LOG$/);
      const text = readFileSync(join(folder, names[0]!), 'utf8');
      for (const secret of [PASSWORDS.carol, PASSWORDS.bob, 'Not-Bobs-Password-2026']) {
        assert.ok(!text.includes(secret), `log contains ${secret}`);
        assert.ok(!text.includes(Buffer.from(secret).toString('base64')), `log contains base64 of ${secret}`);
      }
      assert.ok(!text.includes(Buffer.from(`\0bob\0${PASSWORDS.bob}`).toString('base64')));
      const rows = text.split('\r\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(','));
      const carol = rows.filter((r) => r[5] === 'carol@contoso.com' || rows.some((o) => o[1] === r[1] && o[5] === 'carol@contoso.com'));
      // The typed user name shows as its first characters and a tag (logonNameTag).
      const commands = carol.map((r) => [r[9], r[10]?.replace(/^(car)\.\.\.#[0-9a-f]{8}$/, '$1…')]);
      assert.deepEqual(commands, [
        ['OpenSession', ''], ['user', 'car…'], ['pass', '*****'], ['stat', ''], ['list', ''], ['unknown', ''], ['quit', ''], ['CloseSession', ''],
      ]);
      const pass = carol.find((r) => r[9] === 'pass')!;
      assert.equal(pass[11], 'R=+OK User successfully logged on.');
      const list = carol.find((r) => r[9] === 'list')!;
      assert.equal(list[7], '6');
      assert.ok(Number(list[8]) > 20);
      const auth = rows.find((r) => r[9] === 'auth' && r[10] === 'PLAIN')!;
      assert.equal(auth[5], 'bob@contoso.com');
      assert.ok(Number(auth[7]) > 12, 'the SASL response line counts towards the request size');
      const failed = rows.filter((r) => r[9] === 'pass' && r[11]?.startsWith('R=-ERR'));
      assert.match(failed.at(-1)!.slice(11).join(','), /Reason=credentials/);
      assert.ok(rows.some((r) => r[9] === 'auth' && r[10] === `LOGIN *****`));

      // Settings apply to the next line: a new folder, then off.
      await srv.apply({ LogFileLocation: 'Logging/Pop3-moved' });
      const moved = await logon('bob');
      await moved.command('QUIT');
      await srv.apply({ ProtocolLogEnabled: false });
      const quiet = await logon('bob');
      await quiet.command('NOOP');
      await quiet.command('QUIT');
      const movedText = readdirSync(join(srv.data, 'Logging', 'Pop3-moved')).map((n) => readFileSync(join(srv.data, 'Logging', 'Pop3-moved', n), 'utf8')).join('');
      assert.match(movedText, /,bob@contoso\.com,\d+,\d+,\d+,quit,/);
      assert.ok(!movedText.includes(',noop,'));
    } finally {
      await srv.apply({ ProtocolLogEnabled: false, LogFileLocation: 'Logging/Pop3' });
    }
  });

  test('a password typed as the user name reaches no log; command text cannot become a spreadsheet formula', async () => {
    await srv.apply({ ProtocolLogEnabled: true, LogFileLocation: 'Logging/Pop3-hostile' });
    try {
      const pasted = 'Summer-Secret-2026!';
      const c = await connect('implicit');
      assert.equal(await c.command(`USER ${pasted}`), '+OK');
      assert.equal(await c.command('PASS anything'), '-ERR [AUTH] Logon failure: unknown user name or bad password.');
      assert.equal(await c.command('USER carol'), '+OK');
      assert.equal(await c.command('PASS Not-Carols-Password-2026'), '-ERR [AUTH] Logon failure: unknown user name or bad password.');
      await c.command(`LIST =cmd|' /C calc'!A0`);
      await c.command('UIDL @SUM(1+1)\x1b[2J');
      await c.command('QUIT');
      await c.waitClosed();

      const folder = join(srv.data, 'Logging', 'Pop3-hostile');
      const text = readdirSync(folder).map((n) => readFileSync(join(folder, n), 'utf8')).join('');
      assert.ok(!text.includes(pasted), 'the pasted password is in the protocol log');
      assert.match(text, /,user,Sum\.\.\.#[0-9a-f]{8},/);
      // A leading ' and quotes, so no spreadsheet reads a formula; control characters replaced.
      assert.match(text, /,list,"'=cmd\|' \/C calc'!A0",/);
      assert.match(text, /,uidl,"'@SUM\(1\+1\)\ufffd\[2J",/);
      assert.ok(!/[\x00-\x09\x0b\x0c\x0e-\x1f]/.test(text), 'a control character reached the log');

      const failures = srv.logLines.map((l) => JSON.parse(l) as { msg: string; user?: string }).filter((l) => l.msg === 'logon failed');
      assert.ok(!srv.logLines.join('').includes(pasted), 'the pasted password is in the service log');
      // An unknown name is tagged the same way in both logs; a known account by its name.
      const tag = /,user,(Sum\.\.\.#[0-9a-f]{8}),/.exec(text)![1];
      assert.ok(failures.some((f) => f.user === tag), JSON.stringify(failures.slice(-3)));
      assert.ok(failures.some((f) => f.user === 'carol@contoso.com'), JSON.stringify(failures.slice(-3)));
    } finally {
      await srv.apply({ ProtocolLogEnabled: false, LogFileLocation: 'Logging/Pop3' });
    }
  });

  test('no credential reaches the service log either', () => {
    const all = srv.logLines.join('');
    for (const secret of [PASSWORDS.alice, PASSWORDS.bob, PASSWORDS.carol, 'Not-Bobs-Password-2026']) assert.ok(!all.includes(secret), secret);
  });
});
