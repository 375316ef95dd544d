// Large mailboxes (issue 15): one INBOX of 1,000 / 10,000 / 100,000 messages on Mailroom and on
// Dovecot in the same run, the commands a client sends to a big folder timed over IMAP, with the
// memory a session adds, the disk the mail and its indexes take, and the APPEND fill rate of
// one client pipelining with LITERAL+.
//
//   node --import tsx bench/imap/large.ts [--sizes 1000,10000,100000] [--folders 1] [--servers mailroom,dovecot]
//        [--reps 5] [--append 2000] [--commands select,fetch-all,...] [--json out.json]
//
// Each size gets fresh servers seeded with the same bytes (the store API for Mailroom, maildirs
// for Dovecot; see targets.ts). Each command runs once on each server as a warm-up, then `reps`
// times taking turns, and the median is reported, with the server's CPU per command (its
// whole process tree, the mean over the timed runs): what the server spent, apart from the
// client's own parsing, which both servers' times include. Answers to SEARCH, SORT, THREAD and STATUS are
// compared between the servers. To profile Mailroom, give BENCH_MAILROOM_NODE_OPTIONS, e.g.
// "--cpu-prof --cpu-prof-dir=/tmp/prof", with --commands to keep the profile to a few commands.
//
// --folders N (1 unless given) spreads each size's messages over N folders, as in a mailbox kept
// for years (large-corpus.ts): INBOX with the largest share (about 10% at 200 folders), the
// folders every Mailroom mailbox has, projects, clients, a few with Chinese names, an archive by
// year and month. N is 1 or at least 6, so that both servers hold the same folders. The
// commands above still run on INBOX; three more time the whole mailbox: list-status (LIST with
// RETURN STATUS, RFC 5819), select-each (SELECT of every folder in turn) and status-all (STATUS
// of every folder in turn), their counts compared (HIGHESTMODSEQ left out: each server counts its
// own). "--sizes 1000000 --folders 200" is issue 15's million messages in 200 folders.
import { createHash } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeMailboxUtf7 } from '../../src/imap/protocol/utf7.ts';
import { ImapClient, quoted, type Reply } from './client.ts';
import { LARGE_PASSWORD as PASSWORD, LARGE_USER as USER, largeCorpus, MIN_FOLDERS } from './large-corpus.ts';
import { treeCpuSeconds, treeMemory } from './procfs.ts';
import { dovecotAvailable, startDovecotTarget, startMailroomTarget, type Target } from './targets.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    folders: { type: 'string', default: '1' },
    servers: { type: 'string', default: 'mailroom,dovecot' },
    reps: { type: 'string', default: '5' },
    append: { type: 'string', default: '2000' },
    commands: { type: 'string' },
    json: { type: 'string' },
  },
});

const sizes = values.sizes!.split(',').map(Number).filter((n) => n > 0);
const folders = Number(values.folders);
if (!Number.isInteger(folders) || (folders !== 1 && folders < MIN_FOLDERS)) {
  throw new Error(`--folders ${values.folders}: 1, or ${MIN_FOLDERS} or more (INBOX and the folders every Mailroom mailbox has, so that both servers hold the same folders)`);
}
const reps = Number(values.reps);
const appendCount = Number(values.append);
const wanted = values.servers!.split(',');
const useDovecot = wanted.includes('dovecot') && dovecotAvailable() !== null;
const useMailroom = wanted.includes('mailroom');
const STORE_MESSAGES = 27_000;
/** Sessions opened after the first for the memory each adds. */
const SESSIONS = 10;
/** How long the memory figures wait, after the sessions' SORTs, for the server to settle. */
const SETTLE_MS = 20_000;

// ── Measuring ────────────────────────────────────────────────────────────────────────────────

type Context = Pick<Session, 'modseq' | 'count' | 'mailboxes'>;

interface Command {
  id: string;
  label: string;
  /** The command, or commands sent one after the other and timed together. */
  line: (ctx: Context) => string | string[];
  /** The part of the untagged answers both servers must give alike; not compared when absent. */
  compare?: (untagged: string[]) => string[];
  /** Runs before each timed run, untimed (the STORE measure puts the flags back): a command, or one with a literal. */
  before?: (ctx: Context) => string | { line: string; literal: Buffer };
  /** Leaves another folder selected, or INBOX's counters changed: SELECT INBOX again, untimed. */
  reselect?: boolean;
}

