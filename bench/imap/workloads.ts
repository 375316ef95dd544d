// The four IMAP measures, each run against one server at a time (run.ts runs them for both and
// reports). Every loop is bounded by a count or a deadline, and every connection goes to a
// loopback port.
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapClient, existsCount, quoted } from './client.ts';
import { message, prng, SENDERS, senderAddress, TOPICS, type ImapUser } from './corpus.ts';
import { fdHeadroom, machineBusySeconds, treeCpuSeconds, treeMemory, type TreeMemory } from './procfs.ts';
import type { Target } from './targets.ts';

/** Progress on stderr, stamped with the seconds since the run started. */
export function note(message: string): void {
  console.error(`[${(performance.now() / 1000).toFixed(0).padStart(4)} s] ${message}`);
}

/** Runs `fn` over 0..count-1 with at most `limit` at once; stops starting new ones after `until`. */
async function pool(count: number, limit: number, fn: (i: number) => Promise<void>, until = Infinity): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count && performance.now() < until) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

export const percentile = (sorted: readonly number[], p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

/** CPU spent during a measurement: by the server, by this load client, by everything else. */
export interface CpuShare {
  seconds: number;
  serverCores: number;
  clientCores: number;
  otherCores: number;
}

function cpuMeter(target: Target): () => CpuShare {
  const started = performance.now();
  const server = treeCpuSeconds(target.pid);
  const client = process.cpuUsage();
  const machine = machineBusySeconds();
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const serverCpu = treeCpuSeconds(target.pid) - server;
    const c = process.cpuUsage(client);
    const clientCpu = (c.user + c.system) / 1e6;
    const machineCpu = machineBusySeconds() - machine;
    return {
      seconds,
      serverCores: serverCpu / seconds,
      clientCores: clientCpu / seconds,
      otherCores: Math.max(0, machineCpu - serverCpu - clientCpu) / seconds,
    };
  };
}

async function loggedIn(target: Target, user: ImapUser, tls = false): Promise<ImapClient> {
  const client = await ImapClient.connect({ port: tls ? target.tlsPort : target.plainPort, tls });
  try {
    await client.ok(`LOGIN ${quoted(user.name)} ${quoted(user.password)}`);
  } catch (err) {
    client.destroy();
    throw err;
  }
  return client;
}

// --- 0. The same answers from both -----------------------------------------------------------

/**
 * The searches of the mixed workload, once on a user's untouched mailbox: both servers must
 * find the same messages, or they are not doing the same work. Returns "name=count" pairs.
 */
export async function searchCounts(target: Target, user: ImapUser): Promise<string> {
  const client = await loggedIn(target, user);
  try {
    await client.ok('SELECT INBOX');
    const out: string[] = [];
    for (const [name, query] of [
      ['ALL', 'ALL'], ['UNSEEN', 'UNSEEN'], [`FROM ${senderAddress(5)}`, `FROM ${quoted(senderAddress(5))}`], [`BODY ${TOPICS[3]}`, `BODY ${TOPICS[3]}`],
    ] as const) {
      const reply = await client.ok(`UID SEARCH ${query}`);
      const line = reply.untagged.find((l) => /^SEARCH\b/i.test(l)) ?? 'SEARCH';
      out.push(`${name}=${line.split(' ').length - 1}`);
    }
    return out.join(', ');
  } finally {
    await client.logout().catch(() => undefined);
  }
}

// --- 1. Mixed workload -----------------------------------------------------------------------

/**
 * What one client does in its loop, with its weight (per cent). Most of it reads, as clients
 * do: a flag resync of the whole folder, a message download, a flag change, a search; and some
 * writes: a small APPEND (a draft, a sent copy) and the removal of what it appended, as
 * STORE \Deleted then UID EXPUNGE.
 */
const MIX = [
  ['fetch-flags', 15], ['fetch-body', 25], ['store-seen', 20], ['search', 21], ['append', 10], ['expunge', 9],
] as const;
type Op = (typeof MIX)[number][0];

export interface CommandStats {
  count: number;
  totalMs: number;
}

export interface MixedResult {
  seconds: number;
  commands: number;
  errors: number;
  bodyBytes: number;
  latencies: number[];
  byCommand: Record<string, CommandStats>;
  cpu: CpuShare;
}

function pickOp(random: () => number): Op {
  let x = random() * 100;
  for (const [op, weight] of MIX) {
    if (x < weight) return op;
    x -= weight;
  }
  return 'fetch-body';
}

