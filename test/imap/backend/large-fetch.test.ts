// FETCH of a large message against a real `mailroom start` (front end and back end as separate
// processes, the front end proxying): BODY[] and RFC822 of the whole message are sent from the
// store as they are read, so ten clients fetching a 50 MB message at once do not make the
// server hold ten copies of it. The server's memory is read from /proc.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Directory } from '../../../src/directory/directory.ts';
import { freePortOffset, startMailroom, tempDataDir, type RunningServer } from '../../helpers.ts';
import { createTestOrganization } from '../../support/organization.ts';
import { message, RawClient } from './harness.ts';
import { resetServerPeak, serverMemory } from '../../support/process-memory.ts';

const PASSWORD = 'Fetch-Pass-2026';
const MB = 1024 * 1024;
const data = tempDataDir('mailroom-imap-large-fetch-');
let plainPort: number;
let server: RunningServer;
let big: Buffer;

const memory = () => serverMemory(server.child.pid!);
const resetPeak = () => resetServerPeak(server.child.pid!);

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * Logs on over a plain socket, sends `command` (tag f) on INBOX opened read-only and reads the
 * first literal of the answer into a hash as it arrives, never holding it. `stopAfter`: the
 * client closes the connection once it has read that many bytes of the literal.
 */
async function fetchLiteral(command: string, stopAfter?: number): Promise<{ head: string; length: number; received: number; sha256: string; tail: string }> {
  const socket = connect({ host: '127.0.0.1', port: plainPort });
  socket.write(`a LOGIN reader ${PASSWORD}\r\nb EXAMINE INBOX\r\nf ${command}\r\n`);
  const hash = createHash('sha256');
  return new Promise((resolve, reject) => {
    let text = '';
    let head = '';
    let length = -1;
    let received = 0;
    let tail = '';
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      if (length < 0) {
        text += chunk.toString('latin1');
        const at = text.indexOf('\r\n* 1 FETCH ');
        const open = at < 0 ? -1 : text.indexOf('{', at);
        const close = open < 0 ? -1 : text.indexOf('}\r\n', open);
        if (close < 0) return;
        const start = close + 3;
        head = text.slice(at + 2, start);
        length = Number(text.slice(open + 1, close));
        chunk = Buffer.from(text.slice(start), 'latin1');
        text = '';
      }
      if (received < length) {
        const take = Math.min(chunk.length, length - received);
        hash.update(chunk.subarray(0, take));
        received += take;
        chunk = chunk.subarray(take);
        if (stopAfter !== undefined && received >= stopAfter) {
          socket.destroy();
          resolve({ head, length, received, sha256: '', tail });
          return;
        }
      }
      tail += chunk.toString('latin1');
      if (received === length && /(^|\n)f (OK|NO|BAD) [^\r\n]*\r\n$/.test(tail)) {
        socket.end();
        resolve({ head, length, received, sha256: hash.digest('hex'), tail });
      }
    });
    socket.on('close', () => reject(new Error(`closed after ${received} of ${length} bytes; tail ${JSON.stringify(tail.slice(0, 200))}`)));
  });
}