let threadRuns = 0;
let fetchRuns = 0;
/** A small message delivered before each SORT of 'sort-date-arrived'. */
const ARRIVING = Buffer.from('From: Bench <bench@example.com>\r\nTo: user@example.com\r\nSubject: arriving\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\nNew.\r\n');
const storeRange = (count: number) => `1:${Math.min(count, STORE_MESSAGES)}`;

const searchAnswer = (untagged: string[]) => untagged.filter((u) => /^(SEARCH|SORT|THREAD|ESEARCH)/.test(u));

/** A quoted string or an atom at the start of `text`, unquoted. */
function leadingString(text: string): string {
  if (!text.startsWith('"')) return text.split(' ')[0]!;
  return /^"((?:[^"\\]|\\.)*)"/.exec(text)![1]!.replace(/\\(.)/g, '$1');
}

/** Each folder's STATUS numbers as "name MESSAGES n UIDNEXT n UNSEEN n", in name order; HIGHESTMODSEQ left out (each server counts its own). */
function folderCounts(untagged: string[]): string[] {
  const counts: string[] = [];
  for (const u of untagged) {
    const status = /^STATUS (.+) \(([^)]*)\)$/.exec(u);
    if (!status) continue;
    const items = status[2]!.split(' ');
    const pairs = Array.from({ length: items.length / 2 }, (_, k) => `${items[2 * k]} ${items[2 * k + 1]}`);
    counts.push(`${leadingString(status[1]!)} ${pairs.filter((p) => !p.startsWith('HIGHESTMODSEQ ')).sort().join(' ')}`);
  }
  return counts.sort();
}

/** The folders LIST names, with the hierarchy separator, in name order (attributes differ: Mailroom gives special-use ones). */
function listedFolders(untagged: string[]): string[] {
  return untagged.flatMap((u) => {
    const list = /^LIST \([^)]*\) (NIL|"(?:[^"\\]|\\.)*") (.*)$/.exec(u);
    return list ? [`${list[1]} ${leadingString(list[2]!)}`] : [];
  }).sort();
}

/** What SELECT says of each folder's size: EXISTS and UIDNEXT. */
const selectCounts = (untagged: string[]) => untagged.flatMap((u) => /^\d+ EXISTS$|^OK \[UIDNEXT \d+\]/.exec(u)?.[0] ?? []);

const STATUS_ITEMS = '(MESSAGES UNSEEN UIDNEXT HIGHESTMODSEQ)';

/** Commands on every folder, with --folders above 1. */
const FOLDER_COMMANDS: Command[] = [
  {
    id: 'list-status', label: `LIST "" "*" RETURN (STATUS ${STATUS_ITEMS})`,
    line: () => `LIST "" "*" RETURN (STATUS ${STATUS_ITEMS})`,
    compare: (untagged) => [...listedFolders(untagged), ...folderCounts(untagged)],
  },
  {
    id: 'select-each', label: `SELECT each of the ${folders} folders in turn`,
    line: ({ mailboxes }) => mailboxes.map((m) => `SELECT ${m}`), compare: selectCounts, reselect: true,
  },
  {
    id: 'status-all', label: `STATUS ${STATUS_ITEMS} of each folder in turn`,
    line: ({ mailboxes }) => mailboxes.map((m) => `STATUS ${m} ${STATUS_ITEMS}`), compare: folderCounts,
  },
];