export async function mixedWorkload(target: Target, users: readonly ImapUser[], options: { clients: number; seconds: number; seed: number }): Promise<MixedResult> {
  const result: MixedResult = { seconds: options.seconds, commands: 0, errors: 0, bodyBytes: 0, latencies: [], byCommand: {}, cpu: null! };
  // Connections and logons happen before the clock starts: this measure is about commands.
  const sessions = await Promise.all(
    Array.from({ length: options.clients }, async (_, c) => {
      const user = users[c % users.length]!;
      const client = await loggedIn(target, user);
      await client.ok('SELECT INBOX');
      const all = await client.ok('UID SEARCH ALL');
      const uids = (all.untagged.find((l) => /^SEARCH\b/i.test(l)) ?? 'SEARCH').split(' ').slice(1).map(Number);
      return { client, user, uids };
    }),
  );
  const meter = cpuMeter(target);
  const started = performance.now();
  const deadline = started + options.seconds * 1000;

  await Promise.all(
    sessions.map(async ({ client, user, uids }, c) => {
      const random = prng(options.seed * 1000 + c);
      const pickUid = () => uids[Math.floor(random() * uids.length)]!;
      const appended: number[] = [];
      let seenToggle = false;
      let serial = 0;
      // Timed: counted only if it ends before the deadline, so every server gets the same window.
      const run = async (label: string, line: string, literal?: Buffer) => {
        const t0 = performance.now();
        const reply = await client.command(line, { literal, timeoutMs: 30_000 });
        const t1 = performance.now();
        if (reply.status !== 'OK') {
          result.errors++;
          if (result.errors <= 5) note(`${target.name}: ${line.slice(0, 60)} → ${reply.text}`);
        }
        if (t1 <= deadline) {
          result.commands++;
          result.latencies.push(t1 - t0);
          result.bodyBytes += reply.literalBytes;
          const s = (result.byCommand[label] ??= { count: 0, totalMs: 0 });
          s.count++;
          s.totalMs += t1 - t0;
        }
        return reply;
      };
      while (performance.now() < deadline) {
        let op = pickOp(random);
        if (op === 'expunge' && appended.length === 0) op = 'append';
        switch (op) {
          case 'fetch-flags':
            await run('FETCH 1:* (FLAGS UID)', 'FETCH 1:* (FLAGS UID)');
            break;
          case 'fetch-body':
            await run('UID FETCH n BODY.PEEK[]', `UID FETCH ${pickUid()} BODY.PEEK[]`);
            break;
          case 'store-seen':
            seenToggle = !seenToggle;
            await run('UID STORE n ±FLAGS (\\Seen)', `UID STORE ${pickUid()} ${seenToggle ? '+' : '-'}FLAGS (\\Seen)`);
            break;
          case 'search': {
            const which = Math.floor(random() * 3);
            if (which === 0) await run('UID SEARCH UNSEEN', 'UID SEARCH UNSEEN');
            else if (which === 1) await run('UID SEARCH FROM x', `UID SEARCH FROM ${quoted(senderAddress(Math.floor(random() * SENDERS)))}`);
            else await run('UID SEARCH BODY word', `UID SEARCH BODY ${TOPICS[Math.floor(random() * TOPICS.length)]}`);
            break;
          }
          case 'append': {
            const raw = message(user.name, 100_000 + c * 10_000 + serial++, 1500);
            const reply = await run('APPEND (1.5 KB)', 'APPEND INBOX (\\Seen) ', raw);
            const uid = /\[APPENDUID \d+ (\d+)\]/i.exec(reply.text)?.[1];
            if (uid) appended.push(Number(uid));
            else if (reply.status === 'OK') throw new Error(`${target.name}: APPEND without APPENDUID: ${reply.text}`);
            break;
          }
          case 'expunge': {
            const set = appended.splice(0).join(',');
            await run('UID STORE set +FLAGS.SILENT (\\Deleted)', `UID STORE ${set} +FLAGS.SILENT (\\Deleted)`);
            await run('UID EXPUNGE set', `UID EXPUNGE ${set}`);
            break;
          }
        }
      }
      // Leave the mailbox as it was for the next round (not timed).
      if (appended.length > 0) {
        await client.command(`UID STORE ${appended.join(',')} +FLAGS.SILENT (\\Deleted)`);
        await client.command(`UID EXPUNGE ${appended.join(',')}`);
      }
    }),
  );
  result.cpu = meter();
  result.cpu.seconds = options.seconds;
  await Promise.all(sessions.map((s) => s.client.logout().catch(() => undefined)));
  return result;
}

// --- 2. Logons over TLS ----------------------------------------------------------------------

export interface LoginResult {
  seconds: number;
  logins: number;
  failures: number;
  latencies: number[];
  cpu: CpuShare;
}

