// Large mailboxes (issue 15): one INBOX of 1,000 / 10,000 / 100,000 messages on Mailroom and on
// Dovecot in the same run, the commands a client sends to a big folder timed over IMAP, with the
// memory a session adds, the disk the mail and its indexes take, and the APPEND fill rate of
// one client pipelining with LITERAL+.
//
//   node --import tsx bench/imap/large.ts [--sizes 1000,10000,100000] [--servers mailroom,dovecot]
//        [--reps 5] [--append 2000] [--commands select,fetch-all,...] [--json out.json]
//
// Each size gets fresh servers seeded with the same bytes (the store API for Mailroom, maildirs
// for Dovecot; see targets.ts). Each command runs once on each server as a warm-up, then `reps`
// times taking turns, and the median is reported. Answers to SEARCH, SORT and THREAD are
// compared between the servers. To profile Mailroom, give BENCH_MAILROOM_NODE_OPTIONS, e.g.
// "--cpu-prof --cpu-prof-dir=/tmp/prof", with --commands to keep the profile to a few commands.
import { createHash } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ImapClient, type Reply } from './client.ts';
import { LARGE_PASSWORD as PASSWORD, LARGE_USER as USER, largeCorpus } from './large-corpus.ts';
import { treeMemory } from './procfs.ts';
import { dovecotAvailable, startDovecotTarget, startMailroomTarget, type Target } from './targets.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    servers: { type: 'string', default: 'mailroom,dovecot' },
    reps: { type: 'string', default: '5' },
    append: { type: 'string', default: '2000' },
    commands: { type: 'string' },
    json: { type: 'string' },
  },
});

const sizes = values.sizes!.split(',').map(Number).filter((n) => n > 0);
const reps = Number(values.reps);
const appendCount = Number(values.append);
const wanted = values.servers!.split(',');
const useDovecot = wanted.includes('dovecot') && dovecotAvailable() !== null;
const useMailroom = wanted.includes('mailroom');
const STORE_MESSAGES = 27_000;

// ── Measuring ────────────────────────────────────────────────────────────────────────────────

interface Command {
  id: string;
  label: string;
  line: (ctx: { modseq: number; count: number }) => string;
  /** Compare the answers of both servers (SEARCH, SORT, THREAD). */
  compare?: boolean;
  /** Runs before each timed run, untimed (the STORE measure puts the flags back). */
  before?: (ctx: { modseq: number; count: number }) => string;
}

let threadRuns = 0;
const storeRange = (count: number) => `1:${Math.min(count, STORE_MESSAGES)}`;

