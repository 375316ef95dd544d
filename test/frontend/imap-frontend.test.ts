// The IMAP4 front end over real sockets and real TLS, against a real directory on SQLite:
// greeting, CAPABILITY per LoginType and transport, LOGIN and AUTHENTICATE (PLAIN, SCRAM-SHA-256)
// up to the "mailbox not available yet" answer, refusals that all look alike, literals,
// pipelining, STARTTLS injection, limits, timeouts and live settings. Python's imaplib checks
// that a stock client gets along. Also the LineReader both protocols share.
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
import { parseImapArgs, startImapSession } from '../../src/imap/frontend-session.ts';
import type { ProtocolSessionContext, SessionBackend } from '../../src/auth/session-logon.ts';
import { LineReader, type LineReaderItem } from '../../src/lib/line-reader.ts';
import { SqliteDatabase } from '../../src/lib/sql/sqlite.ts';
import { dripUntilClosed } from '../support/drip.ts';
import { prng } from '../support/random.ts';
import { LineClient, LOOPBACK_ALIASES } from './line-client.ts';
import { python } from './python.ts';
import { ScramClient } from './scram.ts';
import { startFrontendService } from './start-frontend.ts';

// ---------------------------------------------------------------------------------------------
// LineReader
// ---------------------------------------------------------------------------------------------

type Seen = ['line' | 'overflow', string] | ['literal', string, boolean];

/** Feeds chunks, draining after each one like a session does; `{n}` lines announce literals. */
function readAll(chunks: (string | Buffer)[], maxLineLength: number, options: { chunkedLiterals?: boolean } = {}): { seen: Seen[]; peak: number } {
  const reader = new LineReader({ maxLineLength });
  const seen: Seen[] = [];
  let peak = 0;
  for (const chunk of chunks) {
    reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, 'latin1'));
    peak = Math.max(peak, reader.buffered);
    for (let item: LineReaderItem | null; (item = reader.next()); ) {
      if (item.type === 'literal') {
        seen.push(['literal', item.data.toString('latin1'), item.final]);
        continue;
      }
      const text = (item.type === 'line' ? item.data : item.head).toString('latin1');
      seen.push([item.type, text]);
      const literal = item.type === 'line' ? /\{(\d+)\}$/.exec(text) : null;
      if (literal) reader.expectLiteral(Number(literal[1]), { chunked: options.chunkedLiterals === true });
    }
  }
  return { seen, peak };
}

