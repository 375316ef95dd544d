// Shared by the tests that run real processes: temporary data folders, free port offsets, the
// `mailroom` command as a child process, and a running server.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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

/** An offset at which every given standard port is free on 127.0.0.1 and ::1. */
export async function freePortOffset(ports: number[] = [110, 143, 993, 995, 25, 587, 465, 80, 443, 1993, 1995, 2525]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const offset = 20000 + Math.floor(Math.random() * 30000);
    let ok = true;
    for (const p of ports) {
      if (p + offset > 65535 || !(await portFree(p + offset, '127.0.0.1'))) {
        ok = false;
        break;
      }
    }
    if (ok) return offset;
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