/**
 * Each user's first logon since the server started, `concurrency` at once: what a logon costs
 * when nothing is cached (for Mailroom, a full scrypt verification; it keeps successful
 * verifications for 60 s).
 */
export async function firstLogons(target: Target, users: readonly ImapUser[], options: { concurrency: number }): Promise<LoginResult> {
  const result: LoginResult = { seconds: 0, logins: 0, failures: 0, latencies: [], cpu: null! };
  const meter = cpuMeter(target);
  await pool(users.length, options.concurrency, async (i) => {
    const t0 = performance.now();
    try {
      const client = await loggedIn(target, users[i]!, true);
      await client.logout();
      result.logins++;
      result.latencies.push(performance.now() - t0);
    } catch (err) {
      if (++result.failures <= 5) note(`${target.name}: logon failed: ${(err as Error).message}`);
    }
  });
  result.cpu = meter();
  result.seconds = result.cpu.seconds;
  return result;
}

/** Short sessions in parallel: TLS connection (full handshake), greeting, LOGIN, LOGOUT. */
export async function loginRate(target: Target, users: readonly ImapUser[], options: { concurrency: number; seconds: number }): Promise<LoginResult> {
  const result: LoginResult = { seconds: options.seconds, logins: 0, failures: 0, latencies: [], cpu: null! };
  const meter = cpuMeter(target);
  const deadline = performance.now() + options.seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline && result.failures < 100) {
        const user = users[n++ % users.length]!;
        const t0 = performance.now();
        try {
          const client = await loggedIn(target, user, true);
          await client.logout();
          const t1 = performance.now();
          if (t1 <= deadline) {
            result.logins++;
            result.latencies.push(t1 - t0);
          }
        } catch (err) {
          if (++result.failures <= 5) note(`${target.name}: logon failed: ${(err as Error).message}`);
        }
      }
    }),
  );
  result.cpu = meter();
  result.cpu.seconds = options.seconds;
  return result;
}

// --- 3 and 4. Idle connections and push ------------------------------------------------------

interface Idler {
  client: ImapClient;
  user: number;
  exists: number;
}

export interface IdleStage {
  connections: number;
  /** Connections that reached IDLE per second while the stage was being opened. */
  openRate: number;
  before: TreeMemory;
  after: TreeMemory;
  pssKbPerConnection: number;
  rssKbPerConnection: number;
}

export interface PushResult {
  deliveries: number;
  idlers: number;
  received: number;
  /** Milliseconds from the APPEND's tagged OK to each idler's `* n EXISTS` (negative: the push came first). */
  latencies: number[];
  /** Milliseconds from sending the APPEND to each idler's `* n EXISTS`: delivery and push together. */
  fromSend: number[];
}

export interface IdleResult {
  tls: boolean;
  stages: IdleStage[];
  push: PushResult | null;
  /** Why a stage did not run, if one did not. */
  skipped: string[];
}

/** The server's memory once it has settled: three samples a second apart, the median by PSS. */
async function settledMemory(target: Target): Promise<TreeMemory> {
  const samples: TreeMemory[] = [];
  for (let i = 0; i < 3; i++) {
    await sleep(1000);
    samples.push(treeMemory(target.pid));
  }
  return samples.sort((a, b) => a.pssKb - b.pssKb)[1]!;
}

async function openIdler(target: Target, users: readonly ImapUser[], user: number, tls: boolean): Promise<Idler> {
  const client = await loggedIn(target, users[user]!, tls);
  try {
    const selected = await client.ok('SELECT INBOX');
    const exists = selected.untagged.map(existsCount).find((n) => n !== null) ?? 0;
    await client.idle();
    return { client, user, exists };
  } catch (err) {
    client.destroy();
    throw err;
  }
}

/**
 * Opens connections in stages (e.g. 2,000 then 10,000), each logged on, with INBOX selected and
 * in IDLE, spread round-robin over the idle users' mailboxes, and reads the server's memory
 * before the first and after each stage. After the first stage, optionally, the push test.
 */
