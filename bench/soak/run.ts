// Soak run: a `mailroom start` under a steady mix of IMAP4, POP3 and SMTP traffic for a long time
// (30 minutes by default), sampled every 10 s: the server's resident memory, its open file
// descriptors, operations and errors per protocol, latency percentiles. A server that leaks
// shows it here as a slope, not in a two-minute benchmark.
//
//   node --import tsx bench/soak/run.ts [--minutes 30] [--interval 10]
//
// The load (all on loopback, TLS where a client would use it):
//   - SMTP: two submission senders on 587 (STARTTLS, AUTH) delivering 2-12 KB messages to
//     random users, about 10 messages/s in all;
//   - IMAP4: eight clients over 993 each looping SELECT, FETCH of the newest envelopes, SEARCH
//     UNSEEN, STORE \Seen, APPEND to Sent and, when the Inbox passes 150 messages, deleting the
//     oldest (so the mailboxes stay the same size and growth means a leak); four more in IDLE;
//   - POP3: two clients over 995 every 2 s: STAT, UIDL, RETR of the newest three, QUIT.
import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { createTestOrganization } from '../../test/support/organization.ts';
import { freePortOffset, startMailroom } from '../../test/helpers.ts';
import { PopClient } from '../../test/pop3/pop-client.ts';
import { prng, randomInt } from '../../test/support/random.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' }, interval: { type: 'string', default: '10' } } });
const MINUTES = Number(values.minutes);
const INTERVAL_S = Number(values.interval);
const USERS = 20;
const PASSWORD = 'Soak-Pass-2026';
const ROOT = resolve(import.meta.dirname, '..', '..');

type Protocol = 'smtp' | 'imap' | 'pop3';
interface Window {
  ops: Record<Protocol, number>;
  errors: Record<Protocol, number>;
  latencies: Record<Protocol, number[]>;
  errorSamples: string[];
}
const fresh = (): Window => ({
  ops: { smtp: 0, imap: 0, pop3: 0 }, errors: { smtp: 0, imap: 0, pop3: 0 }, latencies: { smtp: [], imap: [], pop3: [] }, errorSamples: [],
});
let window = fresh();
let running = true;

