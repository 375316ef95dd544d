// IMAP4, Mailroom against Dovecot in the same run, for the four IMAP rows of DESIGN.md §6:
//   1. mixed workload (50 clients, SELECT/FETCH/STORE/SEARCH/APPEND/EXPUNGE): commands/s
//   2. logons per second over TLS (993): many short LOGIN+LOGOUT sessions in parallel
//   3. memory per idle connection in IDLE (2,000 and 10,000 connections): PSS and RSS
//   4. delivery → IDLE push latency (an APPEND to each of 1,000 mailboxes): p50/p99
// mailroom is `mailroom start --single-process`; mailroom-proxied is `mailroom start` as admins
// run it, a front-end process proxying to a back-end process over the back end's local link
// (the cost of the proxy, DESIGN.md §6's last row); mailroom-proxied-tls the same over the proxy
// port with TLS, as between servers. Their sections compare them with the one-process server.
// Both servers are seeded once with the same messages; each measure runs on one server, then
// the other (round by round where there are rounds; the logons server by server, while the
// first logons' verifications are cached). The idle measures and the logons start on freshly
// restarted servers.
//
//   node --import tsx bench/imap/run.ts [--quick] [--servers mailroom,mailroom-proxied,mailroom-proxied-tls,dovecot]
//        [--measures idle,push,mixed,logins] [--clients 50] [--rounds 3] [--seconds 12]
//        [--login-seconds 5] [--login-concurrency 20] [--idle 2000,10000] [--idle-tls 2000]
//        [--idle-users 1000] [--idle-messages 10] [--messages 200] [--message-bytes 6000]
//
// --quick is a smoke run of about a minute and a half: small mailboxes, short measures, a few
// hundred idle connections.
//
// Linux only (memory and CPU come from /proc). Dovecot's IDLE watches the maildir with one
// inotify instance per imap process, all under one uid here, so fs.inotify.max_user_instances
// (128 by default) must exceed the idle connections, or Dovecot falls back to a 30 s poll; the
// run says so when it is too low:  sysctl -w fs.inotify.max_user_instances=20000
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { imapCorpus, type ImapUser } from './corpus.ts';
import { fdHeadroom } from './procfs.ts';
import { dovecotAvailable, inotifyInstanceLimit, startDovecotTarget, startMailroomTarget, type Target } from './targets.ts';
import {
  firstLogons, idleConnections, loginRate, mixedWorkload, note, percentile, searchCounts,
  type CpuShare, type IdleResult, type LoginResult, type MixedResult,
} from './workloads.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    servers: { type: 'string', default: 'mailroom,dovecot' },
    measures: { type: 'string', default: 'idle,push,mixed,logins' },
    clients: { type: 'string' },
    seconds: { type: 'string' },
    'warmup-seconds': { type: 'string' },
    rounds: { type: 'string' },
    'login-seconds': { type: 'string' },
    'login-concurrency': { type: 'string' },
    messages: { type: 'string' },
    'message-bytes': { type: 'string' },
    idle: { type: 'string' },
    'idle-tls': { type: 'string' },
    'idle-users': { type: 'string' },
    'idle-messages': { type: 'string' },
  },
});

const quick = values.quick!;
/** A number option, with its full-run and --quick defaults. */
const num = (name: keyof typeof values, full: number, short: number) => (values[name] !== undefined ? Number(values[name]) : quick ? short : full);
const list = (name: keyof typeof values, full: string, short: string) =>
  String(values[name] ?? (quick ? short : full)).split(',').filter(Boolean).map(Number).filter((n) => n > 0);

const config = {
  clients: num('clients', 50, 50),
  /** Per round; the servers take turns, so a burst of other load on the machine hits both. */
  seconds: num('seconds', 12, 5),
  rounds: num('rounds', 3, 1),
  warmupSeconds: num('warmup-seconds', 3, 1),
  loginSeconds: num('login-seconds', 5, 3),
  loginConcurrency: num('login-concurrency', 20, 20),
  messages: num('messages', 200, 20),
  messageBytes: num('message-bytes', 6000, 6000),
  idleStages: list('idle', '2000,10000', '150'),
  idleTlsStages: list('idle-tls', '2000', '40'),
  idleUsers: num('idle-users', 1000, 50),
  idleMessages: num('idle-messages', 10, 5),
};
const measures = new Set(values.measures!.split(','));

