// Shared by the tests that run real processes: temporary data folders, free port offsets, the
// `mailroom` command as a child process, and a running server.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'mailroom.js');

export function tempDataDir(prefix = 'mailroom-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

// Test servers listen at their standard ports plus an offset. Two things can take such a port
// between the choice and the server's bind:
//  - an outgoing connection, whose local port the kernel picks from its ephemeral range (on Linux
//    32768-60999): so every offset port stays below that range;
//  - a server of another test file, running at the same time in another process: so each port is
//    reserved by a file named after it in a folder all test processes share, created exclusively
//    and holding the owner's pid (a dead owner's file is taken over).
const RESERVATIONS = join(tmpdir(), 'mailroom-test-ports');
const reservedHere = new Set<number>();
const DEFAULT_PORTS = [110, 143, 993, 995, 25, 587, 465, 80, 443, 1993, 1995, 2525];

function ephemeralRangeStart(): number {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(start) && start > 10000) return start;
  } catch { /* not Linux: use Linux's default */ }
  return 32768;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reserves one port for this process; false when a live process holds it. */
function reservePort(port: number): boolean {
  const file = join(RESERVATIONS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      reservedHere.add(port);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = 0;
      try { owner = Number(readFileSync(file, 'utf8')); } catch { continue; }
      if (owner === process.pid || (owner > 0 && processAlive(owner))) return false;
      try { unlinkSync(file); } catch { /* another process took it over first */ }
    }
  }
  return false;
}

function releasePorts(ports: Iterable<number>): void {
  for (const port of ports) {
    try {
      if (readFileSync(join(RESERVATIONS, String(port)), 'utf8') === String(process.pid)) unlinkSync(join(RESERVATIONS, String(port)));
    } catch { /* already gone */ }
    reservedHere.delete(port);
  }
}

process.on('exit', () => releasePorts([...reservedHere]));

/**
 * An offset at which every given standard port (and the ports a whole server takes) is free on
 * 127.0.0.1 and reserved for this test process until it exits.
 */
export async function freePortOffset(ports: number[] = DEFAULT_PORTS): Promise<number> {
  const all = [...new Set([...ports, ...DEFAULT_PORTS])];
  const highest = Math.max(...all);
  const min = 5000;
  const max = ephemeralRangeStart() - highest - 1;
  mkdirSync(RESERVATIONS, { recursive: true });
  for (let attempt = 0; attempt < 200; attempt++) {
    const offset = min + Math.floor(Math.random() * (max - min));
    const taken: number[] = [];
    let ok = true;
    for (const p of all) {
      if (!reservePort(p + offset)) { ok = false; break; }
      taken.push(p + offset);
      if (!(await portFree(p + offset, '127.0.0.1'))) { ok = false; break; }
    }
    if (ok) return offset;
    releasePorts(taken);
  }
  throw new Error('no free port offset found');
}

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function mailroom(args: string[], env: Record<string, string>): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, MAILROOM_LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `mailroom` as an administrator runs it: a command that must succeed (its stderr in the failure message). */
export function mailroomOk(args: string[], env: Record<string, string>): CliResult {
  const r = mailroom(args, env);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r;
}

export interface RunningServer {
  child: ChildProcess;
  output: () => string;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  stop: () => Promise<number | null>;
}

/** Starts `mailroom <args>` and resolves once its output matches `ready`. */
/** The pids of a process's children, grandchildren and so on (Linux /proc). */
export function descendantPids(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((c) => [c, ...descendantPids(c)]);
}

/**
 * The processes of a running `mailroom start`: the supervisor and its front-end and back-end
 * processes (or the one process of `--single-process`), without the compiler's helpers. For
 * memory figures that must count the whole server.
 */
export function serverPids(pid: number): number[] {
  return [pid, ...descendantPids(pid)].filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('mailroom.js');
    } catch {
      return false;
    }
  });
}

/** Signals a process and every process under it at once (a server's supervisor and its processes). */
export function killProcessTree(pid: number, signal: NodeJS.Signals): void {
  for (const p of [...descendantPids(pid), pid]) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

export async function startMailroom(args: string[], env: Record<string, string>, ready = /Mailroom ready/): Promise<RunningServer> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, MAILROOM_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString('utf8');
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const waitFor = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(out);
        if (m) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(m[0]);
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`timed out waiting for ${pattern}; output so far:\n${out}`));
      }, timeoutMs);
      listeners.add(check);
      check();
      void exited.then(() => {
        if (listeners.has(check)) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`process exited while waiting for ${pattern}; output:\n${out}`));
        }
      });
    });
  await waitFor(ready);
  return {
    child,
    output: () => out,
    waitFor,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * Resolves once the running server has applied directory revision `revision` or a later one (its
 * "configuration revision N applied" line): a change made by a cmdlet is then in force there.
 */
export async function configurationApplied(server: RunningServer, revision: number, timeoutMs = 20_000): Promise<void> {
  const applied = () => [...server.output().matchAll(/configuration revision (\d+) applied/g)].some((m) => Number(m[1]) >= revision);
  await eventually(applied, timeoutMs);
}

/** The revision of the SQLite directory in the data folder `dataPath`: where the last change left it. */
export function directoryRevision(dataPath: string): number {
  const db = new Database(join(dataPath, 'directory.db'), { readonly: true, fileMustExist: true });
  try {
    return Number((db.prepare(`SELECT value FROM meta WHERE key = 'revision'`).get() as { value: string }).value);
  } finally {
    db.close();
  }
}

/**
 * Polls `probe` until it returns true or the time runs out. The default limit is generous: it
 * only costs time when the test fails, and a loaded machine can take seconds for what takes
 * milliseconds on an idle one.
 */
export async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs = 15_000, stepMs = 50): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await probe()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
