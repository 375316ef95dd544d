// The POP3 front end over real sockets and real TLS, against a real directory on SQLite:
// greeting, CAPA per LoginType and transport, USER/PASS and AUTH (PLAIN, LOGIN, SCRAM-SHA-256)
// up to the "mailbox not available yet" answer, refusals that all look alike, pipelining, STLS
// injection, limits, timeouts and live settings. Python's poplib checks that a stock client gets
// along.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Authenticator } from '../../src/auth/authenticator.ts';
import { MailboxDatabases } from '../../src/backend/mailbox-databases.ts';
import { fastCredentials, useFastPasswords } from '../support/passwords.ts';
import { LOGIN_TYPES } from '../../src/auth/logon-policy.ts';
import { LogonThrottle } from '../../src/auth/throttle.ts';
import { Directory } from '../../src/directory/directory.ts';
import { ProtocolFrontend } from '../../src/frontend/protocol-frontend.ts';
import { SecureContextCache, ServiceHost, type ServiceDeps } from '../../src/host/server.ts';
import { setupOrganization } from '../../src/host/setup.ts';
import type { ProtocolSessionContext, SessionBackend } from '../../src/auth/session-logon.ts';
import { startPopSession } from '../../src/pop3/frontend-session.ts';
import { SqliteDatabase } from '../../src/lib/sql/sqlite.ts';
import { dripUntilClosed } from '../support/drip.ts';
import { LineClient, LOOPBACK_ALIASES } from './line-client.ts';
import { python } from './python.ts';
import { ScramClient } from './scram.ts';
import { startFrontendService } from './start-frontend.ts';

const ALICE_PW = 'Alice-Pass-2026';
const BOB_PW = 'Bob-Pass-2026!';
const CAROL_PW = 'Carol-Pass-2026';
const ADMIN_PW = 'Admin-Pass-2026';
const PASSWORDS = [ALICE_PW, BOB_PW, CAROL_PW, ADMIN_PW, 'Wrong-Pass-2026'];
const BANNER = 'The Mailroom POP3 service is ready.';

// Every log line of the run, to prove no credential is ever written.
const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });

const NOT_AVAILABLE = (address: string) => `-ERR [SYS/TEMP] The mailbox server for ${address} is not available yet.`;
const LOGON_FAILURE = '-ERR [AUTH] Logon failure: unknown user name or bad password.';

let tmp: string;
let dir: Directory;
let deps: ServiceDeps;
let host: ServiceHost;
let fe: ProtocolFrontend;
let plainPort: number;
let tlsPort: number;

async function startFrontend(): Promise<void> {
  const started = await startFrontendService('pop', deps, host);
  fe = started.fe;
  plainPort = 110 + started.offset;
  tlsPort = 995 + started.offset;
}

async function applySettings(changes: Record<string, unknown>): Promise<void> {
  await dir.updateSettings('PopSettings', changes, 'MAIL01');
  await fe.reconfigure(await host.readSnapshot());
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mailroom-pop-fe-'));
  dir = await Directory.openWith(new SqliteDatabase(join(tmp, 'directory.db')));
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: ADMIN_PW });
  await useFastPasswords(dir);
  const [alice, bob, carol] = await Promise.all([fastCredentials(ALICE_PW), fastCredentials(BOB_PW), fastCredentials(CAROL_PW)]);
  await dir.createMailbox({ name: 'Alice Wong', alias: 'alice', credentials: alice });
  await dir.createMailbox({ name: 'Bob Kelly', alias: 'bob', credentials: bob });
  await dir.createMailbox({ name: 'Carol Diaz', alias: 'carol', credentials: carol });
  await dir.createMailbox({ name: 'Sales', alias: 'sales', type: 'shared' });
  await dir.addMailboxPermission('sales', 'alice', 'FullAccess');
  await dir.updateMailbox('carol', { settings: { PopEnabled: false } });
  await dir.updateSettings('PopSettings', { UnencryptedOrTLSBindings: ['127.0.0.1:110'], SSLBindings: ['127.0.0.1:995'] }, 'MAIL01');
  deps = { directory: dir, databases: new MailboxDatabases(dir), authenticator: new Authenticator(dir, log), log, tls: new SecureContextCache() };
  if (!LOOPBACK_ALIASES) Object.assign(deps.authenticator, { throttle: new LogonThrottle({ freeFailures: 1000 }) });
  host = new ServiceHost(deps, 'MAIL01', 'all');
  await startFrontend();
});