// --- formatting ------------------------------------------------------------------------------

/** The Mailroom targets with a front-end process proxying to a back-end process. */
const proxiedTargets = (targets: Target[]) => targets.filter((t) => t.name.startsWith('Mailroom proxied'));
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b !== 0 ? (a / b).toFixed(2) : '–');
const ms = (n: number) => (Number.isFinite(n) ? (Math.abs(n) < 10 ? n.toFixed(1) : int(n)) : '–');

/** CPU shares of several rounds, weighted by their length. */
function mergeCpu(parts: { seconds: number; cpu: CpuShare }[]): CpuShare {
  const seconds = parts.reduce((n, p) => n + p.seconds, 0);
  const avg = (key: 'serverCores' | 'clientCores' | 'otherCores') => parts.reduce((n, p) => n + p.cpu[key] * p.seconds, 0) / seconds;
  return { seconds, serverCores: avg('serverCores'), clientCores: avg('clientCores'), otherCores: avg('otherCores') };
}

/** The rounds of one server as one measurement: totals over the total time. */
function mergeMixed(rounds: MixedResult[]): MixedResult {
  const byCommand: MixedResult['byCommand'] = {};
  for (const r of rounds) {
    for (const [label, s] of Object.entries(r.byCommand)) {
      const t = (byCommand[label] ??= { count: 0, totalMs: 0 });
      t.count += s.count;
      t.totalMs += s.totalMs;
    }
  }
  return {
    seconds: rounds.reduce((n, r) => n + r.seconds, 0),
    commands: rounds.reduce((n, r) => n + r.commands, 0),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    bodyBytes: rounds.reduce((n, r) => n + r.bodyBytes, 0),
    latencies: rounds.flatMap((r) => r.latencies),
    byCommand,
    cpu: mergeCpu(rounds),
  };
}

function mergeLogins(rounds: LoginResult[]): LoginResult {
  return {
    seconds: rounds.reduce((n, r) => n + r.seconds, 0),
    logins: rounds.reduce((n, r) => n + r.logins, 0),
    failures: rounds.reduce((n, r) => n + r.failures, 0),
    latencies: rounds.flatMap((r) => r.latencies),
    cpu: mergeCpu(rounds),
  };
}