const COMMANDS: Command[] = [
  { id: 'select', label: 'SELECT INBOX', line: () => 'SELECT INBOX', reselect: true },
  ...(folders > 1 ? FOLDER_COMMANDS : []),
  { id: 'fetch-all', label: 'FETCH 1:* (UID FLAGS)', line: () => 'FETCH 1:* (UID FLAGS)' },
  { id: 'changedsince', label: 'UID FETCH 1:* (FLAGS) (CHANGEDSINCE highest−1)', line: ({ modseq }) => `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq - 1})` },
  { id: 'sort-arrival', label: 'UID SORT (ARRIVAL)', line: () => 'UID SORT (ARRIVAL) US-ASCII ALL', compare: searchAnswer },
  { id: 'sort-date', label: 'UID SORT (DATE)', line: () => 'UID SORT (DATE) US-ASCII ALL', compare: searchAnswer },
  { id: 'sort-subject', label: 'UID SORT (SUBJECT)', line: () => 'UID SORT (SUBJECT) US-ASCII ALL', compare: searchAnswer },
  { id: 'sort-from', label: 'UID SORT (FROM)', line: () => 'UID SORT (FROM) US-ASCII ALL', compare: searchAnswer },
  { id: 'sort-size', label: 'UID SORT (SIZE)', line: () => 'UID SORT (SIZE) US-ASCII ALL', compare: searchAnswer },
  { id: 'thread', label: 'UID THREAD REFERENCES', line: () => 'UID THREAD REFERENCES US-ASCII ALL', compare: searchAnswer },
  // Another set of messages each time (one left out), so that no answer kept from an earlier
  // THREAD can be used: the cost of the first THREAD after the folder changed.
  { id: 'thread-changed', label: 'UID THREAD REFERENCES, a new set each time', line: ({ count }) => `UID THREAD REFERENCES US-ASCII NOT UID ${count - (threadRuns++ % 50)}` },
  { id: 'search-body-rare', label: 'UID SEARCH BODY (a word in no message)', line: () => 'UID SEARCH BODY zyzzyva', compare: searchAnswer },
  { id: 'search-body-common', label: 'UID SEARCH BODY budget (a word in most messages)', line: () => 'UID SEARCH BODY budget', compare: searchAnswer },
  { id: 'search-unseen', label: 'UID SEARCH UNSEEN', line: () => 'UID SEARCH UNSEEN', compare: searchAnswer },
  { id: 'search-flagged', label: 'UID SEARCH FLAGGED', line: () => 'UID SEARCH FLAGGED', compare: searchAnswer },
  { id: 'search-since', label: 'UID SEARCH SINCE 21-Nov-2026', line: () => 'UID SEARCH SINCE 21-Nov-2026', compare: searchAnswer },
  { id: 'fetch-newest', label: 'UID FETCH newest 100 (ENVELOPE BODYSTRUCTURE RFC822.SIZE)', line: ({ count }) => `FETCH ${Math.max(1, count - 99)}:* (UID ENVELOPE BODYSTRUCTURE RFC822.SIZE)` },
  // The costs the kept answers do not cover: FETCH 1:* after a flag changed on one message (its
  // run of lines is made again), and SORT after a message arrived (the order is read again).
  {
    id: 'fetch-all-changed', label: 'FETCH 1:* (UID FLAGS), one message changed before each',
    before: ({ count }) => `STORE ${1 + ((fetchRuns++ * 7919) % count)} +FLAGS.SILENT (\\Answered)`,
    line: () => 'FETCH 1:* (UID FLAGS)',
  },
  {
    id: 'sort-date-arrived', label: 'UID SORT (DATE), a message delivered before each',
    before: () => ({ line: 'APPEND INBOX ', literal: ARRIVING }), line: () => 'UID SORT (DATE) US-ASCII ALL', reselect: true,
  },
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
  /** INBOX's HIGHESTMODSEQ and EXISTS at the last SELECT. */
  modseq: number;
  count: number;
  /** Every folder, INBOX first, as a command names it (modified UTF-7, quoted). */
  mailboxes: string[];
}