export async function idleConnections(
  target: Target,
  users: readonly ImapUser[],
  options: { stages: number[]; tls: boolean; push: boolean; openConcurrency: number; pushTimeoutMs: number },
): Promise<IdleResult> {
  const result: IdleResult = { tls: options.tls, stages: [], push: null, skipped: [] };
  // Warm-up: the code paths of a whole idle session run once before the baseline, so what is
  // loaded or compiled on first use is not counted per connection.
  await pool(20, 10, async (i) => {
    const idler = await openIdler(target, users, i % users.length, options.tls);
    await idler.client.done();
    await idler.client.logout();
  });
  const before = await settledMemory(target);
  const idlers: Idler[] = [];
  try {
    for (const [stageIndex, total] of options.stages.entries()) {
      const needed = total - idlers.length;
      if (fdHeadroom() < needed + 200) {
        result.skipped.push(`${total} connections: this process may open only ${fdHeadroom()} more descriptors (ulimit -n)`);
        break;
      }
      const t0 = performance.now();
      let failures = 0;
      const until = t0 + 300_000;
      const opened = idlers.length;
      await pool(needed, options.openConcurrency, async (i) => {
        if (failures > 20) return;
        try {
          idlers.push(await openIdler(target, users, (opened + i) % users.length, options.tls));
        } catch (err) {
          if (++failures <= 3) note(`${target.name}: idle connection ${opened + i + 1} failed: ${(err as Error).message}`);
        }
      }, until);
      const openSeconds = (performance.now() - t0) / 1000;
      if (idlers.length < total) {
        result.skipped.push(`${total} connections: only ${idlers.length} could be opened (${failures} failures)`);
        break;
      }
      const after = await settledMemory(target);
      result.stages.push({
        connections: total,
        openRate: needed / openSeconds,
        before,
        after,
        pssKbPerConnection: (after.pssKb - before.pssKb) / total,
        rssKbPerConnection: (after.rssKb - before.rssKb) / total,
      });
      note(`${target.name}: ${total} ${options.tls ? 'TLS' : 'plain'} connections in IDLE, +${Math.round((after.pssKb - before.pssKb) / 1024)} MB PSS, ${after.processes} processes`);
      if (stageIndex === 0 && options.push) result.push = await pushLatency(target, users, idlers, options.pushTimeoutMs);
    }
  } finally {
    // Closing the sockets ends the sessions; wait (bounded) until the server has let them go,
    // so the next measure starts from a quiet server.
    const closing = performance.now();
    for (const idler of idlers) idler.client.destroy();
    const baseProcesses = before.processes;
    for (let i = 0; i < 120; i++) {
      await sleep(500);
      if (treeMemory(target.pid).processes <= baseProcesses + 5) break;
    }
    await sleep(1000);
    note(`${target.name}: ${idlers.length} connections closed and let go in ${((performance.now() - closing) / 1000).toFixed(1)} s`);
  }
  return result;
}

/**
 * One message APPENDed to each idle mailbox through a separate connection (its owner's, a few
 * deliveries at a time), and the time until every idler on that mailbox shows `* n EXISTS`.
 */
async function pushLatency(target: Target, users: readonly ImapUser[], idlers: Idler[], timeoutMs: number): Promise<PushResult> {
  const byUser = new Map<number, Idler[]>();
  for (const idler of idlers) {
    const list = byUser.get(idler.user) ?? [];
    list.push(idler);
    byUser.set(idler.user, list);
  }
  const okAt = new Map<number, number>();
  const sentAt = new Map<number, number>();
  const seenAt = new Map<Idler, number>();
  let allSeen: () => void = () => undefined;
  const everyone = new Promise<void>((resolve) => (allSeen = resolve));
  for (const idler of idlers) {
    idler.client.onUntagged = (line, at) => {
      const n = existsCount(line);
      if (n === null || n <= idler.exists || seenAt.has(idler)) return;
      seenAt.set(idler, at);
      if (seenAt.size === idlers.length) allSeen();
    };
  }
  const mailboxes = [...byUser.keys()];
  const started = performance.now();
  await pool(mailboxes.length, 4, async (i) => {
    const user = users[mailboxes[i]!]!;
    try {
      const client = await loggedIn(target, user);
      const raw = message(user.name, 900_000 + i, 1500);
      sentAt.set(mailboxes[i]!, performance.now());
      const reply = await client.ok('APPEND INBOX ', { literal: raw });
      okAt.set(mailboxes[i]!, reply.at);
      await client.logout().catch(() => undefined);
    } catch (err) {
      note(`${target.name}: delivery to ${user.name} failed: ${(err as Error).message}`);
    }
  }, started + timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([everyone, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
  const latencies: number[] = [];
  const fromSend: number[] = [];
  for (const [idler, at] of seenAt) {
    const ok = okAt.get(idler.user);
    if (ok !== undefined) {
      latencies.push(at - ok);
      fromSend.push(at - sentAt.get(idler.user)!);
    }
    idler.exists++;
  }
  for (const idler of idlers) idler.client.onUntagged = null;
  return { deliveries: okAt.size, idlers: idlers.length, received: seenAt.size, latencies: latencies.sort((a, b) => a - b), fromSend: fromSend.sort((a, b) => a - b) };
}