// --- run -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const wanted = values.servers!.split(',');
  const users: ImapUser[] = imapCorpus({ prefix: 'user', users: config.clients, messages: config.messages, bytes: config.messageBytes, password: (u) => `Bench-Pass-${u + 1}-2026` });
  const idleUsers: ImapUser[] = imapCorpus({ prefix: 'idle', users: config.idleUsers, messages: config.idleMessages, bytes: 1500, password: () => 'Idle-Pass-2026' });
  const maxConnections = Math.max(...config.idleStages, ...config.idleTlsStages, 100) + 100;
  const loadAtStart = loadavg();
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;
  note(`machine: ${machine}; load average before start: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`);
  note(`corpus: ${users.length} users × ${config.messages} messages of ${config.messageBytes} B; ${idleUsers.length} idle users × ${config.idleMessages} messages of 1500 B`);
  const inotify = inotifyInstanceLimit();
  if (wanted.includes('dovecot') && inotify !== null && inotify < maxConnections) {
    note(`note: fs.inotify.max_user_instances is ${inotify}; Dovecot's IDLE needs one per imap process of the mail user, so past that many`
      + ` it falls back to polling (mailbox_idle_check_interval, 30 s). Raise it for the run: sysctl -w fs.inotify.max_user_instances=${maxConnections + 1000}`);
  }

  const targets: Target[] = [];
  const mixedRounds = new Map<Target, MixedResult[]>();
  const loginRounds = new Map<Target, LoginResult[]>();
  const firstLogins = new Map<Target, LoginResult>();
  const idle = new Map<Target, IdleResult[]>();
  const searches = new Map<Target, string>();
  const t0 = performance.now();
  try {
    const targetOptions = { users, idleUsers, maxConnections };
    if (wanted.includes('mailroom')) targets.push(await startMailroomTarget(targetOptions));
    // The same server as a front-end process and a back-end process: what the proxy costs.
    if (wanted.includes('mailroom-proxied')) targets.push(await startMailroomTarget(targetOptions, 'proxied'));
    // The same, the front end reaching the back end over TLS, as between servers.
    if (wanted.includes('mailroom-proxied-tls')) targets.push(await startMailroomTarget(targetOptions, 'proxied-tls'));
    if (wanted.includes('dovecot')) {
      if (dovecotAvailable()) targets.push(await startDovecotTarget(targetOptions));
      else note('dovecot is not installed: apt-get install dovecot-imapd');
    }
    note(`servers up after ${fixed((performance.now() - t0) / 1000)} s`);

    // Both servers must answer the workload's searches alike, or the comparison is void.
    for (const t of targets) searches.set(t, await searchCounts(t, users[0]!).catch((err: Error) => Promise.reject(new Error(`${t.name}: ${err.message}`))));
    for (const t of targets) note(`${t.name}: ${users[0]!.name} SEARCH ${searches.get(t)}`);

    // 3 and 4: idle connections (and the push test on the first stage), each transport on
    // freshly started servers.
    if (measures.has('idle') || measures.has('push')) {
      const transports = [false, ...(measures.has('idle') && config.idleTlsStages.length > 0 ? [true] : [])];
      for (const t of targets) {
        const results: IdleResult[] = [];
        for (const tls of transports) {
          await t.restart();
          results.push(await idleConnections(t, idleUsers, {
            stages: tls ? config.idleTlsStages : config.idleStages, tls, push: !tls && measures.has('push'), openConcurrency: 50, pushTimeoutMs: 40_000,
          }));
        }
        idle.set(t, results);
      }
    }
    // 2: logons, on freshly started servers, so the first logon of each user is uncached; then,
    // at once and server by server, rounds of repeated logons while those first verifications
    // are still cached (a minute): what they measure is the logon path (TLS, the protocol, the
    // hand-off to the back end), not the password hash. Taking turns between servers would let
    // one server's cache expire while the others run their first logons.
    if (measures.has('logins')) {
      for (const t of targets) {
        await t.restart();
        const r = await firstLogons(t, users, { concurrency: config.loginConcurrency });
        note(`${t.name}: first logons: ${int(r.logins / r.seconds)} logons/s`);
        firstLogins.set(t, r);
        await loginRate(t, users, { concurrency: config.loginConcurrency, seconds: config.warmupSeconds });
        for (let round = 0; round < config.rounds; round++) {
          const rr = await loginRate(t, users, { concurrency: config.loginConcurrency, seconds: config.loginSeconds });
          note(`${t.name}: TLS logons round ${round + 1}: ${int(rr.logins / rr.seconds)} logons/s`);
          loginRounds.set(t, [...(loginRounds.get(t) ?? []), rr]);
        }
      }
    }
    // 1: the mixed workload; the servers take turns round by round.
    if (measures.has('mixed')) {
      for (const t of targets) await mixedWorkload(t, users, { clients: config.clients, seconds: config.warmupSeconds, seed: 1 });
      for (let round = 0; round < config.rounds; round++) {
        for (const t of targets) {
          const r = await mixedWorkload(t, users, { clients: config.clients, seconds: config.seconds, seed: 2 + round });
          note(`${t.name}: mixed workload round ${round + 1}: ${int(r.commands / r.seconds)} commands/s`);
          mixedRounds.set(t, [...(mixedRounds.get(t) ?? []), r]);
        }
      }
    }
    for (const t of targets) {
      const problems = t.problems();
      if (problems.length > 0) note(`${t.name} logged ${problems.length} problem lines, e.g.:\n  ${[...new Set(problems.map((p) => p.replace(/^.*?: /, '')))].slice(0, 8).join('\n  ')}`);
    }
  } finally {
    for (const t of targets) await t.stop();
  }

  // --- report --------------------------------------------------------------------------------
  const [m, d] = [targets.find((t) => t.name === 'Mailroom'), targets.find((t) => t.name === 'Dovecot')];
  const out: string[] = [];
  const say = (line = '') => out.push(line);
  const load = (xs: number[]) => xs.map((n) => n.toFixed(2)).join(' ');
  say(`Machine: ${machine}. Load average (1, 5, 15 min) at the start ${load(loadAtStart)}, at the end ${load(loadavg())}: other processes share the machine (see "other CPU").`);
  say(`Servers: ${targets.map((t) => `${t.name} ${t.version}`).join('; ')}. Total time ${fixed((performance.now() - t0) / 1000, 0)} s.`);
  say(`Same answers: ${targets.map((t) => `${t.name} ${searches.get(t)}`).join('; ')}.`);

  const mixed = new Map([...mixedRounds].map(([t, rs]) => [t, mergeMixed(rs)] as const));
  const logins = new Map([...loginRounds].map(([t, rs]) => [t, mergeLogins(rs)] as const));
  const perRound = (rates: number[]) => rates.map(int).join(' / ');
  if (mixed.size > 0) {
    say();
    say(`### 1. Mixed workload (${config.clients} clients; ${config.rounds} rounds of ${config.seconds} s per server, taking turns, after ${config.warmupSeconds} s warm-up)`);
    say();
    say('| Server | commands/s | per round | p50 ms | p99 ms | errors | server CPU (cores) | client CPU | other CPU |');
    say('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [t, r] of mixed) {
      const sorted = [...r.latencies].sort((a, b) => a - b);
      const rounds = mixedRounds.get(t)!.map((x) => x.commands / x.seconds);
      say(`| ${t.name} | ${int(r.commands / r.seconds)} | ${perRound(rounds)} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 99))} | ${r.errors} | ${fixed(r.cpu.serverCores, 2)} | ${fixed(r.cpu.clientCores, 2)} | ${fixed(r.cpu.otherCores, 2)} |`);
    }
    const [rm, rd] = [m && mixed.get(m), d && mixed.get(d)];
    if (rm && rd) say(`\nMailroom / Dovecot: **${ratio(rm.commands / rm.seconds, rd.commands / rd.seconds)}** (target ≥ 1.00)`);
    for (const p of proxiedTargets(targets)) {
      const rp = mixed.get(p);
      if (!rm || !rp) continue;
      const median = (r: MixedResult) => percentile([...r.latencies].sort((a, b) => a - b), 50);
      say(`\n${p.name}: ${ms(median(rp) - median(rm))} ms added per command at the median (target < 1 ms); commands/s proxied / one process: ${ratio(rp.commands / rp.seconds, rm.commands / rm.seconds)}`);
    }
    say();
    say('Mean latency by command (ms):');
    say();
    say(`| Command | ${[...mixed.keys()].map((t) => t.name).join(' | ')} | share |`);
    say(`|---|${[...mixed.keys()].map(() => '---:').join('|')}|---:|`);
    const first = [...mixed.values()][0]!;
    for (const label of Object.keys(first.byCommand)) {
      const share = first.byCommand[label]!.count / first.commands;
      say(`| ${label} | ${[...mixed.values()].map((r) => { const s = r.byCommand[label]; return s ? ms(s.totalMs / s.count) : '–'; }).join(' | ')} | ${(share * 100).toFixed(0)} % |`);
    }
  }

  if (logins.size > 0) {
    say();
    say(`### 2. Logons over TLS (repeated logons of ${users.length} users, ${config.loginConcurrency} at once; ${config.rounds} rounds of ${config.loginSeconds} s per server right after its first logons, while their verifications are cached, after ${config.warmupSeconds} s warm-up)`);
    say();
    say('| Server | logons/s | per round | p50 ms | p99 ms | failures | server CPU (cores) | client CPU | other CPU |');
    say('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [t, r] of logins) {
      const sorted = [...r.latencies].sort((a, b) => a - b);
      const rounds = loginRounds.get(t)!.map((x) => x.logins / x.seconds);
      say(`| ${t.name} | ${int(r.logins / r.seconds)} | ${perRound(rounds)} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 99))} | ${r.failures} | ${fixed(r.cpu.serverCores, 2)} | ${fixed(r.cpu.clientCores, 2)} | ${fixed(r.cpu.otherCores, 2)} |`);
    }
    const [lm, ld] = [m && logins.get(m), d && logins.get(d)];
    if (lm && ld) say(`\nRepeated logons, Mailroom / Dovecot: **${ratio(lm.logins / lm.seconds, ld.logins / ld.seconds)}** (target ≥ 1.00)`);
    say();
    say(`First logon of each of the ${users.length} users after a restart (${config.loginConcurrency} at once; nothing cached):`);
    say();
    say('| Server | logons/s | p50 ms | p99 ms | failures | server CPU (cores) |');
    say('|---|---:|---:|---:|---:|---:|');
    for (const [t, r] of firstLogins) {
      const sorted = [...r.latencies].sort((a, b) => a - b);
      say(`| ${t.name} | ${int(r.logins / r.seconds)} | ${ms(percentile(sorted, 50))} | ${ms(percentile(sorted, 99))} | ${r.failures} | ${fixed(r.cpu.serverCores, 2)} |`);
    }
    const [fm, fd] = [m && firstLogins.get(m), d && firstLogins.get(d)];
    if (fm && fd) say(`\nFirst logons, Mailroom / Dovecot: **${ratio(fm.logins / fm.seconds, fd.logins / fd.seconds)}**`);
    for (const p of proxiedTargets(targets)) {
      const lp = logins.get(p);
      if (!lm || !lp) continue;
      const median = (r: LoginResult) => percentile([...r.latencies].sort((a, b) => a - b), 50);
      say(`\n${p.name}: ${ms(median(lp) - median(lm))} ms added per TLS logon at the median (target < 5 ms)`);
    }
  }

  if (measures.has('idle') && idle.size > 0) {
    say();
    say('### 3. Memory per connection in IDLE');
    say();
    say('| Transport | Connections | Server | PSS KB/conn | RSS KB/conn | PSS before → after (MB) | processes after | opened/s |');
    say('|---|---:|---|---:|---:|---:|---:|---:|');
    for (const [t, results] of idle) {
      for (const r of results) {
        for (const s of r.stages) {
          say(`| ${r.tls ? 'TLS (993)' : 'plain (143)'} | ${int(s.connections)} | ${t.name} | ${fixed(s.pssKbPerConnection)} | ${fixed(s.rssKbPerConnection)} | ${int(s.before.pssKb / 1024)} → ${int(s.after.pssKb / 1024)} | ${int(s.after.processes)} | ${int(s.openRate)} |`);
        }
        for (const why of r.skipped) say(`| ${r.tls ? 'TLS (993)' : 'plain (143)'} | | ${t.name} | not measured: ${why} | | | | |`);
      }
    }
    const stagesOf = (t: Target | undefined) => (t ? (idle.get(t) ?? []).flatMap((r) => r.stages.map((s) => ({ tls: r.tls, ...s }))) : []);
    for (const mine of [m, ...proxiedTargets(targets)]) {
      for (const sm of stagesOf(mine)) {
        const sd = stagesOf(d).find((x) => x.tls === sm.tls && x.connections === sm.connections);
        if (sd) say(`\n${sm.tls ? 'TLS' : 'plain'}, ${int(sm.connections)}: ${mine!.name} / Dovecot (PSS) = **${ratio(sm.pssKbPerConnection, sd.pssKbPerConnection)}** (target ≤ 0.10)`);
      }
    }
  }

  const pushes = [...idle].filter(([, rs]) => rs[0]?.push).map(([t, rs]) => [t, rs[0]!.push!] as const);
  if (pushes.length > 0) {
    say();
    say('### 4. Delivery → IDLE push latency');
    say();
    say('| Server | mailboxes (deliveries) | idlers | pushes received | from | p50 ms | p90 ms | p99 ms | max ms |');
    say('|---|---:|---:|---:|---|---:|---:|---:|---:|');
    for (const [t, p] of pushes) {
      for (const [from, xs] of [['APPEND tagged OK', p.latencies], ['APPEND sent', p.fromSend]] as const) {
        say(`| ${t.name} | ${int(p.deliveries)} | ${int(p.idlers)} | ${int(p.received)} | ${from} | ${ms(percentile(xs, 50))} | ${ms(percentile(xs, 90))} | ${ms(percentile(xs, 99))} | ${ms(xs[xs.length - 1] ?? NaN)} |`);
      }
    }
    say('\nTarget: Mailroom p99 < 50 ms. A negative figure means the push reached the idler before the APPEND\'s OK reached the deliverer.');
  }
  console.log(out.join('\n'));
  note(`client descriptors left at the end: ${fdHeadroom()}`);
}

await main();
