// SMTP delivery of small messages (DESIGN.md §6: "SMTP delivery of small messages ≥ 1,000
// messages/s"), Mailroom against Postfix delivering through Dovecot LMTP, in the same run.
//
// 20 senders (one connection each, reused for every message, PIPELINING) deliver about 2 KB
// DKIM-signed messages from an Internet domain to 10 mailboxes round robin, anonymously on the
// inbound port (Mailroom: the "Default Frontend" receive connector, 25 + the port offset).
// Servers:
//   mailroom           Mailroom with its inbound checks as shipped (SPF, DKIM, DMARC, ARC), DNS
//                      answered at once by a stub loaded into the server (no network)
//   mailroom-nochecks  the same with mailauth stubbed out: what the checks cost
//   postfix            Postfix (private instance) → LMTP → Dovecot (private instance, maildir);
//                      its rate counts until the last message is in a maildir
//   lmtp               Dovecot's LMTP server straight from the senders: the store side alone
// Rounds alternate between the servers after a warm-up round each; reported: messages/s (median
// of the rounds), latency per message (MAIL FROM sent → final reply), CPU. At the end every
// acknowledged message is looked up in the mailboxes by its X-Bench-Id: none may be missing or
// stored twice.
//
//   node --import tsx bench/smtp/run.ts [--messages 5000] [--senders 20] [--rounds 3]
//        [--mailboxes 10] [--recipients 1] [--bytes 2048] [--warmup 500]
//        [--servers mailroom,mailroom-nochecks,postfix,lmtp] [--log-level info]
//        [--profile] [--profile-messages 5000] [--profile-dir DIR]
//
// --profile adds two passes on Mailroom (checks on) after the rounds: one round under
// `node --cpu-prof` (summarised: self and inclusive time by function and module), and one with
// every SQLite statement, transaction, DNS query and (with perf) fsync/write system call counted
// per message. Linux only (CPU from /proc). Postfix needs root (its master drops privileges).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { processTree, machineBusySeconds } from '../imap/procfs.ts';
import { MailSender } from './client.ts';
import { buildCorpus, deliveryPayload, ENVELOPE_SENDER, SENDER_DOMAIN, type Corpus } from './corpus.ts';
import { formatSummary, threadProfiles } from './profile.ts';
import {
  DOMAIN, dovecotAvailable, dovecotLmtpTarget, postfixAvailable, startDovecotLmtp, startMailroomTarget, startPostfixTarget,
  type DovecotLmtp, type MailroomTarget, type Target,
} from './targets.ts';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    senders: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    mailboxes: { type: 'string', default: '10' },
    recipients: { type: 'string', default: '1' },
    bytes: { type: 'string', default: '2048' },
    warmup: { type: 'string', default: '500' },
    servers: { type: 'string', default: 'mailroom,mailroom-nochecks,postfix,lmtp' },
    'log-level': { type: 'string', default: 'info' },
    profile: { type: 'boolean', default: false },
    'profile-messages': { type: 'string' },
    'profile-dir': { type: 'string' },
  },
});

const config = {
  messages: Number(values.messages),
  senders: Number(values.senders),
  rounds: Number(values.rounds),
  mailboxes: Number(values.mailboxes),
  recipients: Math.min(Number(values.recipients), Number(values.mailboxes)),
  bytes: Number(values.bytes),
  warmup: Number(values.warmup),
  logLevel: values['log-level']!,
  profileMessages: Number(values['profile-messages'] ?? values.messages),
};
const wanted = new Set(values.servers!.split(','));

/** Progress on stderr, stamped with the seconds since the run started. */
function note(message: string): void {
  console.error(`[${(performance.now() / 1000).toFixed(0).padStart(4)} s] ${message}`);
}

const percentile = (sorted: readonly number[], p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : int(n)) : '–');
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

/** CPU seconds of a process tree: its live processes and the children they have reaped. */
function treeCpu(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) for (const s of processTree(pid)) ticks += s.cpu + s.childrenCpu;
  return ticks / 100;
}

interface Round {
  messages: number;
  deliveries: number;
  failures: number;
  failureSamples: string[];
  /** Until the last reply, and until the last message was in a mailbox (the same for servers that store first). */
  acceptSeconds: number;
  storedSeconds: number;
  latencies: number[];
  serverCores: number;
  clientCores: number;
  otherCores: number;
  window: { fromUs: number; toUs: number };
  /** Work the server went on doing after the round (Mailroom's search indexer catching up): seconds and CPU seconds. */
  afterSeconds: number;
  afterCpu: number;
}

