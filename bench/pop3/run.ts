// POP3 retrieval throughput, Mailroom against Dovecot in the same run (DESIGN.md §6: "POP3
// retrieval throughput ≥ Dovecot"). Each round, every user downloads their whole mailbox at
// once (logon, STAT, UIDL, RETR 1..n, QUIT); rounds alternate between the servers, after one
// warm-up round each. Reported: messages/s and MB/s of message data, median of the rounds.
//
//   node --import tsx bench/pop3/run.ts [--users 10] [--messages 200] [--large 3]
//        [--small-bytes 10240] [--large-bytes 1048576] [--rounds 5] [--transport tls|plain|both]
//        [--servers mailroom,dovecot]
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { downloadAll } from './client.ts';
import { corpus, type BenchUser } from './corpus.ts';
import { dovecotAvailable, startDovecotTarget, startMailroomTarget, type Target } from './targets.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10' },
    messages: { type: 'string', default: '200' },
    large: { type: 'string', default: '3' },
    'small-bytes': { type: 'string', default: '10240' },
    'large-bytes': { type: 'string', default: '1048576' },
    rounds: { type: 'string', default: '5' },
    transport: { type: 'string', default: 'both' },
    servers: { type: 'string', default: 'mailroom,dovecot' },
  },
});

interface Round {
  seconds: number;
  messages: number;
  bytes: number;
  /** CPU seconds the whole machine spent, and the share of it that was the load client's. */
  machineCpu: number;
  clientCpu: number;
}

/** Busy CPU seconds of the whole machine so far (Linux /proc/stat; 0 elsewhere). */
function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return (fields.reduce((a, b) => a + b, 0) - idle) / 100;
  } catch {
    return 0;
  }
}

/** Bytes on the wire for a message: one more for every line that starts with a dot (RFC 1939 §3). */
function stuffedSize(raw: Buffer): number {
  let dots = raw[0] === 0x2e ? 1 : 0;
  for (let at = raw.indexOf('\n.'); at >= 0; at = raw.indexOf('\n.', at + 1)) dots++;
  return raw.length + dots;
}

async function round(target: Target, users: BenchUser[], tls: boolean): Promise<Round> {
  const expected = users.reduce((n, u) => n + u.messages.reduce((m, b) => m + stuffedSize(b), 0), 0);
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const machineBefore = machineBusySeconds();
  const results = await Promise.all(
    users.map((u) =>
      downloadAll({ port: tls ? target.tlsPort : target.plainPort, tls, user: u.name, password: u.password }).catch((err: Error) => {
        throw new Error(`${target.name}, ${u.name}, ${tls ? 'TLS' : 'plain'}: ${err.message}`);
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const client = process.cpuUsage(cpuBefore);
  const machineCpu = machineBusySeconds() - machineBefore;
  const clientCpu = (client.user + client.system) / 1e6;
  const messages = results.reduce((n, r) => n + r.messages, 0);
  const bytes = results.reduce((n, r) => n + r.bytes, 0);
  if (bytes !== expected) console.warn(`${target.name}: received ${bytes} message bytes, expected ${expected}`);
  return { seconds, messages, bytes, machineCpu, clientCpu };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const options = {
    users: Number(values.users), messages: Number(values.messages), large: Number(values.large),
    smallBytes: Number(values['small-bytes']), largeBytes: Number(values['large-bytes']),
  };
  const rounds = Number(values.rounds);
  const transports = values.transport === 'both' ? [true, false] : [values.transport === 'tls'];
  const wanted = values.servers!.split(',');
  const users = corpus(options);
  const totalBytes = users.reduce((n, u) => n + u.messages.reduce((m, b) => m + b.length, 0), 0);
  console.error(`corpus: ${options.users} users × ${options.messages} messages (${options.large} of ${options.largeBytes} B each, the rest ${options.smallBytes} B), ${(totalBytes / 1e6).toFixed(1)} MB`);

  const targets: Target[] = [];
  try {
    if (wanted.includes('mailroom')) targets.push(await startMailroomTarget(users));
    if (wanted.includes('dovecot')) {
      if (dovecotAvailable()) targets.push(await startDovecotTarget(users));
      else console.error('dovecot is not installed: apt-get install dovecot-pop3d');
    }
    const rows: string[] = [];
    const rates: Record<string, Record<string, { mps: number; mbps: number }>> = {};
    for (const tls of transports) {
      const label = tls ? 'TLS (995)' : 'plain (110)';
      const samples = new Map<Target, Round[]>(targets.map((t) => [t, []]));
      for (const t of targets) await round(t, users, tls); // warm-up: caches, indexes, JIT
      for (let r = 0; r < rounds; r++) {
        for (const t of targets) samples.get(t)!.push(await round(t, users, tls));
      }
      for (const t of targets) {
        const s = samples.get(t)!;
        const mps = median(s.map((x) => x.messages / x.seconds));
        const mbps = median(s.map((x) => x.bytes / 1e6 / x.seconds));
        // Server CPU: what the machine spent minus what the load client spent, per wall second.
        const serverCores = median(s.map((x) => (x.machineCpu - x.clientCpu) / x.seconds));
        const clientCores = median(s.map((x) => x.clientCpu / x.seconds));
        (rates[label] ??= {})[t.name] = { mps, mbps };
        rows.push(`| ${label} | ${t.name} ${t.version} | ${Math.round(mps).toLocaleString('en-US')} | ${mbps.toFixed(1)} | ${serverCores.toFixed(2)} | ${clientCores.toFixed(2)} |`);
      }
    }
    console.log(`\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.versions.node}`);
    console.log(`Corpus: ${options.users} concurrent users × ${options.messages} messages (${options.large} × ${options.largeBytes / 1048576} MB, the rest ${options.smallBytes / 1024} KB), ${(totalBytes / 1e6).toFixed(1)} MB per round; median of ${rounds} rounds after a warm-up.\n`);
    console.log('| Transport | Server | messages/s | MB/s | server CPU (cores) | client CPU (cores) |');
    console.log('|---|---|---:|---:|---:|---:|');
    for (const row of rows) console.log(row);
    for (const [label, byServer] of Object.entries(rates)) {
      const m = byServer.Mailroom;
      const d = byServer.Dovecot;
      if (m && d) console.log(`\n${label}: Mailroom / Dovecot = ${(m.mps / d.mps).toFixed(2)} (messages/s), ${(m.mbps / d.mbps).toFixed(2)} (MB/s)`);
    }
  } finally {
    for (const t of targets) await t.stop();
  }
}

await main();