async function open(target: Target, folderNames: string[]): Promise<Session> {
  const client = await ImapClient.connect({ port: target.plainPort, tls: false, timeoutMs: 60_000 });
  await client.ok(`LOGIN ${USER} ${PASSWORD}`);
  await client.ok('ENABLE CONDSTORE');
  if (selected.some((c) => c.id === 'list-status') && !(await client.ok('CAPABILITY')).untagged.some((u) => /^CAPABILITY .*\bLIST-STATUS\b/.test(u))) {
    throw new Error(`${target.name} does not offer LIST-STATUS (RFC 5819)`);
  }
  const session: Session = { target, client, modseq: 0, count: 0, mailboxes: folderNames.map((name) => quoted(encodeMailboxUtf7(name))) };
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

/** Sends the lines one after the other: the time from the first sent to the last answered, and the replies. */
async function timed(session: Session, lines: string[]): Promise<{ ms: number; replies: Reply[] }> {
  const start = performance.now();
  const replies: Reply[] = [];
  for (const line of lines) replies.push(await session.client.ok(line, { timeoutMs: 0 }));
  return { ms: replies.at(-1)!.at - start, replies };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const digest = (lines: string[]) => createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 12);

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
          : /\/Maildir\/(\.[^/]+\/)?(cur|new)\//.test(path) ? 'mail (maildir files)'
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
  /** Messages in INBOX, where the per-command timings run (all of them with --folders 1). */
  inboxMessages: number;
  mailBytes: number;
  /** ms: median time a command took as the client saw it; cpuMs: the server's CPU per command (mean over the timed runs). */
  rows: { id: string; label: string; ms: Record<string, number>; cpuMs: Record<string, number>; same?: boolean }[];
  memory: Record<string, { selectKb: number; sortKb: number; perSessionSelectKb: number; perSessionSortKb: number; perSessionSettledKb: number }>;
  disk: Record<string, Record<string, number>>;
  appendRate: Record<string, number>;
  seedSeconds: Record<string, number>;
}