describe('LineReader', () => {
  const table: { name: string; chunks: string[]; max?: number; expect: Seen[] }[] = [
    { name: 'CRLF and bare LF lines', chunks: ['a1 NOOP\r\nb\n'], expect: [['line', 'a1 NOOP'], ['line', 'b']] },
    { name: 'an unterminated line waits', chunks: ['abc'], expect: [] },
    { name: 'a CRLF split between chunks', chunks: ['abc\r', '\ndef\r\n'], expect: [['line', 'abc'], ['line', 'def']] },
    { name: 'empty lines', chunks: ['\r\n\n'], expect: [['line', ''], ['line', '']] },
    { name: 'a line of exactly the maximum', chunks: ['abcd\r\n'], max: 4, expect: [['line', 'abcd']] },
    { name: 'a complete line one byte over', chunks: ['abcde\r\nok\r\n'], max: 4, expect: [['overflow', 'abcde'], ['line', 'ok']] },
    {
      name: 'an over-long line is dropped up to the next LF, across chunks',
      chunks: ['abcdefgh', 'ijkl', 'mn\r\nok\r\n'],
      max: 4,
      expect: [['overflow', 'abcde'], ['line', 'ok']],
    },
    {
      name: 'a literal, then the rest of the command',
      chunks: ['a LOGIN {3}\r\n', 'x\r', 'y rest\r\n'],
      expect: [['line', 'a LOGIN {3}'], ['literal', 'x\ry', true], ['line', ' rest']],
    },
    { name: 'an empty literal', chunks: ['a {0}\r\n\r\n'], expect: [['line', 'a {0}'], ['literal', '', true], ['line', '']] },
    { name: 'a literal may hold more than the line limit', chunks: ['{10}\r\n0123456789\r\n'], max: 5, expect: [['line', '{10}'], ['literal', '0123456789', true], ['line', '']] },
  ];
  for (const row of table) {
    test(row.name, () => {
      assert.deepEqual(readAll(row.chunks, row.max ?? 100).seen, row.expect);
    });
  }

  test('chunked literals arrive as they come, the last piece marked final', () => {
    const { seen } = readAll(['{7}\r\nabc', 'de', 'fg\r\n'], 100, { chunkedLiterals: true });
    assert.deepEqual(seen, [['line', '{7}'], ['literal', 'abc', false], ['literal', 'de', false], ['literal', 'fg', true], ['line', '']]);
  });

  test('lineLimit: a line that begins a certain way may be longer, up to its own limit', () => {
    const reader = new LineReader({ maxLineLength: 10, lineLimit: (head) => (head.toString('latin1').startsWith('a ID ') ? 30 : 0) });
    const seen: string[] = [];
    let peak = 0;
    const input = `a ID ${'x'.repeat(25)}\r\nb NOOP ${'y'.repeat(20)}\r\na ID ${'z'.repeat(40)}\r\nc NOOP\r\n`;
    // Byte by byte: the limit must hold while a long line is still arriving, too.
    for (const byte of Buffer.from(input)) {
      reader.push(Buffer.from([byte]));
      peak = Math.max(peak, reader.buffered);
      for (let item: LineReaderItem | null; (item = reader.next()); ) seen.push(`${item.type}:${(item.type === 'overflow' ? item.head : item.data).toString().slice(0, 8)}`);
    }
    assert.deepEqual(seen, ['line:a ID xxx', 'overflow:b NOOP y', 'overflow:a ID zzz', 'line:c NOOP']);
    // The limit, a CR, and the byte just pushed.
    assert.ok(peak <= 30 + 1 + 1, `peak ${peak}`);
  });

  test('takeBuffered() hands over what is left and resets the reader', () => {
    const reader = new LineReader({ maxLineLength: 100 });
    reader.push(Buffer.from('a STARTTLS\r\nb LOGIN x y\r\npartial'));
    assert.equal(reader.next()?.type, 'line');
    assert.equal(reader.takeBuffered().toString(), 'b LOGIN x y\r\npartial');
    assert.equal(reader.buffered, 0);
    assert.equal(reader.next(), null);
  });

  test('property: any chunking gives the same items, and memory stays bounded', () => {
    const rand = prng(0x5eed);
    const int = (n: number) => Math.floor(rand() * n);
    const max = 40;
    for (let run = 0; run < 300; run++) {
      // A stream of short lines, over-long lines, bare LFs and literals with CR/LF inside.
      let stream = '';
      for (let i = int(12); i > 0; i--) {
        const kind = int(4);
        const body = 'x'.repeat(kind === 0 ? max + 1 + int(200) : int(max - 6));
        if (kind === 1) {
          const literal = Array.from({ length: int(60) }, () => 'ab\r\n'[int(4)]).join('');
          stream += `${body.slice(0, 20)}{${literal.length}}\r\n${literal}`;
        }
        stream += body + (int(3) === 0 ? '\n' : '\r\n');
      }
      const whole = readAll([stream], max);
      const chunks: string[] = [];
      for (let at = 0; at < stream.length; ) {
        const n = 1 + int(int(2) === 0 ? 3 : 90);
        chunks.push(stream.slice(at, at + n));
        at += n;
      }
      const split = readAll(chunks, max);
      assert.deepEqual(split.seen, whole.seen, `run ${run}`);
      // A partial line (at most max + CR) plus one chunk; literals here are at most 59 bytes.
      assert.ok(split.peak <= max + 1 + 90 + 60, `run ${run}: peak ${split.peak}`);
    }
  });
});

describe('IMAP argument parser', () => {
  const parse = (text: string, literal?: string) =>
    parseImapArgs([{ text: Buffer.from(text), ...(literal === undefined ? {} : { literal: Buffer.from(literal) }) }]);
  test('atoms, quoted strings with escapes, lists and literals', () => {
    assert.deepEqual(parse('a LOGIN "al\\"ice" CONTOSO\\bob'), [
      { kind: 'atom', value: 'a' },
      { kind: 'atom', value: 'LOGIN' },
      { kind: 'string', value: Buffer.from('al"ice') },
      { kind: 'atom', value: 'CONTOSO\\bob' },
    ]);
    assert.deepEqual(parse('a ID ("name" NIL) ', 'lit'), [
      { kind: 'atom', value: 'a' },
      { kind: 'atom', value: 'ID' },
      { kind: 'list', items: [{ kind: 'string', value: Buffer.from('name') }, { kind: 'atom', value: 'NIL' }] },
      { kind: 'string', value: Buffer.from('lit') },
    ]);
  });
  test('unbalanced parentheses, open quotes and control characters are refused', () => {
    for (const bad of ['a ID (', 'a ID )', 'a LOGIN "x', 'a LOGIN x\u0001y']) assert.equal(parse(bad), null, bad);
  });
});

// ---------------------------------------------------------------------------------------------
// A real server
// ---------------------------------------------------------------------------------------------

const ALICE_PW = 'Alice-Pass-2026';
const BOB_PW = 'Bob-Pass-2026!';
const CAROL_PW = 'Carol-Pass-2026';
const ADMIN_PW = 'Admin-Pass-2026';
const PASSWORDS = [ALICE_PW, BOB_PW, CAROL_PW, ADMIN_PW, 'Wrong-Pass-2026'];

// Every log line of the run, to prove no credential is ever written.
const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });

const NOT_AVAILABLE = (address: string) => `NO [UNAVAILABLE] The mailbox server for ${address} is not available now.`;
const LOGIN_FAILED = 'NO [AUTHENTICATIONFAILED] LOGIN failed.';
const AUTH_FAILED = 'NO [AUTHENTICATIONFAILED] AUTHENTICATE failed.';

