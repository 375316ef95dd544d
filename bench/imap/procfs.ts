// What a server costs the machine, read from Linux's /proc: the memory of its whole process tree
// (Dovecot is a master with a process per session and per login; Mailroom is one process) and
// the CPU time it has used.
import { readdirSync, readFileSync } from 'node:fs';

export interface TreeMemory {
  processes: number;
  /** Resident set, summed: counts shared pages (libraries, a shared index) once per process. */
  rssKb: number;
  /** Proportional set: each shared page divided among the processes that map it, so sums are fair. */
  pssKb: number;
  /** Processes per executable name ("imap", "imap-login", "node"…). */
  byName: Record<string, number>;
}

interface Stat {
  pid: number;
  name: string;
  ppid: number;
  /** utime + stime, and the same for children already waited for, in clock ticks. */
  cpu: number;
  childrenCpu: number;
}

/** Fields of /proc/<pid>/stat; the name is in parentheses and may contain spaces. */
function readStat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
    return {
      pid,
      name: text.slice(open + 1, close),
      ppid: Number(fields[1]),
      cpu: Number(fields[11]) + Number(fields[12]),
      childrenCpu: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return null; // gone meanwhile
  }
}

/** The process and all its descendants. */
export function processTree(root: number): Stat[] {
  const all: Stat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (s) all.push(s);
  }
  const children = new Map<number, Stat[]>();
  for (const s of all) {
    const list = children.get(s.ppid) ?? [];
    list.push(s);
    children.set(s.ppid, list);
  }
  const top = all.find((s) => s.pid === root);
  if (!top) return [];
  const out: Stat[] = [];
  const queue = [top];
  while (queue.length > 0) {
    const s = queue.shift()!;
    out.push(s);
    queue.push(...(children.get(s.pid) ?? []));
  }
  return out;
}

function rollup(pid: number): { rss: number; pss: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'latin1');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
    return { rss: field('Rss'), pss: field('Pss') };
  } catch {
    return null;
  }
}

export function treeMemory(root: number): TreeMemory {
  const result: TreeMemory = { processes: 0, rssKb: 0, pssKb: 0, byName: {} };
  for (const s of processTree(root)) {
    const m = rollup(s.pid);
    if (!m) continue;
    result.processes++;
    result.rssKb += m.rss;
    result.pssKb += m.pss;
    result.byName[s.name] = (result.byName[s.name] ?? 0) + 1;
  }
  return result;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * CPU seconds the server has used: every live process of the tree plus what the top process
 * has collected from children that have exited (Dovecot's master reaps each session's process,
 * so short-lived logins are counted too).
 */
export function treeCpuSeconds(root: number): number {
  const tree = processTree(root);
  if (tree.length === 0) return 0;
  return (tree.reduce((n, s) => n + s.cpu, 0) + tree[0]!.childrenCpu) / TICKS_PER_SECOND;
}

/** Busy CPU seconds of the whole machine so far. */
export function machineBusySeconds(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return (fields.reduce((a, b) => a + b, 0) - idle) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Free descriptors this process may still open (soft limit minus those open). */
export function fdHeadroom(): number {
  try {
    const limit = Number(/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 1024);
    return limit - readdirSync('/proc/self/fd').length;
  } catch {
    return 1024;
  }
}