const COMMANDS: Command[] = [
  { id: 'select', label: 'SELECT INBOX', line: () => 'SELECT INBOX' },
  { id: 'fetch-all', label: 'FETCH 1:* (UID FLAGS)', line: () => 'FETCH 1:* (UID FLAGS)' },
  { id: 'changedsince', label: 'UID FETCH 1:* (FLAGS) (CHANGEDSINCE highest−1)', line: ({ modseq }) => `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq - 1})` },
  { id: 'sort-arrival', label: 'UID SORT (ARRIVAL)', line: () => 'UID SORT (ARRIVAL) US-ASCII ALL', compare: true },
  { id: 'sort-date', label: 'UID SORT (DATE)', line: () => 'UID SORT (DATE) US-ASCII ALL', compare: true },
  { id: 'sort-subject', label: 'UID SORT (SUBJECT)', line: () => 'UID SORT (SUBJECT) US-ASCII ALL', compare: true },
  { id: 'sort-from', label: 'UID SORT (FROM)', line: () => 'UID SORT (FROM) US-ASCII ALL', compare: true },
  { id: 'sort-size', label: 'UID SORT (SIZE)', line: () => 'UID SORT (SIZE) US-ASCII ALL', compare: true },
  { id: 'thread', label: 'UID THREAD REFERENCES', line: () => 'UID THREAD REFERENCES US-ASCII ALL', compare: true },
  // Another set of messages each time (one left out), so that no answer kept from an earlier
  // THREAD can be used: the cost of the first THREAD after the folder changed.
  { id: 'thread-changed', label: 'UID THREAD REFERENCES, a new set each time', line: ({ count }) => `UID THREAD REFERENCES US-ASCII NOT UID ${count - (threadRuns++ % 50)}` },
  { id: 'search-body-rare', label: 'UID SEARCH BODY (a word in no message)', line: () => 'UID SEARCH BODY zyzzyva', compare: true },
  { id: 'search-body-common', label: 'UID SEARCH BODY budget (a word in most messages)', line: () => 'UID SEARCH BODY budget', compare: true },
  { id: 'search-unseen', label: 'UID SEARCH UNSEEN', line: () => 'UID SEARCH UNSEEN', compare: true },
  { id: 'search-flagged', label: 'UID SEARCH FLAGGED', line: () => 'UID SEARCH FLAGGED', compare: true },
  { id: 'search-since', label: 'UID SEARCH SINCE 21-Nov-2026', line: () => 'UID SEARCH SINCE 21-Nov-2026', compare: true },
  { id: 'fetch-newest', label: 'UID FETCH newest 100 (ENVELOPE BODYSTRUCTURE RFC822.SIZE)', line: ({ count }) => `FETCH ${Math.max(1, count - 99)}:* (UID ENVELOPE BODYSTRUCTURE RFC822.SIZE)` },
  {
    id: 'store', label: `UID STORE +FLAGS.SILENT (\\Seen) on ${STORE_MESSAGES.toLocaleString('en')} (or all)`,
    before: ({ count }) => `UID STORE ${storeRange(count)} -FLAGS.SILENT (\\Seen)`,
    line: ({ count }) => `UID STORE ${storeRange(count)} +FLAGS.SILENT (\\Seen)`,
  },
];

const selected = values.commands ? COMMANDS.filter((c) => values.commands!.split(',').includes(c.id)) : COMMANDS;

interface Session {
  target: Target;
  client: ImapClient;
  modseq: number;
  count: number;
}

async function open(target: Target): Promise<Session> {
  const client = await ImapClient.connect({ port: target.plainPort, tls: false, timeoutMs: 60_000 });
  await client.ok(`LOGIN ${USER} ${PASSWORD}`);
  await client.ok('ENABLE CONDSTORE');
  const session: Session = { target, client, modseq: 0, count: 0 };
  await reselect(session);
  return session;
}

async function reselect(session: Session): Promise<Reply> {
  const reply = await session.client.ok('SELECT INBOX', { timeoutMs: 0 });
  for (const u of reply.untagged) {
    const exists = /^(\d+) EXISTS$/.exec(u);
    if (exists) session.count = Number(exists[1]);
    const modseq = /HIGHESTMODSEQ (\d+)/.exec(u);
    if (modseq) session.modseq = Number(modseq[1]);
  }
  return reply;
}

async function timed(session: Session, line: string): Promise<{ ms: number; reply: Reply }> {
  const start = performance.now();
  const reply = await session.client.ok(line, { timeoutMs: 0 });
  return { ms: reply.at - start, reply };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const digest = (reply: Reply) => createHash('sha256').update(reply.untagged.filter((u) => /^(SEARCH|SORT|THREAD|ESEARCH)/.test(u)).join('\n')).digest('hex').slice(0, 12);

/** Bytes under a folder, split by what they hold. */
function diskUsage(root: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const size = statSync(path).size;
        const kind = /\/blobs\//.test(path) ? 'mail (blob files)'
          : /mailbox\.db/.test(entry.name) ? 'mailbox.db (+wal)'
          : /index\.db/.test(entry.name) ? 'index.db (+wal)'
          : /\/Maildir\/(cur|new)\//.test(path) ? 'mail (maildir files)'
          : /dovecot/.test(entry.name) && /Maildir/.test(path) ? 'dovecot indexes'
          : 'other';
        out[kind] = (out[kind] ?? 0) + size;
      }
    }
  };
  walk(root);
  return out;
}

