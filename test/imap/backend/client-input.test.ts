// Hostile and heavy client input against a real `mailroom start` process, whose memory is read
// from /proc: COMPRESS=DEFLATE end to end with a node:zlib client, a DEFLATE bomb from a client
// that never reads, and MULTIAPPEND of large messages, which are spooled to disk while they
// arrive.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Directory } from '../../../src/directory/directory.ts';
import { eventually, freePortOffset, startMailroom, tempDataDir, type RunningServer } from '../../helpers.ts';
import { createTestOrganization } from '../../support/organization.ts';
import { message, RawClient } from './harness.ts';
import { resetServerPeak, serverMemory } from '../../support/process-memory.ts';

const PASSWORD = 'Input-Pass-2026';
const data = tempDataDir('mailroom-imap-input-');
let env: Record<string, string>;
let plainPort: number;
let tlsPort: number;
let server: RunningServer;

const MB = 1024 * 1024;
/** No process has this id (Linux's pid_max is at most 2^22). */
const DEAD_PID = 2 ** 30;

const memory = () => serverMemory(server.child.pid!);
const resetPeak = () => resetServerPeak(server.child.pid!);

before(async () => {
  const offset = await freePortOffset([143, 993]);
  plainPort = 143 + offset;
  tlsPort = 993 + offset;
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  // Written in this process: a `mailroom` command per setting costs a process start each, and
  // this file runs close to the 120 s a test file may take on a loaded machine.
  await createTestOrganization(data.path, { mailboxes: [['deflate', 'deflate'], ['bomber', 'bomber'], ['appender', 'appender']], password: PASSWORD });
  process.env.MAILROOM_DATA = data.path;
  const dir = await Directory.open();
  try {
    // 30 seconds is the least Exchange allows; a client that stops reading is dropped after it.
    await dir.updateSettings('ImapSettings', { LoginType: 'PlainTextLogin', AuthenticatedConnectionTimeout: 30 }, 'MAIL01');
    for (const service of ['smtp', 'smtp-backend', 'pop3', 'pop3-backend'] as const) await dir.setServiceStartupType('MAIL01', service, 'Disabled');
  } finally {
    await dir.close();
  }
  // What a killed server would leave behind, and a file of a process that is still running.
  mkdirSync(join(data.path, 'spool', 'imap'), { recursive: true });
  writeFileSync(join(data.path, 'spool', 'imap', `${DEAD_PID}-0123456789abcdef01234567.literal`), 'half a message');
  writeFileSync(join(data.path, 'spool', 'imap', `${process.pid}-0123456789abcdef01234567.literal`), 'in use');
  // A small young generation, so that the memory figures of the MULTIAPPEND tests show what the
  // server holds rather than how long the garbage of its socket reads waits for a scavenge:
  // with its default, Node 24 let the dead read buffers of 92 MB arriving reach 51-92 MB before
  // collecting them (Node 20: about 42 MB), with the messages on disk all along; with 4 MB
  // semi-spaces, 26-51 MB in five runs. A server that held the messages would grow by 92 MB.
  server = await startMailroom(['start'], { ...env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--max-semi-space-size=4'].filter(Boolean).join(' ') });
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

// ---------------------------------------------------------------------------------------------
// MULTIAPPEND
// ---------------------------------------------------------------------------------------------

const spoolFolder = () => join(data.path, 'spool', 'imap');

/** The server's spool files (not the one this process planted as a running process's). */
function spoolFiles(): string[] {
  return existsSync(spoolFolder()) ? readdirSync(spoolFolder()).filter((f) => !f.startsWith(`${process.pid}-`)) : [];
}

/** A message of about `size` bytes: headers and a base64 body of random bytes (76-column lines). */
function bigMessage(subject: string, size: number): Buffer {
  const body = randomBytes(Math.ceil((size * 3) / 4)).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(message(subject, body, { 'Content-Type': 'application/octet-stream', 'Content-Transfer-Encoding': 'base64' }));
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Sends bytes in 256 KB pieces, each after the socket has taken the last: no burst in memory. */
async function sendSlowly(c: RawClient, bytes: Buffer): Promise<void> {
  for (let at = 0; at < bytes.length; at += 256 * 1024) {
    if (!c.socket.write(bytes.subarray(at, at + 256 * 1024))) await new Promise((r) => c.socket.once('drain', r));
  }
}

describe('MULTIAPPEND (RFC 3502): large messages go to disk while they arrive', () => {
  test('the spool files of a process that is gone are removed when the back end starts; a running one keeps its own', () => {
    assert.deepEqual(readdirSync(spoolFolder()), [`${process.pid}-0123456789abcdef01234567.literal`]);
  });

  test('ten 9 MB messages in one command: the server holds none of them in memory, stores them byte for byte, and keeps no file', async (t) => {
    const c = await RawClient.connect(plainPort, { tls: false });
    assert.match(await c.status('L0', `LOGIN appender@contoso.com ${PASSWORD}`), /^L0 OK /);
    // 92 MB in all, under the 100 MB a MULTIAPPEND may carry; each under the 10 MB APPENDLIMIT.
    const messages = Array.from({ length: 10 }, (_, i) => bigMessage(`Part ${i + 1}`, 9 * MB));
    const before = memory().rss;
    resetPeak();
    c.write(`a1 APPEND INBOX (\\Seen) {${messages[0]!.length}}\r\n`);
    for (let i = 0; i < messages.length; i++) {
      assert.match(await c.line(), /^\+ /);
      if (i === 2) {
        // The literals already received are files of this user only (0600) in the data folder.
        // The third may have its file already: the server opens it as the literal begins.
        const files = spoolFiles();
        assert.ok(files.length === 2 || files.length === 3, `${files.length} files: ${files.join(', ')}`);
        for (const f of files) assert.equal(statSync(join(spoolFolder(), f)).mode & 0o777, 0o600);
      }
      await sendSlowly(c, messages[i]!);
      c.write(i + 1 < messages.length ? ` {${messages[i + 1]!.length}}\r\n` : '');
    }
    // Everything is in but the command's final CRLF: what receiving the messages cost. (The
    // figure includes garbage not yet collected: the socket's chunks pass through once.)
    await eventually(() => spoolFiles().length === messages.length, 10_000);
    const upload = memory().peak - before;
    const total = messages.reduce((n, m) => n + m.length, 0);
    assert.ok(upload < 64 * MB, `the server grew by ${(upload / MB).toFixed(1)} MB while ${(total / MB).toFixed(0)} MB of messages arrived`);
    c.write('\r\n');
    const reply = (await c.until('a1', 120_000)).at(-1)!;
    // The commit reads the messages back one at a time; the full-text indexer (a worker thread
    // of the same process) reads them too, so this figure is reported, not bounded.
    const commit = memory().peak - before;
    t.diagnostic(`${(total / MB).toFixed(0)} MB appended; the server's peak RSS grew by ${(upload / MB).toFixed(1)} MB receiving them, ${(commit / MB).toFixed(1)} MB by the end of the commit`);
    assert.match(reply, /^a1 OK \[APPENDUID \d+ 1:10\] /);
    // The files go as the command ends, right after its reply.
    await eventually(() => spoolFiles().length === 0, 5000);

    assert.match(await c.status('s1', 'EXAMINE INBOX'), /^s1 OK /);
    for (let i = 0; i < messages.length; i++) {
      c.send(`f${i} UID FETCH ${i + 1} (FLAGS BODY.PEEK[])`);
      const fetched = await c.until(`f${i}`, 30_000);
      const head = /^\* \d+ FETCH \(UID \d+ FLAGS \(([^)]*)\) BODY\[\] \{(\d+)\}\r\n/.exec(fetched[0]!);
      assert.ok(head, fetched[0]!.slice(0, 100));
      // EXAMINE shows \Recent on messages no session has seen (RFC 3501 §2.3.2); only \Seen is the client's.
      const flags = head[1]!.split(' ').filter((f) => f !== '' && f !== '\\Recent').join(' ');
      assert.equal(flags, i === 0 ? '\\Seen' : '', 'flags belong to their own message');
      assert.equal(Number(head[2]), messages[i]!.length);
      const bytes = Buffer.from(fetched[0]!.slice(head[0].length, head[0].length + messages[i]!.length), 'utf8');
      assert.equal(sha256(bytes), sha256(messages[i]!), `message ${i + 1}`);
    }
    await c.command('l1', 'LOGOUT');
  });

  test('a MULTIAPPEND that ends early stores nothing and leaves no file: client gone, empty message, TOOBIG, NUL', async () => {
    const count = async () => {
      const probe = await RawClient.connect(plainPort, { tls: false });
      await probe.status('P0', `LOGIN appender@contoso.com ${PASSWORD}`);
      const status = (await probe.command('P1', 'STATUS Drafts (MESSAGES)'))[0]!;
      probe.close();
      return Number(/MESSAGES (\d+)/.exec(status)![1]);
    };
    const first = bigMessage('First', 1 * MB);
    const second = bigMessage('Second', 2 * MB);

    // The client leaves half-way through the second message.
    const gone = await RawClient.connect(plainPort, { tls: false });
    assert.match(await gone.status('L0', `LOGIN appender@contoso.com ${PASSWORD}`), /^L0 OK /);
    gone.write(`a1 APPEND Drafts {${first.length}}\r\n`);
    assert.match(await gone.line(), /^\+ /);
    await sendSlowly(gone, first);
    gone.write(` {${second.length}}\r\n`);
    assert.match(await gone.line(), /^\+ /);
    await sendSlowly(gone, second.subarray(0, MB));
    await eventually(() => spoolFiles().length === 2, 10_000);
    gone.close();
    await eventually(() => spoolFiles().length === 0, 10_000);

    const c = await RawClient.connect(plainPort, { tls: false });
    assert.match(await c.status('L0', `LOGIN appender@contoso.com ${PASSWORD}`), /^L0 OK /);
    // A zero-length message cancels the whole command (RFC 3502 §6.3.11).
    c.write(`a2 APPEND Drafts {${first.length}}\r\n`);
    assert.match(await c.line(), /^\+ /);
    await sendSlowly(c, first);
    c.write(' {0}\r\n');
    assert.match(await c.line(), /^\+ /);
    c.write('\r\n');
    assert.match((await c.until('a2')).at(-1)!, /^a2 NO /);
    await eventually(() => spoolFiles().length === 0, 5000);

    // A message over APPENDLIMIT is refused before it is sent; the ones before it go too.
    c.write(`a3 APPEND Drafts {${first.length}}\r\n`);
    assert.match(await c.line(), /^\+ /);
    await sendSlowly(c, first);
    c.write(` {${200 * MB}}\r\n`);
    assert.match(await c.line(), /^a3 NO \[TOOBIG\] /);
    await eventually(() => spoolFiles().length === 0, 5000);

    // NUL outside literal8 is refused as it is for a message held in memory.
    const withNul = Buffer.from(first);
    withNul[first.length - 100] = 0;
    c.write(`a4 APPEND Drafts {${withNul.length}}\r\n`);
    assert.match(await c.line(), /^\+ /);
    await sendSlowly(c, withNul);
    c.write('\r\n');
    assert.match((await c.until('a4')).at(-1)!, /^a4 BAD .*NUL/);
    await eventually(() => spoolFiles().length === 0, 5000);

    assert.equal(await count(), 0);
    assert.deepEqual(await c.command('n1', 'NOOP'), ['n1 OK NOOP completed.']);
    await c.command('l1', 'LOGOUT');
  });
});