/**
 * Waits until the server is idle again (under 0.08 cores over a quarter second), so that work
 * it put off (Mailroom indexes messages for search in a worker thread, behind the deliveries)
 * is counted, and does not run into the next server's round.
 */
async function settle(pids: number[], maxSeconds = 120): Promise<{ seconds: number; cpu: number }> {
  const started = performance.now();
  const cpuBefore = treeCpu(pids);
  let last = cpuBefore;
  let lastAt = started;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const now = treeCpu(pids);
    const at = performance.now();
    const idle = (now - last) / ((at - lastAt) / 1000) < 0.08;
    if (idle || at - started > maxSeconds * 1000) return { seconds: idle ? (lastAt - started) / 1000 : (at - started) / 1000, cpu: now - cpuBefore };
    last = now;
    lastAt = at;
  }
}

/** What each target acknowledged: recipient → ids, to be found in the mailboxes at the end. */
const expected = new Map<Target, Map<string, string[]>>();
const runTag = Date.now().toString(36);

async function deliverRound(target: Target, corpus: Corpus, label: string, count: number, options: { settle?: boolean } = {}): Promise<Round> {
  const senders = await Promise.all(Array.from({ length: config.senders }, (_, i) =>
    MailSender.open({ port: target.port, lmtp: target.lmtp, helo: `mta${i + 1}.${SENDER_DOMAIN}` })));
  const acked = expected.get(target) ?? new Map<string, string[]>();
  expected.set(target, acked);
  const storedBefore = target.storedCount?.() ?? 0;
  const latencies: number[] = [];
  const failureSamples: string[] = [];
  let failures = 0;
  let deliveries = 0;
  let messages = 0;
  let next = 0;
  const cpuBefore = treeCpu(target.pids());
  const clientBefore = process.cpuUsage();
  const machineBefore = machineBusySeconds();
  const fromUs = nowUs();
  const started = performance.now();
  await Promise.all(senders.map(async (sender) => {
    for (let n = next++; n < count; n = next++) {
      const id = `${runTag}.${target.key}.${label}.${n}`;
      const first = n % config.mailboxes;
      const rcpts = Array.from({ length: config.recipients }, (_, j) => target.recipients[(first + j) % config.mailboxes]!);
      const result = await sender.send(ENVELOPE_SENDER, rcpts, deliveryPayload(corpus, n, id));
      latencies.push(result.latencyMs);
      for (const r of result.accepted) {
        const list = acked.get(r.toLowerCase()) ?? [];
        list.push(id);
        acked.set(r.toLowerCase(), list);
      }
      deliveries += result.accepted.length;
      if (result.accepted.length > 0) messages++;
      if (result.failure !== undefined) {
        failures++;
        if (failureSamples.length < 5) failureSamples.push(result.failure);
      }
    }
  }));
  const acceptSeconds = (performance.now() - started) / 1000;
  // Postfix has only queued the messages: the round ends when the last one is in a maildir.
  if (target.storedCount) {
    const deadline = performance.now() + 300_000;
    while (target.storedCount() < storedBefore + deliveries) {
      if (performance.now() > deadline) {
        note(`${target.name}: only ${target.storedCount() - storedBefore} of ${deliveries} deliveries in the mailboxes after 5 minutes`);
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const storedSeconds = (performance.now() - started) / 1000;
  const toUs = nowUs();
  const serverCpu = treeCpu(target.pids()) - cpuBefore;
  const c = process.cpuUsage(clientBefore);
  const clientCpu = (c.user + c.system) / 1e6;
  const machineCpu = machineBusySeconds() - machineBefore;
  await Promise.all(senders.map((s) => s.quit()));
  const after = options.settle === false ? { seconds: 0, cpu: 0 } : await settle(target.pids());
  return {
    messages, deliveries, failures, failureSamples, acceptSeconds, storedSeconds, latencies, afterSeconds: after.seconds, afterCpu: after.cpu,
    serverCores: serverCpu / storedSeconds,
    clientCores: clientCpu / storedSeconds,
    otherCores: Math.max(0, machineCpu - serverCpu - clientCpu) / storedSeconds,
    window: { fromUs, toUs },
  };
}

function describeRound(t: Target, r: Round): string {
  const stored = t.storesBeforeReply ? '' : `, ${int(r.messages / r.storedSeconds)} messages/s stored`;
  return `${int(r.messages / r.acceptSeconds)} messages/s acknowledged${stored}, p50 ${ms(percentile([...r.latencies].sort((a, b) => a - b), 50))} ms`
    + `${r.afterSeconds >= 0.5 ? `, busy ${fixed(r.afterSeconds)} s more after the last reply` : ''}`
    + `${r.failures > 0 ? `, ${r.failures} failures (${r.failureSamples[0]})` : ''}`;
}

// --- the analysis passes (--profile) -----------------------------------------------------------

interface SyscallCounts {
  [event: string]: number;
}

/** Counts system calls of a process with perf's tracepoints while `during` runs (null without perf). */
async function countSyscalls(pid: number, during: () => Promise<void>): Promise<SyscallCounts | null> {
  const events = ['fsync', 'fdatasync', 'pwrite64', 'write', 'writev', 'pread64', 'read', 'openat', 'rename', 'sendto', 'recvfrom'].map((e) => `syscalls:sys_enter_${e}`);
  const perf = spawn('perf', ['stat', '-x', ',', '-e', events.join(','), '-p', String(pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  perf.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const spawned = await new Promise<boolean>((res) => {
    perf.once('error', () => res(false));
    setTimeout(() => res(perf.exitCode === null), 500);
  });
  await during();
  if (!spawned) return null;
  perf.kill('SIGINT');
  await new Promise((r) => perf.once('exit', r));
  const counts: SyscallCounts = {};
  for (const line of err.split('\n')) {
    const [value, , event] = line.split(',');
    if (event?.startsWith('syscalls:sys_enter_') && /^\d+$/.test(value ?? '')) counts[event.replace('syscalls:sys_enter_', '')] = Number(value);
  }
  return Object.keys(counts).length > 0 ? counts : null;
}

interface ServerStats {
  dns: Record<string, number>;
  sql: { prepare: Record<string, number>; run: Record<string, number>; runBy: Record<string, number>; transactions: Record<string, number>; exec: Record<string, number> };
}

async function analyse(target: MailroomTarget, corpus: Corpus, out: string[]): Promise<void> {
  const say = (line = '') => out.push(line);
  const dir = values['profile-dir'] ?? mkdtempSync(join(tmpdir(), 'mailroom-smtp-profile-'));
  mkdirSync(dir, { recursive: true });

  // 1. CPU profile of one round.
  note(`profile: ${target.name} under --cpu-prof, ${config.profileMessages} messages (profile in ${dir})`);
  await target.restart({ nodeOptions: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  await deliverRound(target, corpus, 'profile-warmup', 200, { settle: false });
  // No waiting for idle here: the profiler keeps the process busy, and a restart comes next.
  const round = await deliverRound(target, corpus, 'profile', config.profileMessages, { settle: false });
  note(`profile round: ${describeRound(target, round)}`);
  await target.restart(); // the profile is written when the process exits
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));

  // 2. Counting: SQLite statements and transactions, DNS queries, system calls.
  const statsFile = join(dir, 'server-stats.json');
  const countMessages = Math.min(config.profileMessages, 2000);
  note(`counting: ${target.name} with SQLite statements, DNS queries and system calls counted, ${countMessages} messages`);
  await target.restart({ env: { BENCH_SMTP_COUNT_SQL: '1', BENCH_SMTP_STATS: statsFile } });
  await deliverRound(target, corpus, 'count-warmup', 100);
  // The counts before the measured round are taken away: what remains is the round's.
  const before = await snapshotStats(target, statsFile);
  let counted: Round | undefined;
  const syscalls = await countSyscalls(target.pid, async () => {
    counted = await deliverRound(target, corpus, 'count', countMessages);
  });
  const after = await snapshotStats(target, statsFile);
  await target.restart();

  say();
  say(`### Where Mailroom's time goes (checks on, ${config.senders} senders)`);
  say();
  const threads = threadProfiles(files, round.window);
  const main = threads[0];
  if (main) {
    say('```');
    say(formatSummary(main.summary, { top: 25, messages: round.messages }));
    for (const other of threads.slice(1).filter((t) => t.summary.busyMs > 0.05 * t.summary.totalMs)) {
      say('');
      say(`Another thread (${other.file.split('/').pop()}): busy ${fixed(other.summary.busyMs / 1000)} s of ${fixed(other.summary.totalMs / 1000)} s, `
        + `${fixed((1000 * other.summary.busyMs) / round.messages, 0)} µs per message; self time by module:`);
      for (const [k, v] of other.summary.selfByModule.slice(0, 12)) say(`  ${((100 * v) / other.summary.busyMs).toFixed(1).padStart(5)} % ${((1000 * v) / round.messages).toFixed(0).padStart(5)} µs/msg  ${k}`);
    }
    say('```');
    say(`Profile round: ${int(round.messages / round.storedSeconds)} messages/s under the profiler; the server process used ${fixed(round.serverCores, 2)} cores by /proc `
      + `(${fixed((1000 * round.serverCores * round.storedSeconds) / round.messages, 2)} ms of CPU per message, all threads), while others used ${fixed(round.otherCores, 2)}.`);
    say(`CPU profile of the main thread: ${main.file} (open it in Chrome DevTools or speedscope). The sampler counts`
      + ' the thread as busy while it waits in a system call (SQLite\'s writes and fsync run on it) or for a core.');
  } else {
    say('No CPU profile was written.');
  }
  say();
  const perMessage = (n: number) => (n / countMessages).toFixed(2);
  if (before && after && counted) {
    const diff = (a: Record<string, number>, b: Record<string, number>) =>
      Object.entries(b).map(([k, v]) => [k, v - (a[k] ?? 0)] as const).filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1]);
    const byDb = (rows: (readonly [string, number])[]) => {
      const m = new Map<string, number>();
      for (const [k, v] of rows) m.set(k.split('\t')[0]!, (m.get(k.split('\t')[0]!) ?? 0) + v);
      return [...m].map(([db, n]) => `${db} ${perMessage(n)}`).join(', ');
    };
    const runs = diff(before.sql.run, after.sql.run);
    const prepares = diff(before.sql.prepare, after.sql.prepare);
    const transactions = diff(before.sql.transactions, after.sql.transactions);
    const dns = diff(before.dns, after.dns);
    say(`Counted over ${countMessages} messages (${counted.failures} failures), per message:`);
    say();
    say(`- SQLite statements executed on the main thread (worker threads are not counted): ${perMessage(runs.reduce((n, [, v]) => n + v, 0))} (${byDb(runs)})`);
    say(`- statements prepared (compiled): ${prepares.length === 0 ? 'none (all came from a statement cache)' : `${perMessage(prepares.reduce((n, [, v]) => n + v, 0))} (${byDb(prepares)})`}`);
    say(`- top-level transactions (commits): ${perMessage(transactions.reduce((n, [, v]) => n + v, 0))} (${transactions.map(([k, v]) => `${k.replace('\t', ' ')} ${perMessage(v)}`).join(', ')})`);
    say(`- DNS queries: ${perMessage(dns.reduce((n, [, v]) => n + v, 0))} (${dns.slice(0, 8).map(([k, v]) => `${k} ${perMessage(v)}`).join(', ')})`);
    if (syscalls) say(`- system calls of the server process: ${Object.entries(syscalls).map(([k, v]) => `${k} ${perMessage(v)}`).join(', ')}`);
    else say('- system calls: not counted (perf stat with syscall tracepoints is not available here)');
    say();
    say('Most executed statements (per message, database file, SQL, and the Mailroom functions that ran it, innermost first):');
    say();
    say('```');
    for (const [k, v] of diff(before.sql.runBy, after.sql.runBy).slice(0, 30)) {
      const [db, sql, from] = k.split('\t') as [string, string, string];
      say(`${perMessage(v).padStart(6)}  ${db.padEnd(12)} ${sql.length > 110 ? `${sql.slice(0, 107)}...` : sql}`);
      say(`${''.padStart(20)}from ${from || '?'}`);
    }
    say('```');
  } else {
    say('The counting pass wrote no statistics.');
  }
}

/** The server's counters so far (server-preload.mjs writes them to the file on SIGUSR2). */
async function snapshotStats(target: MailroomTarget, statsFile: string): Promise<ServerStats | null> {
  process.kill(target.pid, 'SIGUSR2');
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as ServerStats & { at?: number };
      if (stats.at !== undefined && stats.at > snapshotStats.last) {
        snapshotStats.last = stats.at;
        return stats;
      }
    } catch {
      // not written yet
    }
  }
  return null;
}
snapshotStats.last = 0;

// --- run -----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
  note(`machine: ${machine}; load average ${loadAtStart.map((n) => n.toFixed(2)).join(' ')}`);
  const variants = Math.ceil(200 / config.mailboxes) * config.mailboxes;
  const corpus = await buildCorpus({
    variants, bytes: config.bytes, sign: true,
    recipients: (i) => `Bench User ${(i % config.mailboxes) + 1} <bench${String((i % config.mailboxes) + 1).padStart(2, '0')}@${DOMAIN}>`,
  });
  note(`corpus: ${variants} DKIM-signed messages of about ${corpus.bytes} B`);

  const targets: Target[] = [];
  const skipped: string[] = [];
  let dovecot: DovecotLmtp | undefined;
  const rounds = new Map<Target, Round[]>();
  const verified: string[] = [];
  let lost = false;
  const out: string[] = [];
  const say = (line = '') => out.push(line);
  const t0 = performance.now();
  try {
    const mailroomOptions = { mailboxes: config.mailboxes, senders: config.senders, dns: corpus.dns, logLevel: config.logLevel };
    if (wanted.has('mailroom')) targets.push(await startMailroomTarget({ ...mailroomOptions, checks: true }));
    if (wanted.has('mailroom-nochecks')) targets.push(await startMailroomTarget({ ...mailroomOptions, checks: false }));
    const addresses = (prefix: string) => Array.from({ length: config.mailboxes }, (_, i) => `${prefix}${String(i + 1).padStart(2, '0')}@${DOMAIN}`);
    if (wanted.has('postfix') || wanted.has('lmtp')) {
      if (!dovecotAvailable()) skipped.push('Dovecot is not installed (apt-get install dovecot-lmtpd): no Postfix + Dovecot, no Dovecot LMTP');
      else {
        const postfix = postfixAvailable();
        const usePostfix = wanted.has('postfix') && 'version' in postfix;
        if (wanted.has('postfix') && 'missing' in postfix) skipped.push(postfix.missing);
        dovecot = await startDovecotLmtp([...(usePostfix ? addresses('pf') : []), ...(wanted.has('lmtp') ? addresses('lmtp') : [])]);
        if (usePostfix) targets.push(await startPostfixTarget(dovecot, addresses('pf'), postfix.version));
        if (wanted.has('lmtp')) targets.push(dovecotLmtpTarget(dovecot, addresses('lmtp')));
      }
    }
    for (const s of skipped) note(`not measured: ${s}`);
    note(`servers up after ${fixed((performance.now() - t0) / 1000)} s: ${targets.map((t) => `${t.name} [${t.key}] on ${t.port}`).join(', ')}`);

    for (const t of targets) {
      const r = await deliverRound(t, corpus, 'warmup', config.warmup);
      note(`${t.name} [${t.key}] warm-up: ${describeRound(t, r)}`);
    }
    for (let round = 1; round <= config.rounds; round++) {
      for (const t of targets) {
        const r = await deliverRound(t, corpus, `r${round}`, config.messages);
        note(`${t.name} [${t.key}] round ${round}: ${describeRound(t, r)}`);
        rounds.set(t, [...(rounds.get(t) ?? []), r]);
      }
    }

    // --- report ----------------------------------------------------------------------------
    const load = (xs: number[]) => xs.map((n) => n.toFixed(2)).join(' ');
    say(`Machine: ${machine}. Load average (1, 5, 15 min) at the start ${load(loadAtStart)}, at the end of the rounds ${load(loadavg())}.`);
    say(`Load: ${config.senders} senders, one connection each (PIPELINING), ${int(config.messages)} messages per round of about ${int(corpus.bytes)} bytes `
      + `(DKIM-signed, From/MAIL FROM ${SENDER_DOMAIN}), ${config.recipients} recipient${config.recipients > 1 ? 's' : ''} each, ${config.mailboxes} mailboxes round robin; `
      + `${config.rounds} rounds per server taking turns, after a ${int(config.warmup)}-message warm-up. Latency: MAIL FROM sent → final reply after the data.`);
    say();
    say('| Server | measured | messages/s (median) | per round | p50 ms | p99 ms | failures | server CPU (cores) | server CPU per message | busy after the round | client CPU | other CPU |');
    say('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const rate = new Map<Target, number>();
    for (const t of targets) {
      const rs = rounds.get(t) ?? [];
      if (rs.length === 0) continue;
      const perRound = rs.map((r) => r.messages / r.storedSeconds);
      rate.set(t, median(perRound));
      const sorted = rs.flatMap((r) => r.latencies).sort((a, b) => a - b);
      const accepted = t.storesBeforeReply ? '' : ` (replies: ${int(median(rs.map((r) => r.messages / r.acceptSeconds)))}/s)`;
      say(`| ${t.name} ${t.version} | ${t.config} | ${int(median(perRound))}${accepted} | ${perRound.map(int).join(' / ')} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 99))} | `
        + `${rs.reduce((n, r) => n + r.failures, 0)} | ${fixed(median(rs.map((r) => r.serverCores)), 2)} `
        + `| ${fixed(median(rs.map((r) => (1000 * (r.serverCores * r.storedSeconds + r.afterCpu)) / r.messages)), 2)} ms | ${fixed(median(rs.map((r) => r.afterSeconds)), 1)} s `
        + `| ${fixed(median(rs.map((r) => r.clientCores)), 2)} | ${fixed(median(rs.map((r) => r.otherCores)), 2)} |`);
    }
    say();
    say('Server CPU per message counts the round and the work the server went on doing after its last reply ("busy after the round": '
      + 'until it used under 0.08 cores; Mailroom indexes messages for search in a worker thread behind the deliveries).');
    say();
    const find = (key: string) => targets.find((t) => t.key === key);
    const [m, mOff, pf, lm] = [find('mailroom'), find('mailroom-nochecks'), find('postfix'), find('lmtp')];
    const ratio = (a?: Target, b?: Target) => (a && b && rate.get(a) && rate.get(b) ? (rate.get(a)! / rate.get(b)!).toFixed(2) : undefined);
    for (const [a, b, label] of [
      [m, pf, 'Mailroom (checks on) / Postfix + Dovecot LMTP'], [mOff, pf, 'Mailroom (checks off) / Postfix + Dovecot LMTP'],
      [m, lm, 'Mailroom (checks on) / Dovecot LMTP alone'], [mOff, lm, 'Mailroom (checks off) / Dovecot LMTP alone'],
    ] as const) {
      const r = ratio(a, b);
      if (r) say(`${label}: **${r}**`);
    }
    for (const t of [m, mOff].filter((x): x is Target => x !== undefined)) {
      const r = rate.get(t);
      if (r !== undefined) say(`${t.name} (${t.key === 'mailroom' ? 'checks on' : 'checks off'}): ${int(r)} messages/s against the target of ≥ 1,000 messages/s (DESIGN.md §6): ${r >= 1000 ? 'met' : 'not met'}.`);
    }
    for (const s of skipped) say(`Not measured: ${s}.`);
    for (const t of targets) {
      const problems = t.problems();
      if (problems.length > 0) say(`${t.name} [${t.key}] logged ${problems.length} problem lines, e.g.: ${[...new Set(problems)].slice(0, 3).join(' | ')}`);
    }

    if (values.profile) {
      const target = (m ?? mOff) as MailroomTarget | undefined;
      if (target) await analyse(target, corpus, out);
      else say('\n--profile needs a Mailroom server in --servers.');
    }
  } finally {
    for (const t of targets) await t.stop();
    await dovecot?.stop();
    // Every acknowledged delivery must be in its mailbox exactly once.
    for (const t of targets) {
      const acked = expected.get(t) ?? new Map<string, string[]>();
      try {
        const { byRecipient, notes } = await t.stored();
        let missing = 0;
        let duplicates = 0;
        let unacknowledged = 0;
        let total = 0;
        for (const [rcpt, ids] of acked) {
          const stored = new Map<string, number>();
          for (const id of byRecipient.get(rcpt) ?? []) stored.set(id, (stored.get(id) ?? 0) + 1);
          for (const id of ids) {
            total++;
            const n = stored.get(id) ?? 0;
            if (n === 0) missing++;
            else if (n > 1) duplicates += n - 1;
            stored.delete(id);
          }
          unacknowledged += [...stored.values()].reduce((a, b) => a + b, 0);
        }
        const ok = missing === 0 && duplicates === 0;
        if (!ok) lost = true;
        verified.push(`${t.name} [${t.key}]: ${ok ? `all ${int(total)} acknowledged deliveries are in their mailboxes, each once` : `${missing} of ${int(total)} acknowledged deliveries MISSING, ${duplicates} stored twice`}`
          + `${unacknowledged > 0 ? `; ${unacknowledged} stored without a 250` : ''}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}.`);
      } catch (err) {
        lost = true;
        verified.push(`${t.name} [${t.key}]: could not be verified: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    for (const t of targets) t.cleanup();
    dovecot?.cleanup();
  }
  say();
  say('Verification (every message found by its X-Bench-Id after the servers stopped):');
  for (const v of verified) say(`- ${v}`);
  say();
  say(`Total time ${fixed((performance.now() - t0) / 1000, 0)} s.`);
  console.log(out.join('\n'));
  if (lost) process.exitCode = 1;
}

await main();