let tmp: string;
let dir: Directory;
let deps: ServiceDeps;
let host: ServiceHost;
let fe: ProtocolFrontend;
let plainPort: number;
let tlsPort: number;
/** The back end logons reach; none by default, so a logon ends in the "not available" answer. */
let testBackend: SessionBackend | undefined;

async function startFrontend(): Promise<void> {
  const started = await startFrontendService('imap', deps, host);
  fe = started.fe;
  plainPort = 143 + started.offset;
  tlsPort = 993 + started.offset;
}

async function applySettings(changes: Record<string, unknown>): Promise<void> {
  await dir.updateSettings('ImapSettings', changes, 'MAIL01');
  await fe.reconfigure(await host.readSnapshot());
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mailroom-imap-fe-'));
  dir = await Directory.openWith(new SqliteDatabase(join(tmp, 'directory.db')));
  await setupOrganization(dir, { organization: 'Contoso', domain: 'contoso.com', server: 'MAIL01', adminPassword: ADMIN_PW });
  await useFastPasswords(dir);
  const [alice, bob, carol] = await Promise.all([fastCredentials(ALICE_PW), fastCredentials(BOB_PW), fastCredentials(CAROL_PW)]);
  await dir.createMailbox({ name: 'Alice Wong', alias: 'alice', credentials: alice });
  await dir.createMailbox({ name: 'Bob Kelly', alias: 'bob', credentials: bob });
  await dir.createMailbox({ name: 'Carol Diaz', alias: 'carol', credentials: carol });
  await dir.createMailbox({ name: 'Sales', alias: 'sales', type: 'shared' });
  await dir.addMailboxPermission('sales', 'alice', 'FullAccess');
  await dir.updateMailbox('carol', { settings: { ImapEnabled: false } });
  await dir.updateSettings('ImapSettings', { UnencryptedOrTLSBindings: ['127.0.0.1:143'], SSLBindings: ['127.0.0.1:993'] }, 'MAIL01');
  deps = {
    directory: dir, databases: new MailboxDatabases(dir), authenticator: new Authenticator(dir, log), log, tls: new SecureContextCache(),
    backendFor: (protocol) => (protocol === 'imap' ? testBackend : undefined),
  };
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

/** The IMAP4 side of the shared line client. */
class ImapClient extends LineClient {
  static async open(options: { tls?: boolean; port?: number } = {}): Promise<ImapClient> {
    return new ImapClient(await LineClient.connect(options.port ?? (options.tls ? tlsPort : plainPort), options.tls === true));
  }

  /** Sends a tagged command; returns every line up to and including the tagged completion. */
  async command(tag: string, text: string): Promise<string[]> {
    this.send(`${tag} ${text}`);
    return this.until(tag);
  }

  async until(tag: string): Promise<string[]> {
    const got: string[] = [];
    for (;;) {
      const line = await this.line();
      got.push(line);
      if (line.startsWith(`${tag} `)) return got;
    }
  }
}

/** A connection past the greeting, upgraded with STARTTLS when asked. */
async function session(transport: 'plain' | 'starttls' | 'implicit' = 'implicit'): Promise<ImapClient> {
  const client = await ImapClient.open({ tls: transport === 'implicit' });
  assert.match(await client.line(), /^\* OK The Mailroom IMAP4 service is ready\.$/);
  if (transport === 'starttls') {
    assert.deepEqual(await client.command('tls', 'STARTTLS'), ['tls OK Begin TLS negotiation now.']);
    await client.startTls();
  }
  return client;
}

async function capabilities(client: ImapClient): Promise<string[]> {
  const lines = await client.command('cap', 'CAPABILITY');
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.equal(lines[1], 'cap OK CAPABILITY completed.');
  assert.match(lines[0]!, /^\* CAPABILITY IMAP4 IMAP4rev1 /);
  return lines[0]!.split(' ').slice(2);
}

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64');
const plainResponse = (user: string, password: string, authzid = '') => b64(`${authzid}\0${user}\0${password}`);

async function last(client: ImapClient, tag: string, text: string): Promise<string> {
  const lines = await client.command(tag, text);
  return lines[lines.length - 1]!;
}

describe('IMAP4 front end', () => {
  test('greeting, NOOP, ID, LOGOUT', async () => {
    const c = await session('plain');
    assert.deepEqual(await c.command('a1', 'NOOP'), ['a1 OK NOOP completed.']);
    assert.deepEqual(await c.command('a2', 'ID ("name" "Thunderbird" "version" NIL)'), ['* ID ("name" "Mailroom")', 'a2 OK ID completed.']);
    assert.deepEqual(await c.command('a3', 'ID NIL'), ['* ID ("name" "Mailroom")', 'a3 OK ID completed.']);
    assert.match(await last(c, 'a4', 'ID ("odd")'), /^a4 BAD /);
    // RFC 2971's largest ID (30 pairs, 1024-octet values) is longer than MaxCommandSize allows
    // any other command; as quoted strings and as literals.
    const pairs = Array.from({ length: 30 }, (_, i) => `"field-${String(i).padStart(24, '0')}" "${'v'.repeat(1024)}"`);
    assert.deepEqual(await c.command('a6', `ID (${pairs.join(' ')})`), ['* ID ("name" "Mailroom")', 'a6 OK ID completed.']);
    assert.match(await last(c, 'a7', `NOOP ${'n'.repeat(31_000)}`), /^a7 BAD Command line too long\.$/);
    c.send(`a8 ID ("name" {1024}`);
    for (let i = 0; i < 12; i++) {
      assert.equal(await c.line(), '+ Ready for additional command text.');
      c.send(`${'w'.repeat(1024)} "f${i}" {1024}`);
    }
    assert.equal(await c.line(), '+ Ready for additional command text.');
    c.send(`${'w'.repeat(1024)})`);
    assert.deepEqual(await c.until('a8'), ['* ID ("name" "Mailroom")', 'a8 OK ID completed.']);
    // Past ID's own maximum the line is refused like any other.
    assert.match(await last(c, 'a9', `ID ("name" "${'x'.repeat(70_000)}")`), /^a9 BAD Command line too long\.$/);
    assert.deepEqual(await c.command('a5', 'logout'), ['* BYE Mailroom IMAP4 server signing off.', 'a5 OK LOGOUT completed.']);
    await c.waitClosed();
  });

  for (const loginType of LOGIN_TYPES) {
    test(`LoginType ${loginType}: capabilities, LOGIN and AUTHENTICATE PLAIN on each transport`, async () => {
      await applySettings({ LoginType: loginType });
      for (const transport of ['plain', 'starttls', 'implicit'] as const) {
        const tls = transport !== 'plain';
        const what = `${loginType}/${transport}`;
        const passwordsAllowed = tls || loginType === 'PlainTextLogin';
        const c = await session(transport);
        const caps = await capabilities(c);
        assert.equal(caps.includes('LOGINDISABLED'), !passwordsAllowed, what);
        assert.equal(caps.includes('STARTTLS'), !tls, what);
        assert.equal(caps.includes('AUTH=PLAIN'), passwordsAllowed, what);
        assert.equal(caps.includes('AUTH=SCRAM-SHA-256'), tls || loginType !== 'SecureLogin', what);
        assert.ok(caps.includes('SASL-IR') && caps.includes('ID'), what);
        assert.ok(!caps.includes('LITERAL+'), what);

        const login = await last(c, 'l1', `LOGIN alice@contoso.com ${ALICE_PW}`);
        const auth = await last(c, 'l2', `AUTHENTICATE PLAIN ${plainResponse('alice@contoso.com', ALICE_PW)}`);
        if (passwordsAllowed) {
          assert.equal(login, `l1 ${NOT_AVAILABLE('alice@contoso.com')}`, what);
          assert.equal(auth, `l2 ${NOT_AVAILABLE('alice@contoso.com')}`, what);
        } else {
          assert.match(login, /^l1 NO \[PRIVACYREQUIRED\] LOGIN is disabled/, what);
          assert.match(auth, /^l2 NO \[PRIVACYREQUIRED\] /, what);
        }
        // The session stays usable after the answer.
        assert.deepEqual(await c.command('l3', 'NOOP'), ['l3 OK NOOP completed.'], what);
        c.close();
      }
    });
  }

  test('a LoginType change applies to connections already open', async () => {
    await applySettings({ LoginType: 'SecureLogin' });
    const c = await session('plain');
    assert.ok((await capabilities(c)).includes('LOGINDISABLED'));
    await applySettings({ LoginType: 'PlainTextLogin' });
    assert.ok(!(await capabilities(c)).includes('LOGINDISABLED'));
    assert.equal(await last(c, 'a', `LOGIN alice ${ALICE_PW}`), `a ${NOT_AVAILABLE('alice@contoso.com')}`);
    c.close();
    await applySettings({ LoginType: 'SecureLogin' });
  });

  test('blocked accounts, disabled IMAP and wrong passwords all get the same refusal', async () => {
    const c = await session('implicit');
    const attempts: [string, string][] = [
      ['Administrator', ADMIN_PW], // the right password: blocked by design
      ['CONTOSO\\Administrator', ADMIN_PW],
      ['Anonymous', 'Anything-2026'],
      ['guest@contoso.com', 'Anything-2026'],
      ['carol@contoso.com', CAROL_PW], // ImapEnabled $false
      ['bob@contoso.com', 'Wrong-Pass-2026'],
      ['nobody@contoso.com', 'Wrong-Pass-2026'],
    ];
    for (const [i, [user, password]] of attempts.entries()) {
      // A new connection from a new address each time keeps the address throttle out of it.
      const conn = await session('implicit');
      assert.equal(await last(conn, `b${i}`, `LOGIN "${user.replace(/\\/g, '\\\\')}" "${password}"`), `b${i} ${LOGIN_FAILED}`, user);
      conn.close();
    }
    assert.equal(await last(c, 'p1', `AUTHENTICATE PLAIN ${plainResponse('Administrator', ADMIN_PW)}`), `p1 ${AUTH_FAILED}`);
    assert.equal(await last(c, 'p2', `AUTHENTICATE PLAIN ${plainResponse('carol', CAROL_PW)}`), `p2 ${AUTH_FAILED}`);
    c.close();
  });

  test('DOMAIN\\user, user@domain and shared mailboxes with and without FullAccess', async () => {
    const ok: [string, string][] = [
      ['CONTOSO\\alice', 'alice@contoso.com'],
      ['alice', 'alice@contoso.com'],
      ['Alice@Contoso.com', 'alice@contoso.com'],
      ['alice@contoso.com\\sales', 'sales@contoso.com'],
      ['CONTOSO\\alice\\sales', 'sales@contoso.com'],
    ];
    const c = await session('implicit');
    for (const [i, [user, mailbox]] of ok.entries()) {
      assert.equal(await last(c, `n${i}`, `LOGIN "${user.replace(/\\/g, '\\\\')}" ${ALICE_PW}`), `n${i} ${NOT_AVAILABLE(mailbox)}`, user);
    }
    // SASL PLAIN's authorization identity opens the shared mailbox the same way.
    assert.equal(await last(c, 'z1', `AUTHENTICATE PLAIN ${plainResponse('alice', ALICE_PW, 'sales')}`), `z1 ${NOT_AVAILABLE('sales@contoso.com')}`);
    assert.equal(await last(c, 'z2', `AUTHENTICATE PLAIN ${plainResponse('bob', BOB_PW, 'sales@contoso.com')}`), `z2 ${AUTH_FAILED}`);
    assert.equal(await last(c, 'z3', `LOGIN "bob@contoso.com\\\\sales" "${BOB_PW}"`), `z3 ${LOGIN_FAILED}`);
    // The shared mailbox has no logon of its own.
    assert.equal(await last(c, 'z4', `LOGIN sales@contoso.com ${ALICE_PW}`), `z4 ${LOGIN_FAILED}`);
    c.close();
  });

  test('LOGIN with synchronizing and non-synchronizing literals', async () => {
    const c = await session('implicit');
    c.send('l1 LOGIN {17}');
    assert.equal(await c.line(), '+ Ready for additional command text.');
    c.send(`alice@contoso.com {${ALICE_PW.length}}`);
    assert.equal(await c.line(), '+ Ready for additional command text.');
    c.send(ALICE_PW);
    assert.equal(await c.line(), `l1 ${NOT_AVAILABLE('alice@contoso.com')}`);
    // {n+} is not advertised, but clients that knew Exchange's LITERAL+ send it anyway.
    c.write(`l2 LOGIN {17+}\r\nalice@contoso.com {${ALICE_PW.length}+}\r\n${ALICE_PW}\r\n`);
    assert.equal(await c.line(), `l2 ${NOT_AVAILABLE('alice@contoso.com')}`);
    // A literal over MaxCommandSize is refused before the client sends it.
    c.send('l3 LOGIN {20000}');
    assert.equal(await c.line(), 'l3 BAD Command line too long.');
    assert.deepEqual(await c.command('l4', 'NOOP'), ['l4 OK NOOP completed.']);
    c.close();
  });

  test('SCRAM-SHA-256 over TLS, with and without an initial response', async () => {
    const c = await session('implicit');
    // Without SASL-IR: an empty challenge first.
    c.send('s1 AUTHENTICATE SCRAM-SHA-256');
    assert.equal(await c.line(), '+ ');
    const scram = new ScramClient('alice@contoso.com', ALICE_PW);
    c.send(b64(scram.first()));
    const serverFirst = await c.line();
    assert.match(serverFirst, /^\+ /);
    c.send(b64(scram.final(Buffer.from(serverFirst.slice(2), 'base64').toString())));
    const serverFinal = await c.line();
    assert.ok(scram.verify(Buffer.from(serverFinal.slice(2), 'base64').toString()), 'server signature');
    c.send('');
    assert.equal(await c.line(), `s1 ${NOT_AVAILABLE('alice@contoso.com')}`);

    // With SASL-IR, opening the shared mailbox through the authorization identity.
    const shared = new ScramClient('alice', ALICE_PW, 'sales');
    c.send(`s2 AUTHENTICATE SCRAM-SHA-256 ${b64(shared.first())}`);
    const first2 = await c.line();
    c.send(b64(shared.final(Buffer.from(first2.slice(2), 'base64').toString())));
    assert.ok(shared.verify(Buffer.from((await c.line()).slice(2), 'base64').toString()));
    c.send('');
    assert.equal(await c.line(), `s2 ${NOT_AVAILABLE('sales@contoso.com')}`);

    // A wrong password fails the proof.
    const wrong = new ScramClient('bob', 'Wrong-Pass-2026');
    c.send(`s3 AUTHENTICATE SCRAM-SHA-256 ${b64(wrong.first())}`);
    const first3 = await c.line();
    c.send(b64(wrong.final(Buffer.from(first3.slice(2), 'base64').toString())));
    assert.equal(await c.line(), `s3 ${AUTH_FAILED}`);
    c.close();
  });

  test('SCRAM-SHA-256 works in clear text under PlainTextAuthentication, PLAIN does not', async () => {
    await applySettings({ LoginType: 'PlainTextAuthentication' });
    const c = await session('plain');
    const scram = new ScramClient('alice', ALICE_PW);
    c.send(`s AUTHENTICATE SCRAM-SHA-256 ${b64(scram.first())}`);
    const first = await c.line();
    c.send(b64(scram.final(Buffer.from(first.slice(2), 'base64').toString())));
    assert.ok(scram.verify(Buffer.from((await c.line()).slice(2), 'base64').toString()));
    c.send('');
    assert.equal(await c.line(), `s ${NOT_AVAILABLE('alice@contoso.com')}`);
    assert.match(await last(c, 'p', 'AUTHENTICATE PLAIN'), /^p NO \[PRIVACYREQUIRED\] /);
    c.close();
    await applySettings({ LoginType: 'SecureLogin' });
  });

  test('AUTHENTICATE: continuation, cancel, bad base64, unknown mechanism', async () => {
    const c = await session('implicit');
    c.send('a1 AUTHENTICATE PLAIN');
    assert.equal(await c.line(), '+ ');
    c.send(plainResponse('alice', ALICE_PW));
    assert.equal(await c.line(), `a1 ${NOT_AVAILABLE('alice@contoso.com')}`);
    c.send('a2 AUTHENTICATE PLAIN');
    assert.equal(await c.line(), '+ ');
    c.send('*');
    assert.equal(await c.line(), 'a2 BAD AUTHENTICATE cancelled.');
    c.send('a3 authenticate login');
    assert.equal(await c.line(), `+ ${b64('Username:')}`);
    c.send('not base64!');
    assert.match(await c.line(), /^a3 BAD /);
    assert.equal(await last(c, 'a4', 'AUTHENTICATE CRAM-MD5'), 'a4 NO Unrecognized authentication mechanism.');
    assert.equal(await last(c, 'a5', 'AUTHENTICATE PLAIN %%%'), 'a5 BAD The initial response is not valid base64.');
    c.send('a6 AUTHENTICATE LOGIN');
    assert.equal(await c.line(), `+ ${b64('Username:')}`);
    c.send(b64('alice'));
    assert.equal(await c.line(), `+ ${b64('Password:')}`);
    c.send(b64(ALICE_PW));
    assert.equal(await c.line(), `a6 ${NOT_AVAILABLE('alice@contoso.com')}`);
    c.close();
  });

  test('wrong-state, unknown and malformed commands', async () => {
    const c = await session('implicit');
    for (const cmd of ['SELECT INBOX', 'LIST "" *', 'UID FETCH 1:* FLAGS', 'IDLE']) {
      assert.equal(await last(c, 'w', cmd), 'w BAD Command received in Invalid state.', cmd);
    }
    assert.equal(await last(c, 'u', 'FROBNICATE'), 'u BAD Unknown command.');
    assert.equal(await last(c, 'v', 'LOGIN onlyone'), 'v BAD LOGIN needs a user name and a password.');
    assert.equal(await last(c, 'x', 'NOOP extra'), 'x BAD NOOP takes no arguments.');
    c.send('');
    assert.equal(await c.line(), '* BAD Empty command line.');
    c.send('+bad NOOP');
    assert.equal(await c.line(), '* BAD Invalid tag.');
    assert.equal(await last(c, 'y', 'STARTTLS'), 'y BAD TLS is already active.');
    c.close();
  });

  test('over-long lines are refused and skipped, and the session goes on', async () => {
    const c = await session('implicit');
    c.send(`t1 NOOP ${'a'.repeat(11000)}`);
    assert.equal(await c.line(), 't1 BAD Command line too long.');
    // Without a readable tag, and trickled in small pieces.
    const junk = `${'('.repeat(12000)}\r\n`;
    for (let i = 0; i < junk.length; i += 1000) c.write(junk.slice(i, i + 1000));
    assert.equal(await c.line(), '* BAD Command line too long.');
    assert.deepEqual(await c.command('t2', 'NOOP'), ['t2 OK NOOP completed.']);
    c.close();
  });

  test('pipelined commands are answered in order', async () => {
    const c = await session('implicit');
    c.write(['p1 NOOP', 'p2 CAPABILITY', `p3 LOGIN alice ${ALICE_PW}`, 'p4 SELECT INBOX', 'p5 FOO', 'p6 NOOP', ''].join('\r\n'));
    const lines = await c.until('p6');
    assert.deepEqual(lines.filter((l) => !l.startsWith('* CAPABILITY')), [
      'p1 OK NOOP completed.',
      'p2 OK CAPABILITY completed.',
      `p3 ${NOT_AVAILABLE('alice@contoso.com')}`,
      'p4 BAD Command received in Invalid state.',
      'p5 BAD Unknown command.',
      'p6 OK NOOP completed.',
    ]);
    assert.match(lines[1]!, /^\* CAPABILITY /);
    c.close();
  });

  test('STARTTLS discards commands pipelined after it (CVE-2011-0411)', async () => {
    await applySettings({ LoginType: 'PlainTextLogin' });
    const c = await session('plain');
    c.write(`s1 STARTTLS\r\ns2 LOGIN alice ${ALICE_PW}\r\ns3 NOOP\r\n`);
    assert.equal(await c.line(), 's1 OK Begin TLS negotiation now.');
    await c.startTls();
    // The first answer over TLS is to a command sent over TLS.
    assert.deepEqual(await c.command('s4', 'NOOP'), ['s4 OK NOOP completed.']);
    const caps = await capabilities(c);
    assert.ok(!caps.includes('STARTTLS'));
    c.close();
    await applySettings({ LoginType: 'SecureLogin' });
  });

  test('a new banner reaches the next connection', async () => {
    await applySettings({ Banner: 'Contoso mail is ready.' });
    const c = await ImapClient.open({ tls: true });
    assert.equal(await c.line(), '* OK Contoso mail is ready.');
    c.close();
    await applySettings({ Banner: 'The Mailroom IMAP4 service is ready.' });
  });

  test('the back end in the session context takes over after logon', async () => {
    const taken: { tag: string; pending: string; user: string }[] = [];
    testBackend = {
      open: async ({ logon, tag }) => ({
        ok: true,
        session: {
          start: (connection) => {
            taken.push({ tag: tag!, pending: connection.pending.toString(), user: logon.user.alias });
            connection.socket.write(`${tag} OK LOGIN completed.\r\n`);
            connection.socket.on('data', (d: Buffer) => connection.socket.write(`* echo ${d.toString().trim()}\r\n`));
            connection.socket.resume();
          },
        },
      }),
    };
    try {
      const c = await session('implicit');
      c.write(`h1 LOGIN alice ${ALICE_PW}\r\nh2 NOOP\r\n`);
      assert.equal(await c.line(), 'h1 OK LOGIN completed.');
      c.send('h3 SELECT INBOX');
      assert.equal(await c.line(), '* echo h3 SELECT INBOX');
      assert.equal(taken.length, 1);
      assert.equal(taken[0]!.tag, 'h1');
      assert.equal(taken[0]!.user, 'alice');
      assert.equal(taken[0]!.pending, 'h2 NOOP\r\n');
      c.close();
    } finally {
      testBackend = undefined;
    }
  });

  test('an internal failure answers NO and the session continues', async () => {
    const { server, port } = await directSession({
      authenticator: { logon: async () => { throw new Error('directory offline'); } } as unknown as Authenticator,
    });
    try {
      const c = await ImapClient.open({ port, tls: false });
      await c.line();
      assert.equal(await last(c, 'e1', `LOGIN alice ${ALICE_PW}`), 'e1 NO [UNAVAILABLE] Temporary server error; try again later.');
      assert.deepEqual(await c.command('e2', 'NOOP'), ['e2 OK NOOP completed.']);
      c.close();
    } finally {
      server.close();
    }
  });

  test('an idle connection is closed after PreAuthenticatedConnectionTimeout', async () => {
    // The setting's minimum is 30 s; the session itself takes whatever the document says.
    const { server, port } = await directSession({ settings: { PreAuthenticatedConnectionTimeout: 0.3 } });
    try {
      const c = await ImapClient.open({ port, tls: false });
      await c.line();
      assert.equal(await c.line(), '* BYE Connection timed out.');
      await c.waitClosed();
    } finally {
      server.close();
    }
  });

  test('slow drip: bytes of a command line that never ends do not keep the connection open', async () => {
    // One byte every 20 ms, a timeout of 0.5 s: if any byte restarted the clock, the
    // connection would stay open for as long as the client keeps dripping.
    const { server, port } = await directSession({ settings: { PreAuthenticatedConnectionTimeout: 0.5 } });
    try {
      const c = await ImapClient.open({ port, tls: false });
      await c.line();
      await dripUntilClosed(c, 'd1 LOGIN someone@contoso.com secret', 20, 10_000);
      assert.equal(await c.line(), '* BYE Connection timed out.');
    } finally {
      server.close();
    }
  });

  test('the logon phase has an absolute deadline: NOOPs and failed logons do not extend it', async () => {
    const { server, port } = await directSession({ settings: { PreAuthenticatedConnectionTimeout: 0.5 } });
    try {
      const c = await ImapClient.open({ port, tls: false });
      await c.line();
      let n = 0;
      const replies: string[] = [];
      // Complete commands, each well inside the timeout: only the deadline can end this.
      const until = Date.now() + 10_000;
      while (!replies.at(-1)?.startsWith('* BYE') && Date.now() < until) {
        c.send(`n${++n} ${n % 3 === 0 ? 'LOGIN nobody@contoso.com wrong' : 'NOOP'}`);
        do replies.push(await c.line());
        while (!replies.at(-1)!.startsWith(`n${n} `) && !replies.at(-1)!.startsWith('* BYE'));
        // The BYE may follow the reply to the command that was running when time ran out.
        if (!replies.at(-1)!.startsWith('* BYE')) await new Promise((r) => setTimeout(r, 50));
        if (c.isClosed) replies.push(await c.line().catch(() => 'closed'));
      }
      assert.equal(replies.at(-1), '* BYE Connection timed out: no logon within the time allowed.', replies.slice(-3).join('\n'));
      assert.ok(n >= 3, `only ${n} commands were sent`);
      await c.waitClosed();
    } finally {
      server.close();
    }
  });

  test('a successful logon ends the logon deadline', async () => {
    // An echoing back end: the session it takes over must outlive the front end's deadline.
    const backend: SessionBackend = {
      open: async ({ tag }) => ({
        ok: true,
        session: {
          start: (connection) => {
            connection.socket.write(`${tag} OK LOGIN completed.\r\n`);
            connection.socket.on('data', (d: Buffer) => connection.socket.write(`* echo ${d.toString().trim()}\r\n`));
            connection.socket.resume();
          },
        },
      }),
    };
    const { server, port } = await directSession({ settings: { PreAuthenticatedConnectionTimeout: 0.3 }, backend });
    try {
      const c = await ImapClient.open({ port, tls: false });
      await c.line();
      assert.deepEqual(await c.command('a1', `LOGIN alice ${ALICE_PW}`), ['a1 OK LOGIN completed.']);
      // Well past the deadline, counted from the connect.
      const until = Date.now() + 1000;
      let n = 0;
      while (Date.now() < until) {
        c.send(`p${++n} NOOP`);
        assert.equal(await c.line(), `* echo p${n} NOOP`);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(c.isClosed, false);
      c.close();
    } finally {
      server.close();
    }
  });

  test("Python's imaplib: IMAP4_SSL, STARTTLS and LOGINDISABLED", async () => {
    const script = `
import imaplib, json, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
plain, secure, password = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
out = {}
def login(m, user):
    try:
        m.login(user, password)
        return 'OK'
    except imaplib.IMAP4.error as e:
        return str(e)
m = imaplib.IMAP4_SSL('127.0.0.1', secure, ssl_context=ctx)
out['ssl_caps'] = list(m.capabilities)
out['ssl_login'] = login(m, 'alice@contoso.com')
m.logout()
m = imaplib.IMAP4('127.0.0.1', plain)
out['plain_caps'] = list(m.capabilities)
out['plain_login'] = login(m, 'alice')
m.starttls(ssl_context=ctx)
out['tls_caps'] = list(m.capabilities)
out['tls_login'] = login(m, 'CONTOSO\\\\alice')
m.logout()
print(json.dumps(out))
`;
    const out = JSON.parse(await python(script, [String(plainPort), String(tlsPort), ALICE_PW])) as Record<string, unknown>;
    assert.ok((out.ssl_caps as string[]).includes('AUTH=PLAIN'));
    assert.match(out.ssl_login as string, /\[UNAVAILABLE\] The mailbox server for alice@contoso.com is not available now\./);
    assert.ok((out.plain_caps as string[]).includes('LOGINDISABLED'));
    assert.ok((out.plain_caps as string[]).includes('STARTTLS'));
    assert.match(out.plain_login as string, /\[PRIVACYREQUIRED\]/);
    assert.ok(!(out.tls_caps as string[]).includes('LOGINDISABLED'));
    assert.match(out.tls_login as string, /not available now/);
  });

  test('no credential ever reaches the log, but the commands do', () => {
    const all = logLines.join('');
    for (const password of PASSWORDS) assert.ok(!all.includes(password), `log contains ${password}`);
    for (const password of PASSWORDS) assert.ok(!all.includes(b64(password)), `log contains base64 of ${password}`);
    assert.match(all, /"command":"LOGIN"/);
    assert.match(all, /"command":"AUTHENTICATE"/);
  });
});

/** A session started directly on a plain server, for contexts the front end cannot produce. */
async function directSession(overrides: { settings?: Record<string, unknown>; authenticator?: Authenticator; backend?: SessionBackend }): Promise<{ server: Server; port: number }> {
  const snapshot = await host.readSnapshot();
  const ctx: ProtocolSessionContext = {
    settings: () => ({ ...snapshot.imapSettings, LoginType: 'PlainTextLogin', ...overrides.settings }) as typeof snapshot.imapSettings,
    secureContext: () => {
      throw new Error('no TLS here');
    },
    authenticator: overrides.authenticator ?? deps.authenticator,
    log,
    clientAddress: '127.0.0.1',
    implicitTls: false,
    ...(overrides.backend ? { backend: () => overrides.backend } : {}),
  };
  const server = createServer((socket) => startImapSession(socket, ctx));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, port: address.port };
}