/** One client, APPENDs pipelined with LITERAL+ (at most 64 unanswered): messages per second. */
async function appendRate(target: Target, messages: Buffer[]): Promise<number> {
  const client = await ImapClient.connect({ port: target.plainPort, tls: false });
  await client.ok(`LOGIN ${USER} ${PASSWORD}`);
  await client.ok('CREATE Fill');
  const socket = connect({ host: '127.0.0.1', port: target.plainPort });
  socket.setNoDelay(true);
  let text = '';
  let oks = 0;
  let failures = 0;
  let loggedIn = false;
  let wake: (() => void) | null = null;
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
    let end: number;
    while ((end = text.indexOf('\r\n')) >= 0) {
      const line = text.slice(0, end);
      text = text.slice(end + 2);
      if (/^p\d+ OK/.test(line)) oks++;
      else if (/^p\d+ (NO|BAD)/.test(line)) (failures++, oks++);
      else if (line.startsWith('l OK')) loggedIn = true;
    }
    wake?.();
  });
  const waitFor = (check: () => boolean) => new Promise<void>((res) => {
    const test = () => (check() ? ((wake = null), res()) : undefined);
    wake = test;
    test();
  });
  socket.write(`l LOGIN ${USER} ${PASSWORD}\r\n`);
  await waitFor(() => loggedIn);
  const start = performance.now();
  for (const [i, raw] of messages.entries()) {
    while (i - oks >= 64) await waitFor(() => i - oks < 64);
    socket.write(`p${i} APPEND Fill {${raw.length}+}\r\n`);
    socket.write(raw);
    socket.write('\r\n');
  }
  await waitFor(() => oks >= messages.length);
  const seconds = (performance.now() - start) / 1000;
  socket.destroy();
  await client.ok('DELETE Fill', { timeoutMs: 0 });
  await client.logout();
  if (failures > 0) console.error(`${target.name}: ${failures} APPENDs refused`);
  return messages.length / seconds;
}

interface SizeResult {
  size: number;
  mailBytes: number;
  rows: { id: string; label: string; ms: Record<string, number>; same?: boolean }[];
  memory: Record<string, { selectKb: number; sortKb: number }>;
  disk: Record<string, Record<string, number>>;
  appendRate: Record<string, number>;
  seedSeconds: Record<string, number>;
}