async function runSize(size: number): Promise<SizeResult> {
  const user = largeCorpus(size, folders);
  const mailBytes = user.messages.reduce((n, m) => n + m.length, 0);
  const folderNames = ['INBOX', ...(user.folders ?? [])];
  const perFolder = new Array<number>(folderNames.length).fill(0);
  for (const k of user.folderOf ?? new Uint16Array(size)) perFolder[k]!++;
  const inboxMessages = perFolder[0]!;
  const spread = folders > 1 ? ` in ${folders} folders (INBOX ${inboxMessages.toLocaleString('en')}, the others ${Math.min(...perFolder.slice(1)).toLocaleString('en')} to ${Math.max(...perFolder.slice(1)).toLocaleString('en')})` : '';
  console.log(`\n${size.toLocaleString('en')} messages${spread}, ${(mailBytes / 1e6).toFixed(1)} MB of mail`);
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
  const result: SizeResult = { size, inboxMessages, mailBytes, rows: [], memory: {}, disk: {}, appendRate: {}, seedSeconds };
  try {
    const sessions: Session[] = [];
    for (const target of targets) {
      const t0 = performance.now();
      const session = await open(target, folderNames);
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
      // The server's CPU (its whole process tree) over the timed runs only: /proc counts in
      // hundredths of a second, so a mean over the runs, not a figure per run.
      const cpu = new Map<Session, number>(sessions.map((s) => [s, 0]));
      const digests = new Map<Session, string>();
      for (let round = 0; round <= reps; round++) {
        for (const s of sessions) {
          const before = command.before?.(s);
          if (typeof before === 'string') await s.client.ok(before, { timeoutMs: 0 });
          else if (before) await s.client.ok(before.line, { literal: before.literal, timeoutMs: 0 });
          const cpuBefore = treeCpuSeconds(s.target.pid);
          const { ms, replies } = await timed(s, [command.line(s)].flat());
          const cpuUsed = treeCpuSeconds(s.target.pid) - cpuBefore;
          if (command.reselect) await reselect(s);
          if (round > 0) {
            times.get(s)!.push(ms);
            cpu.set(s, cpu.get(s)! + cpuUsed);
          }
          else if (command.compare) digests.set(s, digest(command.compare(replies.flatMap((r) => r.untagged))));
        }
      }
      const ms = Object.fromEntries(sessions.map((s) => [s.target.name, median(times.get(s)!)]));
      const same = command.compare && sessions.length > 1 ? new Set(digests.values()).size === 1 : undefined;
      const cpuMs = Object.fromEntries(sessions.map((s) => [s.target.name, (cpu.get(s)! * 1000) / reps]));
      result.rows.push({ id: command.id, label: command.label, ms, cpuMs, ...(same === undefined ? {} : { same }) });
      console.log(`  ${command.label.padEnd(62)} ${sessions.map((s) => `${s.target.name} ${ms[s.target.name]!.toFixed(1)} ms (CPU ${cpuMs[s.target.name]!.toFixed(0)})`).join('  ')}${same === false ? '  (answers differ)' : ''}`);
    }
    for (const s of sessions) await s.client.logout();
    // Memory on a fresh server: the tree's resident set after LOGIN, after SELECT, after a SORT,
    // first with one session, then with SESSIONS more (what each adds, the shared part spread):
    // a process's first SORT grows its heap and page cache once, which the next sessions reuse.
    for (const target of targets) {
      await target.restart();
      const rss = async () => {
        await new Promise((r) => setTimeout(r, 300));
        return treeMemory(target.pid).rssKb;
      };
      const logon = async () => {
        const client = await ImapClient.connect({ port: target.plainPort, tls: false });
        await client.ok(`LOGIN ${USER} ${PASSWORD}`);
        return client;
      };
      const first = await logon();
      const base = await rss();
      await first.ok('SELECT INBOX', { timeoutMs: 0 });
      const afterSelect = await rss();
      await first.ok('UID SORT (SUBJECT) US-ASCII ALL', { timeoutMs: 0 });
      const afterSort = await rss();
      const more: ImapClient[] = [];
      for (let i = 0; i < SESSIONS; i++) more.push(await logon());
      const moreBase = await rss();
      for (const client of more) await client.ok('SELECT INBOX', { timeoutMs: 0 });
      const moreSelect = await rss();
      for (const client of more) await client.ok('UID SORT (SUBJECT) US-ASCII ALL', { timeoutMs: 0 });
      const moreSort = await rss();
      // V8 gives back a burst's garbage on its own once allocation stops (its memory reducer
      // collects some seconds later): what stays after that is what the sessions hold.
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const moreSettled = await rss();
      result.memory[target.name] = {
        selectKb: afterSelect - base, sortKb: afterSort - base,
        perSessionSelectKb: (moreSelect - moreBase) / SESSIONS, perSessionSortKb: (moreSort - moreBase) / SESSIONS,
        perSessionSettledKb: (moreSettled - moreBase) / SESSIONS,
      };
      const mb = (kb: number) => `${kb < 0 ? '' : '+'}${(kb / 1024).toFixed(1)} MB`;
      console.log(`  ${target.name}: RSS ${mb(afterSelect - base)} with INBOX selected, ${mb(afterSort - base)} after UID SORT (SUBJECT); ` +
        `${SESSIONS} more sessions: ${mb((moreSelect - moreBase) / SESSIONS)} each with INBOX selected, ${mb((moreSort - moreBase) / SESSIONS)} each after the SORT, ` +
        `${mb((moreSettled - moreBase) / SESSIONS)} each ${SETTLE_MS / 1000} s later`);
      for (const client of [first, ...more]) await client.logout();
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

// The table for docs/benchmarks.md: ms Mailroom / Dovecot per size (and INBOX's share of it, where
// the commands other than the folder ones run, with --folders).
const fmt = (n: number | undefined) => (n === undefined ? '–' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const column = (r: SizeResult) => (folders > 1 ? `${r.size.toLocaleString('en')} in ${folders} folders (INBOX ${r.inboxMessages.toLocaleString('en')})` : r.size.toLocaleString('en'));
console.log(`\n| Command | ${results.map(column).join(' | ')} |`);
console.log(`|---|${results.map(() => '---').join('|')}|`);
for (const row of results[0]?.rows ?? []) {
  const cells = results.map((r) => {
    const x = r.rows.find((y) => y.id === row.id)!;
    return `${fmt(x.ms.Mailroom)} / ${fmt(x.ms.Dovecot)}${x.same === false ? ' ≠' : ''}`;
  });
  console.log(`| ${row.label} | ${cells.join(' | ')} |`);
}
if (values.json) writeFileSync(values.json, JSON.stringify({ load: loadavg(), folders, results }, null, 2));