async function timed<T>(protocol: Protocol, what: () => Promise<T>): Promise<T | undefined> {
  const started = performance.now();
  try {
    const value = await what();
    window.ops[protocol]++;
    window.latencies[protocol].push(performance.now() - started);
    return value;
  } catch (err) {
    window.errors[protocol]++;
    const e = err as Error & { responseText?: string; response?: string };
    if (window.errorSamples.length < 5) window.errorSamples.push(`${protocol}: ${e.message} ${e.responseText ?? e.response ?? ''}`);
    return undefined;
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const user = (k: number) => `u${k}@contoso.com`;

function message(random: () => number, n: number, to: string, from = user(1)): Buffer {
  const words = ['budget', 'meeting', 'report', 'schedule', 'invoice', 'review', 'travel', 'agenda', '會議', '報告'];
  const lines: string[] = [];
  const size = 2000 + randomInt(random, 10_000);
  for (let len = 0; len < size; ) {
    const line = Array.from({ length: 10 }, () => words[randomInt(random, words.length)]).join(' ');
    lines.push(line);
    len += line.length + 2;
  }
  return Buffer.from(
    `From: ${from}\r\nTo: ${to}\r\nSubject: soak ${n}\r\nMessage-ID: <soak-${n}@contoso.com>\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\n\r\n${lines.join('\r\n')}\r\n`,
  );
}

async function smtpSender(offset: number, seed: number): Promise<void> {
  const random = prng(seed);
  const transport = nodemailer.createTransport({
    // A new connection every 500 messages (about two minutes): the connector's ConnectionTimeout
    // (10 minutes, counted from the connect as in Exchange) would otherwise end it mid-message.
    host: '127.0.0.1', port: 587 + offset, secure: false, requireTLS: true, pool: true, maxConnections: 1, maxMessages: 500,
    auth: { user: user(1), pass: PASSWORD }, tls: { rejectUnauthorized: false },
  });
  for (let n = 0; running; n++) {
    const to = user(1 + randomInt(random, USERS));
    await timed('smtp', () => transport.sendMail({ envelope: { from: user(1), to: [to] }, raw: message(random, seed * 1_000_000 + n, to) }));
    await pause(200);
  }
  transport.close();
}

function imapClient(offset: number, k: number): ImapFlow {
  const client = new ImapFlow({
    host: '127.0.0.1', port: 993 + offset, secure: true, auth: { user: user(k), pass: PASSWORD }, tls: { rejectUnauthorized: false }, logger: false,
  });
  client.on('error', () => undefined);
  return client;
}

async function imapWorker(offset: number, k: number, seed: number): Promise<void> {
  const random = prng(seed);
  while (running) {
    const client = imapClient(offset, k);
    if ((await timed('imap', () => client.connect().then(() => true))) === undefined) {
      client.close();
      await pause(1000);
      continue;
    }
    // A session lasts a few minutes, as a desktop client's does between reconnects.
    const until = performance.now() + 60_000 + randomInt(random, 180_000);
    while (running && performance.now() < until && client.usable) {
      const box = await timed('imap', () => client.mailboxOpen('INBOX'));
      const exists = box ? box.exists : 0;
      if (exists > 0) {
        await timed('imap', async () => {
          for await (const _ of client.fetch(`${Math.max(1, exists - 9)}:*`, { envelope: true, flags: true, size: true })) void _;
        });
        await timed('imap', () => client.search({ seen: false }));
        await timed('imap', () => client.messageFlagsAdd(String(1 + randomInt(random, exists)), ['\\Seen']));
      }
      if (exists > 150) await timed('imap', () => client.messageDelete(`1:${exists - 120}`));
      if (randomInt(random, 4) === 0) {
        await timed('imap', () => client.append('Sent Items', message(random, seed * 1_000_000 + randomInt(random, 1e6), user(k)), ['\\Seen']));
        const sent = await timed('imap', () => client.status('Sent Items', { messages: true }));
        if (sent && (sent.messages ?? 0) > 60) {
          await timed('imap', async () => {
            const lock = await client.getMailboxLock('Sent Items');
            try {
              await client.messageDelete('1:30');
            } finally {
              lock.release();
            }
          });
        }
      }
      await pause(100 + randomInt(random, 200));
    }
    await client.logout().catch(() => undefined);
  }
}

async function idler(offset: number, k: number): Promise<void> {
  while (running) {
    const client = imapClient(offset, k);
    if ((await timed('imap', () => client.connect().then(() => true))) === undefined) {
      client.close();
      await pause(1000);
      continue;
    }
    await timed('imap', () => client.mailboxOpen('INBOX'));
    // imapflow stays in IDLE between commands; wake it now and then as a client would.
    while (running && client.usable) {
      await pause(15_000);
      await timed('imap', () => client.noop());
    }
    await client.logout().catch(() => undefined);
  }
}

/** POP3 holds a mailbox for one session at a time ([IN-USE]): each worker has its own half of the users. */
async function popWorker(offset: number, seed: number, half: 0 | 1): Promise<void> {
  const random = prng(seed);
  while (running) {
    const k = 1 + half + 2 * randomInt(random, USERS / 2);
    await timed('pop3', async () => {
      const c = await PopClient.connect({ port: 995 + offset, tls: true });
      try {
        const expect = async (line: string | Promise<string>) => {
          const got = await line;
          if (!got.startsWith('+OK')) throw new Error(got);
          return got;
        };
        await expect(c.line());
        await expect(c.command(`USER ${user(k)}`));
        await expect(c.command(`PASS ${PASSWORD}`));
        const count = Number((await expect(c.command('STAT'))).split(' ')[1]);
        c.send('UIDL');
        await expect(c.line());
        while ((await c.line()) !== '.');
        for (let n = Math.max(1, count - 2); n <= count; n++) {
          c.send(`RETR ${n}`);
          const first = await c.line();
          if (!first.startsWith('+OK')) break; // deleted meanwhile by an IMAP client: fine
          while ((await c.line()) !== '.');
        }
        await expect(c.command('QUIT'));
      } finally {
        c.close();
      }
    });
    await pause(2000);
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Sample {
  at: number;
  rssMb: number;
  fds: number;
  ops: Record<Protocol, number>;
  errors: Record<Protocol, number>;
  p50: Record<Protocol, number>;
  p99: Record<Protocol, number>;
}

async function main(): Promise<void> {
  const data = mkdtempSync(join(tmpdir(), 'mailroom-soak-'));
  const offset = await freePortOffset([25, 587, 465, 143, 993, 110, 995, 2525]);
  await createTestOrganization(data, { mailboxes: Array.from({ length: USERS }, (_, i) => [`u${i + 1}`, `u${i + 1}`] as const), password: PASSWORD });

  const server = await startMailroom(['start'], { MAILROOM_DATA: data, MAILROOM_PORT_OFFSET: String(offset), MAILROOM_LOG_LEVEL: 'info' });
  const pid = server.child.pid!;
  const rss = () => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  const fds = () => readdirSync(`/proc/${pid}/fd`).length;
  console.log(`soak: ${MINUTES} min, sample every ${INTERVAL_S} s, server pid ${pid}, data ${data}`);

  // The clients come up one after another, as people's do, rather than all in the same
  // millisecond from one address (which the logon throttle answers with "try again later" for
  // all but one attempt in flight and eight waiting).
  const staggered = (n: number, run: () => Promise<void>) => pause(n * 250).then(run);
  const workers = [
    staggered(0, () => smtpSender(offset, 1)), staggered(1, () => smtpSender(offset, 2)),
    ...Array.from({ length: 8 }, (_, i) => staggered(2 + i, () => imapWorker(offset, 1 + i, 100 + i))),
    ...Array.from({ length: 4 }, (_, i) => staggered(10 + i, () => idler(offset, 11 + i))),
    staggered(14, () => popWorker(offset, 200, 0)), staggered(15, () => popWorker(offset, 201, 1)),
  ];
  const samples: Sample[] = [];
  const started = performance.now();
  const header = 'time  rss MB  fds   smtp ops/err p50/p99 ms   imap ops/err p50/p99 ms   pop3 ops/err p50/p99 ms';
  console.log(header);
  while (performance.now() - started < MINUTES * 60_000) {
    await pause(INTERVAL_S * 1000);
    const w = window;
    window = fresh();
    const sample: Sample = { at: Math.round((performance.now() - started) / 1000), rssMb: rss(), fds: fds(), ops: w.ops, errors: w.errors, p50: { smtp: 0, imap: 0, pop3: 0 }, p99: { smtp: 0, imap: 0, pop3: 0 } };
    for (const p of ['smtp', 'imap', 'pop3'] as const) {
      const sorted = w.latencies[p].sort((a, b) => a - b);
      sample.p50[p] = percentile(sorted, 50);
      sample.p99[p] = percentile(sorted, 99);
    }
    samples.push(sample);
    const cell = (p: Protocol) => `${String(sample.ops[p]).padStart(5)}/${sample.errors[p]} ${sample.p50[p].toFixed(1)}/${sample.p99[p].toFixed(1)}`.padEnd(24);
    console.log(`${String(sample.at).padStart(4)}s ${sample.rssMb.toFixed(1).padStart(7)} ${String(sample.fds).padStart(4)}   ${cell('smtp')}  ${cell('imap')}  ${cell('pop3')}`);
    for (const e of w.errorSamples) console.log(`      error ${e}`);
  }
  running = false;
  await Promise.allSettled(workers);
  await server.stop();

  // Growth: the last third against the middle third (the first third is the warm-up: caches,
  // JIT, mailboxes filling to their steady size).
  const third = Math.max(1, Math.floor(samples.length / 3));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const middle = samples.slice(third, 2 * third);
  const last = samples.slice(2 * third);
  const summary = {
    minutes: MINUTES,
    rssMiddleMb: mean(middle.map((s) => s.rssMb)),
    rssLastMb: mean(last.map((s) => s.rssMb)),
    rssMaxMb: Math.max(...samples.map((s) => s.rssMb)),
    fdsMiddle: mean(middle.map((s) => s.fds)),
    fdsLast: mean(last.map((s) => s.fds)),
    ops: { smtp: 0, imap: 0, pop3: 0 } as Record<Protocol, number>,
    errors: { smtp: 0, imap: 0, pop3: 0 } as Record<Protocol, number>,
    problems: server.output().split('\n').filter((l) => /"level":(40|50|60)|\b(WARN|ERROR|FATAL)\b/.test(l)).slice(0, 20),
  };
  for (const s of samples) for (const p of ['smtp', 'imap', 'pop3'] as const) {
    summary.ops[p] += s.ops[p];
    summary.errors[p] += s.errors[p];
  }
  console.log(JSON.stringify(summary, null, 2));
  mkdirSync(join(ROOT, 'tmp'), { recursive: true });
  const out = join(ROOT, 'tmp', `soak-${new Date().toISOString().slice(0, 16).replace(/:/g, '')}.json`);
  writeFileSync(out, JSON.stringify({ summary, samples }, null, 2));
  console.log(`samples: ${out}`);
  rmSync(data, { recursive: true, force: true });
}

await main();