async function runSize(size: number): Promise<SizeResult> {
  const user = largeCorpus(size);
  const mailBytes = user.messages.reduce((n, m) => n + m.length, 0);
  console.log(`\n${size.toLocaleString('en')} messages, ${(mailBytes / 1e6).toFixed(1)} MB of mail`);
  const targets: Target[] = [];
  const seedSeconds: Record<string, number> = {};
  const options = { users: [user], idleUsers: [], maxConnections: 50, seedConcurrency: 256 };
  if (useMailroom) {
    const t0 = performance.now();
    targets.push(await startMailroomTarget(options));
    seedSeconds.Mailroom = (performance.now() - t0) / 1000;
  }
  if (useDovecot) {
    const t0 = performance.now();
    targets.push(await startDovecotTarget(options));
    seedSeconds.Dovecot = (performance.now() - t0) / 1000;
  }
  const result: SizeResult = { size, mailBytes, rows: [], memory: {}, disk: {}, appendRate: {}, seedSeconds };
  try {
    const sessions: Session[] = [];
    for (const target of targets) {
      const t0 = performance.now();
      const session = await open(target);
      // Mailroom indexes the text in the background after a start, Dovecot builds its index at
      // the first SELECT: a text search waits for both, so the timings below see neither.
      // (A search that waited too long for the index is answered NO; it is asked again.)
      for (let tries = 0; (await session.client.command('UID SEARCH BODY zyzzyva', { timeoutMs: 0 })).status !== 'OK'; tries++) {
        if (tries > 200) throw new Error(`${target.name}: the text index never caught up`);
        await new Promise((r) => setTimeout(r, 2000));
      }
      console.log(`  ${target.name}: ready in ${((performance.now() - t0) / 1000).toFixed(1)} s after the start (index built)`);
      sessions.push(session);
    }
    for (const command of selected) {
      const times = new Map<Session, number[]>(sessions.map((s) => [s, []]));
      const digests = new Map<Session, string>();
      for (let round = 0; round <= reps; round++) {
        for (const s of sessions) {
          if (command.before) await s.client.ok(command.before(s), { timeoutMs: 0 });
          const { ms, reply } = await timed(s, command.line(s));
          if (command.id === 'select') await reselect(s);
          if (round === 0) digests.set(s, digest(reply));
          else times.get(s)!.push(ms);
        }
      }
      const ms = Object.fromEntries(sessions.map((s) => [s.target.name, median(times.get(s)!)]));
      const same = command.compare && sessions.length > 1 ? new Set(digests.values()).size === 1 : undefined;
      result.rows.push({ id: command.id, label: command.label, ms, ...(same === undefined ? {} : { same }) });
      console.log(`  ${command.label.padEnd(62)} ${sessions.map((s) => `${s.target.name} ${ms[s.target.name]!.toFixed(1)} ms`).join('  ')}${same === false ? '  (answers differ)' : ''}`);
    }
    for (const s of sessions) await s.client.logout();
    // Memory on a fresh server: the tree's resident set after LOGIN, after SELECT, after a SORT.
    for (const target of targets) {
      await target.restart();
      const client = await ImapClient.connect({ port: target.plainPort, tls: false });
      await client.ok(`LOGIN ${USER} ${PASSWORD}`);
      await new Promise((r) => setTimeout(r, 300));
      const base = treeMemory(target.pid).rssKb;
      await client.ok('SELECT INBOX', { timeoutMs: 0 });
      await new Promise((r) => setTimeout(r, 300));
      const afterSelect = treeMemory(target.pid).rssKb;
      await client.ok('UID SORT (SUBJECT) US-ASCII ALL', { timeoutMs: 0 });
      await new Promise((r) => setTimeout(r, 300));
      const afterSort = treeMemory(target.pid).rssKb;
      result.memory[target.name] = { selectKb: afterSelect - base, sortKb: afterSort - base };
      console.log(`  ${target.name}: RSS +${((afterSelect - base) / 1024).toFixed(1)} MB with INBOX selected, +${((afterSort - base) / 1024).toFixed(1)} MB after UID SORT (SUBJECT)`);
      await client.logout();
    }
    for (const target of targets) {
      result.disk[target.name] = diskUsage(target.dataDir);
      console.log(`  ${target.name} disk: ${Object.entries(result.disk[target.name]!).map(([k, v]) => `${k} ${(v / 1e6).toFixed(1)} MB`).join(', ')}`);
    }
    if (appendCount > 0) {
      const fill = largeCorpus(appendCount).messages;
      for (const target of targets) {
        result.appendRate[target.name] = await appendRate(target, fill);
        console.log(`  ${target.name}: APPEND ${appendCount} messages, one client with LITERAL+: ${result.appendRate[target.name]!.toFixed(0)} messages/s`);
      }
    }
  } finally {
    for (const target of targets) await target.stop();
  }
  return result;
}

const results: SizeResult[] = [];
console.log(`Large mailboxes: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; reps ${reps}`);
for (const size of sizes) results.push(await runSize(size));
console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

// The table for docs/benchmarks.md: ms Mailroom / Dovecot per size.
const fmt = (n: number | undefined) => (n === undefined ? '–' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
console.log(`\n| Command | ${results.map((r) => r.size.toLocaleString('en')).join(' | ')} |`);
console.log(`|---|${results.map(() => '---').join('|')}|`);
for (const row of results[0]?.rows ?? []) {
  const cells = results.map((r) => {
    const x = r.rows.find((y) => y.id === row.id)!;
    return `${fmt(x.ms.Mailroom)} / ${fmt(x.ms.Dovecot)}${x.same === false ? ' ≠' : ''}`;
  });
  console.log(`| ${row.label} | ${cells.join(' | ')} |`);
}
if (values.json) writeFileSync(values.json, JSON.stringify({ load: loadavg(), results }, null, 2));
