// One hostile request must not stall the others: against a real `mailroom start`, an Autodiscover
// POST built to make a backtracking reader spin (`<EMailAddress>` and thousands of spaces, which
// kept the event loop busy for minutes) is sent on one connection while an IMAP4 client and an
// HTTP client on other connections are answered, and the hostile request gets its own answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { freePortOffset, mailroom, startMailroom, tempDataDir, type RunningServer } from '../helpers.ts';
import { send } from './client.ts';

const data = tempDataDir('mailroom-client-input-');
let env: Record<string, string>;
let offset = 0;
let server: RunningServer | undefined;

function admin(...args: string[]): void {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
}

before(async () => {
  offset = await freePortOffset([80, 443, 143, 993]);
  env = { MAILROOM_DATA: data.path, MAILROOM_PORT_OFFSET: String(offset) };
  admin('setup', '--organization', 'Contoso', '--domain', 'contoso.com', '--server', 'MAIL01', '--admin-password', 'Admin-Pass-2026');
  admin('Set-ImapSettings', '-UnencryptedOrTLSBindings', '127.0.0.1:143', '-SSLBindings', '127.0.0.1:993');
  admin('Set-Service', 'MSExchangeIMAP4,MSExchangeIMAP4BE', '-StartupType', 'Automatic');
  server = await startMailroom(['start'], env, /Mailroom ready.*; web /);
});

after(async () => {
  // A server stuck on the CPU does not run its SIGTERM handler: it is killed instead.
  const stuck = setTimeout(() => server?.child.kill('SIGKILL'), 10_000);
  await server?.stop();
  clearTimeout(stuck);
  data.cleanup();
});

/** Reads from a socket until `pattern` matches what arrived; fails after `ms` with what did. */
function readUntil(socket: Socket, pattern: RegExp, ms: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString('latin1');
      if (!pattern.test(text)) return;
      done();
      resolve(text);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: no answer within ${ms} ms (got ${JSON.stringify(text.slice(0, 200))}); server log:\n${server?.output().slice(-2000)}`));
    }, ms);
    const done = () => {
      clearTimeout(timer);
      socket.off('data', onData);
    };
    socket.on('data', onData);
  });
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

// A generous limit for an answer on an idle loopback server. The reader this guards against
// took about 2.5 s for 2,000 spaces and grows with their cube: the 7,000 here are minutes.
const ANSWER_MS = 15_000;

test('an Autodiscover POST of <EMailAddress> and 7,000 spaces leaves IMAP4 and HTTP answering', async () => {
  const imap = await open(143 + offset);
  await readUntil(imap, /^\* OK .*\r\n/, ANSWER_MS, 'IMAP4 greeting');

  const body = `<Autodiscover><Request><EMailAddress>${' '.repeat(7000)}`;
  const hostile = await open(80 + offset);
  const hostileAnswer = readUntil(hostile, /^HTTP\/1\.1 \d{3} [^]*<\/Autodiscover>/, ANSWER_MS, 'the hostile Autodiscover POST');
  await new Promise<void>((resolve) => hostile.write(
    `POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: autodiscover.contoso.com\r\nContent-Type: text/xml\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    () => resolve(),
  ));

  // Other connections, sent once the hostile request is on its way.
  imap.write('a1 NOOP\r\n');
  const [noop, page] = await Promise.all([
    readUntil(imap, /^a1 OK .*\r\n/m, ANSWER_MS, 'IMAP4 NOOP'),
    send(`http://127.0.0.1:${80 + offset}/mail/config-v1.1.xml`),
  ]);
  assert.match(noop, /^a1 OK /m);
  assert.equal(page.status, 200);

  // The hostile request itself is answered: it names no address, so error 600.
  const answer = await hostileAnswer;
  assert.match(answer, /^HTTP\/1\.1 200 /);
  assert.match(answer, /<ErrorCode>600<\/ErrorCode>/);
  imap.destroy();
  hostile.destroy();
});

test('a body past the 8 KB limit (under the service-wide 256 KB) is refused with 413 without being read', async () => {
  const hostile = await open(80 + offset);
  const answer = readUntil(hostile, /^HTTP\/1\.1 \d{3} /, ANSWER_MS, 'the oversized Autodiscover POST');
  hostile.write(`POST /autodiscover/autodiscover.xml HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n<EMailAddress>`);
  assert.match(await answer, /^HTTP\/1\.1 413 /);
  hostile.destroy();
});