after(async () => {
  await fe?.stop();
  await deps?.databases.closeAll();
  await dir?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The POP3 side of the shared line client. */
class PopClient extends LineClient {
  static async open(options: { tls?: boolean; port?: number } = {}): Promise<PopClient> {
    return new PopClient(await LineClient.connect(options.port ?? (options.tls ? tlsPort : plainPort), options.tls === true));
  }

  /** One command, one status line. */
  async command(line: string): Promise<string> {
    this.send(line);
    return this.line();
  }

  /** A multi-line answer, status line included, up to (without) the terminating ".". */
  async multiline(line: string): Promise<string[]> {
    this.send(line);
    const got = [await this.line()];
    if (!got[0]!.startsWith('+OK')) return got;
    for (let l = await this.line(); l !== '.'; l = await this.line()) got.push(l);
    return got;
  }
}

async function session(transport: 'plain' | 'stls' | 'implicit' = 'implicit'): Promise<PopClient> {
  const client = await PopClient.open({ tls: transport === 'implicit' });
  assert.equal(await client.line(), `+OK ${BANNER}`);
  if (transport === 'stls') {
    assert.equal(await client.command('STLS'), '+OK Begin TLS negotiation.');
    await client.startTls();
  }
  return client;
}

async function capa(client: PopClient): Promise<string[]> {
  const lines = await client.multiline('CAPA');
  assert.equal(lines[0], '+OK');
  return lines.slice(1);
}

async function userPass(client: PopClient, user: string, password: string): Promise<string> {
  const answer = await client.command(`USER ${user}`);
  if (answer !== '+OK') return answer;
  return client.command(`PASS ${password}`);
}

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const plainResponse = (user: string, password: string, authzid = '') => b64(`${authzid}\0${user}\0${password}`);

describe('POP3 front end', () => {
  test('greeting, CAPA on an implicit-TLS connection, QUIT', async () => {
    const c = await session('implicit');
    assert.deepEqual(await capa(c), [
      'TOP', 'UIDL', 'USER', 'SASL PLAIN LOGIN SCRAM-SHA-256', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'EXPIRE NEVER', 'UTF8 USER',
      'IMPLEMENTATION Mailroom',
    ]);
    assert.equal(await c.command('QUIT'), '+OK Mailroom POP3 server signing off.');
    await c.waitClosed();
  });

  for (const loginType of LOGIN_TYPES) {
    test(`LoginType ${loginType}: CAPA, USER/PASS and AUTH PLAIN on each transport`, async () => {
      await applySettings({ LoginType: loginType });
      for (const transport of ['plain', 'stls', 'implicit'] as const) {
        const tls = transport !== 'plain';
        const what = `${loginType}/${transport}`;
        const passwordsAllowed = tls || loginType === 'PlainTextLogin';
        const c = await session(transport);
        const caps = await capa(c);
        assert.equal(caps.includes('USER'), passwordsAllowed, what);
        assert.equal(caps.includes('STLS'), !tls, what);
        const sasl = caps.find((l) => l.startsWith('SASL'))?.split(' ').slice(1) ?? [];
        assert.equal(sasl.includes('PLAIN'), passwordsAllowed, what);
        assert.equal(sasl.includes('SCRAM-SHA-256'), tls || loginType !== 'SecureLogin', what);

        const viaUser = await userPass(c, 'alice@contoso.com', ALICE_PW);
        const viaAuth = await c.command(`AUTH PLAIN ${plainResponse('alice@contoso.com', ALICE_PW)}`);
        if (passwordsAllowed) {
          assert.equal(viaUser, NOT_AVAILABLE('alice@contoso.com'), what);
          assert.equal(viaAuth, NOT_AVAILABLE('alice@contoso.com'), what);
        } else {
          assert.equal(viaUser, '-ERR [AUTH] Plain-text logon is allowed only after STLS.', what);
          assert.equal(viaAuth, '-ERR [AUTH] PLAIN is allowed only after STLS.', what);
        }
        // Still in AUTHORIZATION: the session goes on.
        assert.equal(await c.command('STAT'), '-ERR Command is not valid in this state.', what);
        c.close();
      }
    });
  }

  test('a LoginType change applies to connections already open', async () => {
    await applySettings({ LoginType: 'SecureLogin' });
    const c = await session('plain');
    assert.ok(!(await capa(c)).includes('USER'));
    await applySettings({ LoginType: 'PlainTextLogin' });
    assert.ok((await capa(c)).includes('USER'));
    assert.equal(await userPass(c, 'alice', ALICE_PW), NOT_AVAILABLE('alice@contoso.com'));
    c.close();
    await applySettings({ LoginType: 'SecureLogin' });
  });

  test('AUTH without a mechanism lists those usable now', async () => {
    const plain = await session('plain');
    assert.deepEqual(await plain.multiline('AUTH'), ['+OK']);
    plain.close();
    const secure = await session('implicit');
    assert.deepEqual(await secure.multiline('AUTH'), ['+OK', 'PLAIN', 'LOGIN', 'SCRAM-SHA-256']);
    secure.close();
  });

  test('blocked accounts, disabled POP3 and wrong passwords all get the same refusal', async () => {
    const attempts: [string, string][] = [
      ['Administrator', ADMIN_PW], // the right password: blocked by design
      ['CONTOSO\\Administrator', ADMIN_PW],
      ['Anonymous', 'Anything-2026'],
      ['guest@contoso.com', 'Anything-2026'],
      ['carol@contoso.com', CAROL_PW], // PopEnabled $false
      ['bob@contoso.com', 'Wrong-Pass-2026'],
      ['nobody@contoso.com', 'Wrong-Pass-2026'],
    ];
    for (const [user, password] of attempts) {
      // A new connection from a new address each time keeps the address throttle out of it.
      const c = await session('implicit');
      assert.equal(await userPass(c, user, password), LOGON_FAILURE, user);
      c.close();
    }
    const c = await session('implicit');
    assert.equal(await c.command(`AUTH PLAIN ${plainResponse('Administrator', ADMIN_PW)}`), LOGON_FAILURE);
    assert.equal(await c.command(`AUTH PLAIN ${plainResponse('carol', CAROL_PW)}`), LOGON_FAILURE);
    c.close();
  });

  test('DOMAIN\\user, user@domain and shared mailboxes with and without FullAccess', async () => {
    const ok: [string, string][] = [
      ['CONTOSO\\alice', 'alice@contoso.com'],
      ['alice', 'alice@contoso.com'],
      ['alice@contoso.com\\sales', 'sales@contoso.com'],
      ['CONTOSO\\alice\\sales', 'sales@contoso.com'],
    ];
    const c = await session('implicit');
    for (const [user, mailbox] of ok) assert.equal(await userPass(c, user, ALICE_PW), NOT_AVAILABLE(mailbox), user);
    assert.equal(await c.command(`AUTH PLAIN ${plainResponse('alice', ALICE_PW, 'sales')}`), NOT_AVAILABLE('sales@contoso.com'));
    assert.equal(await c.command(`AUTH PLAIN ${plainResponse('bob', BOB_PW, 'sales')}`), LOGON_FAILURE);
    assert.equal(await userPass(c, 'bob@contoso.com\\sales', BOB_PW), LOGON_FAILURE);
    assert.equal(await userPass(c, 'sales@contoso.com', ALICE_PW), LOGON_FAILURE);
    c.close();
  });

  test('a password may contain spaces', async () => {
    const pw = 'Spaced out pass 2026';
    await dir.createMailbox({ name: 'Dan Park', alias: 'dan', credentials: await fastCredentials(pw) });
    const c = await session('implicit');
    assert.equal(await userPass(c, 'dan', pw), NOT_AVAILABLE('dan@contoso.com'));
    c.close();
  });

  test('SCRAM-SHA-256 over TLS, with and without an initial response', async () => {
    const c = await session('implicit');
    c.send('AUTH SCRAM-SHA-256');
    assert.equal(await c.line(), '+ ');
    const scram = new ScramClient('alice@contoso.com', ALICE_PW);
    c.send(b64(scram.first()));
    const serverFirst = await c.line();
    assert.match(serverFirst, /^\+ /);
    c.send(b64(scram.final(Buffer.from(serverFirst.slice(2), 'base64').toString())));
    const serverFinal = await c.line();
    assert.ok(scram.verify(Buffer.from(serverFinal.slice(2), 'base64').toString()), 'server signature');
    assert.equal(await c.command(''), NOT_AVAILABLE('alice@contoso.com'));

    const shared = new ScramClient('CONTOSO\\alice', ALICE_PW, 'sales');
    c.send(`AUTH scram-sha-256 ${b64(shared.first())}`);
    const first2 = await c.line();
    c.send(b64(shared.final(Buffer.from(first2.slice(2), 'base64').toString())));
    assert.ok(shared.verify(Buffer.from((await c.line()).slice(2), 'base64').toString()));
    assert.equal(await c.command(''), NOT_AVAILABLE('sales@contoso.com'));

    const wrong = new ScramClient('bob', 'Wrong-Pass-2026');
    c.send(`AUTH SCRAM-SHA-256 ${b64(wrong.first())}`);
    const first3 = await c.line();
    assert.equal(await c.command(b64(wrong.final(Buffer.from(first3.slice(2), 'base64').toString()))), LOGON_FAILURE);
    c.close();
  });

  test('AUTH: continuation, cancel, bad base64, unknown mechanism, LOGIN', async () => {
    const c = await session('implicit');
    assert.equal(await c.command('AUTH PLAIN'), '+ ');
    assert.equal(await c.command(plainResponse('alice', ALICE_PW)), NOT_AVAILABLE('alice@contoso.com'));
    assert.equal(await c.command('AUTH PLAIN'), '+ ');
    assert.equal(await c.command('*'), '-ERR Authentication cancelled.');
    assert.equal(await c.command('AUTH LOGIN'), `+ ${b64('Username:')}`);
    assert.equal(await c.command('###'), '-ERR The AUTH response is not valid base64.');
    assert.equal(await c.command('AUTH CRAM-MD5'), '-ERR Unrecognized authentication mechanism.');
    assert.equal(await c.command('AUTH PLAIN ###'), '-ERR The initial response is not valid base64.');
    assert.equal(await c.command(`AUTH LOGIN ${b64('alice')}`), `+ ${b64('Password:')}`);
    assert.equal(await c.command(b64(ALICE_PW)), NOT_AVAILABLE('alice@contoso.com'));
    c.close();
  });

  test('wrong-state and unknown commands', async () => {
    const c = await session('implicit');
    for (const cmd of ['STAT', 'LIST', 'RETR 1', 'DELE 1', 'NOOP', 'RSET', 'TOP 1 0', 'UIDL']) {
      assert.equal(await c.command(cmd), '-ERR Command is not valid in this state.', cmd);
    }
    assert.equal(await c.command('XYZZY'), '-ERR Unknown command.');
    assert.equal(await c.command('APOP alice 0123456789abcdef'), '-ERR Unknown command.');
    assert.equal(await c.command(`PASS ${ALICE_PW}`), '-ERR PASS must follow USER.');
    assert.equal(await c.command('USER'), '-ERR USER needs a user name.');
    assert.equal(await c.command('STLS'), '-ERR TLS is already active.');
    c.close();
  });

  test('over-long lines are refused and skipped, and the session goes on', async () => {
    const c = await session('implicit');
    assert.equal(await c.command(`USER ${'a'.repeat(600)}`), '-ERR Command line too long.');
    const junk = `${'x'.repeat(5000)}\r\n`;
    for (let i = 0; i < junk.length; i += 300) c.write(junk.slice(i, i + 300));
    assert.equal(await c.line(), '-ERR Command line too long.');
    // A SASL response that is too long ends the exchange.
    assert.equal(await c.command('AUTH PLAIN'), '+ ');
    assert.equal(await c.command('A'.repeat(1000)), '-ERR Command line too long.');
    assert.equal(await c.command('NOOP'), '-ERR Command is not valid in this state.');
    c.close();
  });

  test('pipelined commands are answered in order (RFC 2449 PIPELINING)', async () => {
    const c = await session('implicit');
    c.write(['NOOP', 'USER alice', `PASS ${ALICE_PW}`, 'USER bob', 'PASS Wrong-Pass-2026', 'FOO', 'CAPA', ''].join('\r\n'));
    const lines: string[] = [];
    while (lines[lines.length - 1] !== '.') lines.push(await c.line());
    assert.deepEqual(lines.slice(0, 7), [
      '-ERR Command is not valid in this state.',
      '+OK',
      NOT_AVAILABLE('alice@contoso.com'),
      '+OK',
      LOGON_FAILURE,
      '-ERR Unknown command.',
      '+OK',
    ]);
    assert.equal(lines[7], 'TOP');
    c.close();
  });

  test('STLS discards commands pipelined after it (CVE-2011-0411)', async () => {
    await applySettings({ LoginType: 'PlainTextLogin' });
    const c = await session('plain');
    c.write(`STLS\r\nUSER alice\r\nPASS ${ALICE_PW}\r\n`);
    assert.equal(await c.line(), '+OK Begin TLS negotiation.');
    await c.startTls();
    // Had USER survived the upgrade, PASS alone would be accepted here.
    assert.equal(await c.command(`PASS ${ALICE_PW}`), '-ERR PASS must follow USER.');
    assert.ok(!(await capa(c)).includes('STLS'));
    c.close();
    await applySettings({ LoginType: 'SecureLogin' });
  });

  test('a new banner reaches the next connection', async () => {
    await applySettings({ Banner: 'Contoso POP3 is ready.' });
    const c = await PopClient.open({ tls: true });
    assert.equal(await c.line(), '+OK Contoso POP3 is ready.');
    c.close();
    await applySettings({ Banner: BANNER });
  });

  test('the back end in the session context takes over after logon, or refuses with its own reply', async () => {
    const taken: { pending: string; mailbox: string }[] = [];
    let refuse = true;
    const backend: SessionBackend = {
      open: async ({ logon }) => {
        if (refuse) return { ok: false, response: '-ERR [IN-USE] The mailbox is already in use by another POP3 session.' };
        return {
          ok: true,
          session: {
            start: (connection) => {
              taken.push({ pending: connection.pending.toString(), mailbox: logon.mailbox.alias });
              connection.socket.write('+OK User successfully logged on.\r\n');
              connection.socket.on('data', (d) => connection.socket.write(`+OK echo ${d.toString().trim()}\r\n`));
              connection.socket.resume();
            },
          },
        };
      },
    };
    const { server, port } = await directSession({ backend });
    try {
      const c = await PopClient.open({ port, tls: false });
      await c.line();
      assert.equal(await userPass(c, 'alice', ALICE_PW), '-ERR [IN-USE] The mailbox is already in use by another POP3 session.');
      refuse = false;
      c.write(`USER alice@contoso.com\\sales\r\nPASS ${ALICE_PW}\r\nSTAT\r\n`);
      assert.equal(await c.line(), '+OK');
      assert.equal(await c.line(), '+OK User successfully logged on.');
      assert.equal(await c.command('LIST'), '+OK echo LIST');
      assert.deepEqual(taken, [{ pending: 'STAT\r\n', mailbox: 'sales' }]);
      c.close();
    } finally {
      server.close();
    }
  });

  test('an internal failure answers -ERR [SYS/TEMP] and the session continues', async () => {
    const { server, port } = await directSession({
      authenticator: { logon: async () => { throw new Error('directory offline'); } } as unknown as Authenticator,
    });
    try {
      const c = await PopClient.open({ port, tls: false });
      await c.line();
      assert.equal(await userPass(c, 'alice', ALICE_PW), '-ERR [SYS/TEMP] Temporary server error; try again later.');
      assert.equal(await c.command('NOOP'), '-ERR Command is not valid in this state.');
      c.close();
    } finally {
      server.close();
    }
  });

  test('an idle connection is closed after PreAuthenticatedConnectionTimeout, silently (RFC 1939 §3)', async () => {
    const { server, port } = await directSession({ settings: { PreAuthenticatedConnectionTimeout: 0.3 } });
    try {
      const c = await PopClient.open({ port, tls: false });
      await c.line();
      await c.waitClosed();
      await assert.rejects(c.line(), /connection closed; unread: ""/);
    } finally {
      server.close();
    }
  });

  test('slow drip: bytes of a command line that never ends do not keep the connection open', async () => {
    // One byte every 20 ms, a timeout of 0.5 s: if any byte restarted the clock, the
    // connection would stay open for as long as the client keeps dripping.
    const { server, port } = await directSession({ settings: { PreAuthenticatedConnectionTimeout: 0.5 } });
    try {
      const c = await PopClient.open({ port, tls: false });
      await c.line();
      await dripUntilClosed(c, 'USER someone@contoso.com', 20, 10_000);
      await assert.rejects(c.line(), /connection closed; unread: ""/);
    } finally {
      server.close();
    }
  });

  test('the logon phase has an absolute deadline: commands and failed logons do not extend it', async () => {
    const { server, port } = await directSession({ settings: { PreAuthenticatedConnectionTimeout: 0.5 } });
    try {
      const c = await PopClient.open({ port, tls: false });
      await c.line();
      let n = 0;
      // Complete commands, each well inside the timeout: only the deadline can end this.
      const until = Date.now() + 10_000;
      while (!c.isClosed && Date.now() < until) {
        n++;
        if (n % 3 === 0) {
          c.send('USER nobody@contoso.com');
          c.send('PASS wrong');
          const replies = [await c.line().catch(() => ''), await c.line().catch(() => '')];
          if (!c.isClosed) assert.match(replies[1]!, /^-ERR \[AUTH\]/);
        } else {
          const reply = await c.command('CAPA').catch(() => '');
          if (reply === '+OK') while ((await c.line().catch(() => '.')) !== '.');
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(c.isClosed, 'the connection outlived its logon deadline');
      assert.ok(n >= 3, `only ${n} commands were sent`);
    } finally {
      server.close();
    }
  });

  test("Python's poplib: POP3_SSL and STLS", async () => {
    const script = `
import json, poplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
plain, secure, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
out = {}
def logon(p, user):
    try:
        p.user(user)
        p.pass_(password)
        return 'OK'
    except poplib.error_proto as e:
        r = e.args[0]
        return r.decode() if isinstance(r, bytes) else str(r)
p = poplib.POP3_SSL('127.0.0.1', secure, context=ctx)
out['welcome'] = p.getwelcome().decode()
out['capa_ssl'] = p.capa()
out['ssl_logon'] = logon(p, 'alice@contoso.com')
out['quit'] = p.quit().decode()
p = poplib.POP3('127.0.0.1', plain)
out['capa_plain'] = p.capa()
out['plain_logon'] = logon(p, 'alice')
out['stls'] = p.stls(ctx).decode()
out['capa_tls'] = p.capa()
out['tls_logon'] = logon(p, 'CONTOSO\\\\alice')
p.quit()
print(json.dumps(out))
`;
    type Capa = Record<string, string[]>;
    const out = JSON.parse(await python(script, [String(plainPort), String(tlsPort), ALICE_PW])) as {
      welcome: string; capa_ssl: Capa; ssl_logon: string; quit: string; capa_plain: Capa; plain_logon: string; stls: string; capa_tls: Capa; tls_logon: string;
    };
    assert.equal(out.welcome, `+OK ${BANNER}`);
    assert.ok('USER' in out.capa_ssl && 'SASL' in out.capa_ssl);
    assert.equal(out.ssl_logon, NOT_AVAILABLE('alice@contoso.com'));
    assert.equal(out.quit, '+OK Mailroom POP3 server signing off.');
    assert.ok(!('USER' in out.capa_plain) && 'STLS' in out.capa_plain);
    assert.equal(out.plain_logon, '-ERR [AUTH] Plain-text logon is allowed only after STLS.');
    assert.equal(out.stls, '+OK Begin TLS negotiation.');
    assert.ok('USER' in out.capa_tls && !('STLS' in out.capa_tls));
    assert.equal(out.tls_logon, NOT_AVAILABLE('alice@contoso.com'));
  });

  test('no credential ever reaches the log, but the commands do', () => {
    const all = logLines.join('');
    for (const password of [...PASSWORDS, 'Spaced out pass 2026']) {
      assert.ok(!all.includes(password), `log contains ${password}`);
      assert.ok(!all.includes(b64(password)), `log contains base64 of ${password}`);
    }
    assert.match(all, /"command":"PASS"/);
    assert.match(all, /"command":"AUTH"/);
  });
});

/** A session started directly on a plain server, for contexts the front end cannot produce. */
async function directSession(overrides: { settings?: Record<string, unknown>; authenticator?: Authenticator; backend?: SessionBackend }): Promise<{ server: Server; port: number }> {
  const snapshot = await host.readSnapshot();
  const ctx: ProtocolSessionContext = {
    settings: () => ({ ...snapshot.popSettings, LoginType: 'PlainTextLogin', ...overrides.settings }) as typeof snapshot.popSettings,
    secureContext: () => {
      throw new Error('no TLS here');
    },
    authenticator: overrides.authenticator ?? deps.authenticator,
    log,
    clientAddress: '127.0.0.1',
    implicitTls: false,
    backend: () => overrides.backend,
  };
  const server = createServer((socket) => startPopSession(socket, ctx));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}




