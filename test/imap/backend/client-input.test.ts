// Hostile and heavy client input against a real `mailroom start` process, whose memory is read
// from /proc: COMPRESS=DEFLATE end to end with a node:zlib client, a DEFLATE bomb from a client
// that never reads, and MULTIAPPEND of large messages, which are spooled to disk while they
// arrive.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../../helpers.ts';
import { message, RawClient } from './harness.ts';

const PASSWORD = 'Input-Pass-2026';
const data = tempDataDir('mailroom-imap-input-');
let env: Record<string, string>;
let plainPort: number;
let tlsPort: number;
let server: RunningServer;

function admin(...args: string[]): string {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const MB = 1024 * 1024;

/** The server process's resident memory now and at its peak, in bytes (Linux /proc). */
function memory(): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Starts a new peak: VmHWM becomes the current RSS (proc(5), clear_refs "5"). */
function resetPeak(): void {
  writeFileSync(`/proc/${server.child.pid}/clear_refs`, '5');
}

before(async () => {
  const offset = await freePortOffset([143, 993]);
  plainPort = 143 + offset;
  tlsPort = 993 + offset;
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  admin('setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026');
  // 30 seconds is the least Exchange allows; a client that stops reading is dropped after it.
  admin('Set-ImapSettings', '-UnencryptedOrTLSBindings', '127.0.0.1:143', '-SSLBindings', '127.0.0.1:993',
    '-LoginType', 'PlainTextLogin', '-AuthenticatedConnectionTimeout', '00:00:30');
  admin('Set-Service', 'MSExchangeIMAP4,MSExchangeIMAP4BE', '-StartupType', 'Automatic');
  admin('Set-Service', 'smtp,smtp-backend,web,pop3,pop3-backend', '-StartupType', 'Disabled');
  for (const alias of ['deflate', 'bomber', 'appender']) admin('New-Mailbox', '-Name', alias, '-Alias', alias, '-Password', PASSWORD);
  server = await startMailroom(['start'], env);
});

after(async () => {
  await server?.stop();
  data.cleanup();
});

describe('COMPRESS=DEFLATE (RFC 4978)', () => {
  test('a whole session through DEFLATE: pipelined behind COMPRESS, APPEND, a 2 MB FETCH byte for byte, LOGOUT', async () => {
    const c = await RawClient.login(tlsPort, 'deflate@contoso.com', PASSWORD);
    // The client compresses from the CRLF of its COMPRESS command on (RFC 4978 §3), so a
    // command sent right behind it, before the OK, is already compressed.
    assert.equal(await c.compress('z1', { pipelined: 'p1 NOOP\r\n' }), 'z1 OK DEFLATE active.');
    assert.deepEqual(await c.until('p1'), ['p1 OK NOOP completed.']);
    assert.doesNotMatch((await c.command('c1', 'CAPABILITY')).join('\n'), /COMPRESS=DEFLATE/);
    assert.match(await c.status('z2', 'COMPRESS DEFLATE'), /^z2 NO \[COMPRESSIONACTIVE\]/);

    // Text that DEFLATE shrinks, plus bytes it cannot, so both paths of the stream carry weight.
    const lines: string[] = [];
    for (let i = 0, length = 0; length < 2 * MB; i++) {
      lines.push(`Line ${i}: ${((i * 2654435761) % 4294967296).toString(36).repeat(3)}\r\n`);
      length += lines[i]!.length;
    }
    const raw = Buffer.from(message('Through DEFLATE', lines.join('')));
    c.send(`a1 APPEND INBOX {${raw.length}}`);
    assert.match(await c.line(), /^\+ /);
    c.send(raw);
    assert.match((await c.until('a1')).at(-1)!, /^a1 OK \[APPENDUID \d+ 1\]/);
    assert.match(await c.status('s1', 'SELECT INBOX'), /^s1 OK /);
    const fetched = await c.command('f1', 'UID FETCH 1 (BODY.PEEK[])');
    const literal = /^\* 1 FETCH \(UID 1 BODY\[\] \{(\d+)\}\r\n/.exec(fetched[0]!);
    assert.ok(literal, fetched[0]!.slice(0, 80));
    assert.equal(Number(literal[1]), raw.length);
    assert.equal(Buffer.from(fetched[0]!.slice(literal[0].length, literal[0].length + raw.length), 'utf8').equals(raw), true);
    assert.match(fetched.at(-1)!, /^f1 OK /);
    assert.match((await c.command('l1', 'LOGOUT')).join('\n'), /^\* BYE .*\nl1 OK /);
    await c.waitClosed();
  });

  test('a DEFLATE bomb from a client that never reads: the server inflates only as fast as it answers, and drops the client', async (t) => {
    const c = await RawClient.connect(plainPort, { tls: false });
    assert.match(await c.status('L0', `LOGIN bomber@contoso.com ${PASSWORD}`), /^L0 OK /);
    // A 1 MB attachment (base64 of random bytes, which DEFLATE can hardly shrink): a few
    // FETCHes of it fill the socket buffers of a client that does not read.
    const attachment = randomBytes(768 * 1024).toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = Buffer.from(message('Attachment', attachment));
    c.send(`a1 APPEND INBOX {${raw.length}}`);
    assert.match(await c.line(), /^\+ /);
    c.send(raw);
    assert.match((await c.until('a1')).at(-1)!, /^a1 OK /);
    assert.match(await c.status('s1', 'SELECT INBOX'), /^s1 OK /);
    // The full-text indexer (a worker thread) starts after the first APPEND; a text SEARCH
    // waits for it, so its memory is in the baseline rather than in the figure measured.
    c.send('s2 SEARCH BODY "Attachment"');
    assert.match((await c.until('s2', 60_000)).at(-1)!, /^s2 OK /);
    assert.equal(await c.compress('z1', { level: 9 }), 'z1 OK DEFLATE active.');

    // From here on the client reads nothing.
    c.socket.pause();
    const written = c.socket.bytesWritten;
    const before = memory().rss;
    resetPeak();
    for (let i = 0; i < 16; i++) c.write(`f${i} UID FETCH 1 (BODY.PEEK[])\r\n`);
    // Then 300 MB of NOOPs, which DEFLATE sends in under 1 MB.
    const noops = Buffer.from('a NOOP\r\n'.repeat(4 * 131072));
    for (let i = 0; i < 75; i++) c.write(noops);
    // A paused socket does not see the server close it; a write does, once the server is gone.
    const bound = 48 * MB;
    const deadline = Date.now() + 90_000;
    while (!c.isClosed) {
      const grew = memory().peak - before;
      assert.ok(grew < bound, `the server grew by ${(grew / MB).toFixed(0)} MB`);
      assert.ok(Date.now() < deadline, 'the server still holds a client that has not read anything for 90 s');
      c.write('k NOOP\r\n');
      await new Promise((r) => setTimeout(r, 250));
    }
    const sent = c.socket.bytesWritten - written;
    const grew = memory().peak - before;
    t.diagnostic(`${(sent / 1024).toFixed(0)} KB sent compressed; the server's peak RSS grew by ${(grew / MB).toFixed(1)} MB`);
    assert.ok(sent < 1 * MB, `${sent} compressed bytes sent`);
    assert.ok(grew < bound, `the server grew by ${(grew / MB).toFixed(1)} MB while ${(sent / 1024).toFixed(0)} KB of compressed commands arrived`);
  });
});