before(async () => {
  const offset = await freePortOffset([143, 993]);
  plainPort = 143 + offset;
  await createTestOrganization(data.path, { mailboxes: [['reader', 'reader']], password: PASSWORD });
  process.env.MAILROOM_DATA = data.path;
  const dir = await Directory.open();
  try {
    await dir.updateSettings('ImapSettings', { LoginType: 'PlainTextLogin' }, 'MAIL01');
    // Room for the 50 MB message (APPENDLIMIT follows the organization's message size limits).
    await dir.updateSettings('TransportConfig', { MaxReceiveSize: 64 * MB, MaxSendSize: 64 * MB });
    for (const service of ['smtp', 'smtp-backend', 'pop3', 'pop3-backend'] as const) await dir.setServiceStartupType('MAIL01', service, 'Disabled');
  } finally {
    await dir.close();
  }
  server = await startMailroom(['start'], { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) });

  // A 50 MB message: a base64 attachment of random bytes.
  const body = randomBytes(37.5 * MB).toString('base64').replace(/.{76}/g, '$&\r\n');
  big = Buffer.from(message('Fifty megabytes', body, { 'Content-Type': 'application/octet-stream', 'Content-Transfer-Encoding': 'base64' }));
  const c = await RawClient.connect(plainPort, { tls: false });
  assert.match(await c.status('L0', `LOGIN reader ${PASSWORD}`), /^L0 OK /);
  c.write(`a1 APPEND INBOX {${big.length}}\r\n`);
  assert.match(await c.line(), /^\+ /);
  for (let at = 0; at < big.length; at += 256 * 1024) {
    if (!c.socket.write(big.subarray(at, at + 256 * 1024))) await new Promise((r) => c.socket.once('drain', r));
  }
  c.write('\r\n');
  assert.match((await c.until('a1', 60_000)).at(-1)!, /^a1 OK \[APPENDUID \d+ 1\]/);
  // A text search waits for the full-text indexer, which reads the new message: its memory is
  // then in the baseline, not in what the FETCHes are measured to add.
  assert.match(await c.status('s1', 'SELECT INBOX'), /^s1 OK /);
  c.send('s2 SEARCH BODY "Fifty"');
  assert.match((await c.until('s2', 60_000)).at(-1)!, /^s2 OK /);
  await c.command('l1', 'LOGOUT');
});

after(async () => {
  await server?.stop();
  data.cleanup();
});

test('ten clients fetch a 50 MB message at once: each gets it byte for byte, and the server grows by less than 50 MB', async (t) => {
  const expected = sha256(big);
  const before = memory().rss;
  resetPeak();
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: 10 }, () => fetchLiteral('UID FETCH 1 (BODY.PEEK[])')));
  const seconds = (performance.now() - started) / 1000;
  const grew = memory().peak - before;
  for (const r of results) {
    assert.equal(r.head, `* 1 FETCH (UID 1 BODY[] {${big.length}}\r\n`);
    assert.equal(r.length, big.length);
    assert.equal(r.sha256, expected);
    assert.match(r.tail, /^\)\r\nf OK /);
  }
  t.diagnostic(`500 MB in ${seconds.toFixed(1)} s (${(500 / seconds).toFixed(0)} MB/s); the server's peak RSS grew by ${(grew / MB).toFixed(1)} MB`);
  assert.ok(grew < 50 * MB, `the server grew by ${(grew / MB).toFixed(1)} MB`);
});

test('partial BODY[] and RFC822 of a large message: the bytes asked for, with the other items around them', async () => {
  const middle = await fetchLiteral('UID FETCH 1 (RFC822.SIZE BODY.PEEK[]<1000.3000000> FLAGS)');
  assert.equal(middle.head, `* 1 FETCH (UID 1 RFC822.SIZE ${big.length} BODY[]<1000> {3000000}\r\n`);
  assert.equal(middle.sha256, sha256(big.subarray(1000, 3_001_000)));
  assert.match(middle.tail, /^ FLAGS \([^)]*\)\)\r\nf OK /);
  // A window running past the end is cut at the end (RFC 3501 §6.4.5).
  const end = await fetchLiteral(`UID FETCH 1 (BODY.PEEK[]<${big.length - 100}.5000>)`);
  assert.equal(end.head, `* 1 FETCH (UID 1 BODY[]<${big.length - 100}> {100}\r\n`);
  assert.equal(end.sha256, sha256(big.subarray(big.length - 100)));
  const whole = await fetchLiteral('FETCH 1 (RFC822)');
  assert.equal(whole.head, `* 1 FETCH (RFC822 {${big.length}}\r\n`);
  assert.equal(whole.sha256, sha256(big));
});

test('a client that leaves in the middle of the message costs nothing more, and the next one is served', async () => {
  const gone = await fetchLiteral('UID FETCH 1 (BODY.PEEK[])', 2 * MB);
  assert.ok(gone.received >= 2 * MB && gone.received < big.length);
  const next = await fetchLiteral('UID FETCH 1 (BODY.PEEK[])');
  assert.equal(next.sha256, sha256(big));
});
