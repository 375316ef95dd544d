// Ten clients fetching a 50 MB message at once (issue 16), Mailroom and Dovecot in the same run:
// how fast the bytes arrive (MB/s over all clients), how much the server's memory grows while
// it sends them (its process tree's resident set, sampled every 20 ms, the peak against the
// moment before), and its CPU time per GB sent.
//
//   node --import tsx bench/imap/large-fetch.ts [--clients 10] [--mb 50] [--rounds 3]
//        [--servers mailroom,dovecot] [--tls] [--layout all|proxied]
//
// Every client logs on and opens the INBOX first; then all send UID FETCH 1 (BODY.PEEK[]) at
// once and read as fast as they can, counting the literal's bytes. The servers take turns,
// `rounds` times; the table gives the median of each measure. Not part of npm test.
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { ImapUser } from './corpus.ts';
import { treeCpuSeconds, treeMemory } from './procfs.ts';
import { dovecotAvailable, startDovecotTarget, startMailroomTarget, type MailroomLayout, type Target } from './targets.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '10' },
    mb: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    servers: { type: 'string', default: 'mailroom,dovecot' },
    tls: { type: 'boolean', default: false },
    layout: { type: 'string', default: 'all' },
  },
});
const CLIENTS = Number(values.clients);
const MB = 1024 * 1024;
const USER = 'fetcher';
const PASSWORD = 'Fetch-Bench-2026';

/** A message of about `mb` MB: a base64 attachment of random bytes, 76-column lines. */
function bigMessage(mb: number): Buffer {
  const body = randomBytes(Math.ceil((mb * MB * 3) / 4)).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    `From: Sender <sender@fabrikam.com>\r\nTo: ${USER}@contoso.com\r\nSubject: Large attachment\r\n` +
      `Date: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <large@bench>\r\nMIME-Version: 1.0\r\n` +
      `Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${body}\r\n`,
  );
}

/** A logged-on client with INBOX open, ready to FETCH. */
class Reader {
  private constructor(private readonly socket: Socket) {}

  static async open(target: Target, tls: boolean): Promise<Reader> {
    const port = tls ? target.tlsPort : target.plainPort;
    const socket = tls ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }) : netConnect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once(tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const reader = new Reader(socket);
    await reader.until('a', `a LOGIN ${USER} ${PASSWORD}\r\n`);
    await reader.until('b', 'b EXAMINE INBOX\r\n');
    return reader;
  }

  /** Sends `line` and waits for the tagged reply, keeping the text (small replies only). */
  private until(tag: string, line: string): Promise<string> {
    return new Promise((resolve, reject) => {
      let text = '';
      const onData = (chunk: Buffer) => {
        text += chunk.toString('latin1');
        const m = new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n$`).exec(text);
        if (!m) return;
        this.socket.off('data', onData);
        if (m[2] !== 'OK') reject(new Error(`${line.trim()}: ${text.slice(-200)}`));
        else resolve(text);
      };
      this.socket.on('data', onData);
      this.socket.write(line);
    });
  }

  /** UID FETCH 1 (BODY.PEEK[]): the literal's length, once all of it and the tagged OK have arrived. */
  fetch(): Promise<number> {
    return new Promise((resolve, reject) => {
      let head = '';
      let length = -1;
      let received = 0;
      let tail = '';
      const onData = (chunk: Buffer) => {
        if (length < 0) {
          head += chunk.toString('latin1');
          const open = head.indexOf('{');
          const close = open < 0 ? -1 : head.indexOf('}\r\n', open);
          if (close < 0) return;
          length = Number(head.slice(open + 1, close));
          chunk = Buffer.from(head.slice(close + 3), 'latin1');
        }
        const take = Math.min(chunk.length, length - received);
        received += take;
        if (take < chunk.length) tail += chunk.subarray(take).toString('latin1');
        if (received === length && /\r\nf (OK|NO|BAD)[^\r\n]*\r\n$/.test(tail)) {
          this.socket.off('data', onData);
          if (!/\r\nf OK/.test(tail)) reject(new Error(`FETCH: ${tail}`));
          else resolve(length);
        }
      };
      this.socket.on('data', onData);
      this.socket.write('f UID FETCH 1 (BODY.PEEK[])\r\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

interface Round {
  seconds: number;
  mbPerSecond: number;
  growthMb: number;
  cpuPerGb: number;
}

async function round(target: Target, tls: boolean, size: number): Promise<Round> {
  const readers = await Promise.all(Array.from({ length: CLIENTS }, () => Reader.open(target, tls)));
  // Let what the logons left settle, then take the baseline.
  await new Promise((r) => setTimeout(r, 500));
  const before = treeMemory(target.pid).rssKb;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, treeMemory(target.pid).rssKb)), 20);
  const cpu0 = treeCpuSeconds(target.pid);
  const t0 = performance.now();
  const lengths = await Promise.all(readers.map((r) => r.fetch()));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = treeCpuSeconds(target.pid) - cpu0;
  clearInterval(sampler);
  peak = Math.max(peak, treeMemory(target.pid).rssKb);
  for (const r of readers) r.close();
  for (const length of lengths) if (length !== size) throw new Error(`${target.name} sent ${length} bytes of ${size}`);
  const bytes = size * CLIENTS;
  return { seconds, mbPerSecond: bytes / MB / seconds, growthMb: (peak - before) / 1024, cpuPerGb: cpu / (bytes / 1024 ** 3) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const message = bigMessage(Number(values.mb));
const user: ImapUser = { name: USER, password: PASSWORD, messages: [message], seen: [false] };
const options = { users: [user], idleUsers: [], maxConnections: CLIENTS + 10 };
const wanted = values.servers!.split(',');
const targets: Target[] = [];
if (wanted.includes('mailroom')) targets.push(await startMailroomTarget(options, values.layout as MailroomLayout));
if (wanted.includes('dovecot') && dovecotAvailable()) targets.push(await startDovecotTarget(options));

console.log(`FETCH of a ${(message.length / MB).toFixed(1)} MB message by ${CLIENTS} clients at once${values.tls ? ' over TLS' : ''}: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const results = new Map<Target, Round[]>(targets.map((t) => [t, []]));
try {
  for (const t of targets) await round(t, values.tls!, message.length); // warm-up
  for (let i = 0; i < Number(values.rounds); i++) {
    for (const t of targets) results.get(t)!.push(await round(t, values.tls!, message.length));
  }
} finally {
  for (const t of targets) await t.stop();
}
console.log('\n| Server | MB/s | seconds | memory growth, MB | CPU s per GB |\n|---|---|---|---|---|');
for (const [t, rounds] of results) {
  const m = (f: (r: Round) => number) => median(rounds.map(f));
  console.log(`| ${t.name} ${t.version} | ${m((r) => r.mbPerSecond).toFixed(0)} | ${m((r) => r.seconds).toFixed(2)} | ${m((r) => r.growthMb).toFixed(1)} (${rounds.map((r) => r.growthMb.toFixed(1)).join(', ')}) | ${m((r) => r.cpuPerGb).toFixed(2)} |`);
}
