// Which server processes run on a data folder. `mailroom start` leaves a file run/<pid> there
// while it runs, so that restore and doctor --repair, which must not write under a live server,
// can tell. A file whose process is gone (killed with SIGKILL, a power cut) is stale and ignored.
// A server of a version from before these marks is still seen through the heartbeat it writes
// into the folder's directory.db every second (Get-Service's Status).
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server as NetServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { makePrivateDir, PRIVATE_FILE_MODE } from './private-files.ts';
import { processAlive } from './process-alive.ts';

export function runFolder(dataFolder: string): string {
  return join(dataFolder, 'run');
}

/**
 * Listens on the Unix socket `path` in the run folder, mode 0600. A socket file left by a
 * process that was killed is removed first: the run folder is this server's, and each of its
 * sockets has one process of the server that listens on it.
 */
export async function listenPrivateSocket(server: NetServer, path: string): Promise<void> {
  rmSync(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path }, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  chmodSync(path, PRIVATE_FILE_MODE);
}

/** The longest Unix socket path Linux takes (sun_path is 108 bytes with its terminating NUL). */
const UNIX_PATH_LIMIT = 107;

/**
 * The Unix socket through which a front end in another process of this server reaches this
 * server's back end (`imap4-backend`, `pop3-backend`): in the run folder, which is 0700, so only
 * the server's own account can connect, and named after the server, so two servers sharing a
 * data folder never reach each other's. Undefined when the path would be too long for a socket;
 * then the processes talk over the proxy port, with TLS, as two servers do.
 */
export function localLinkPath(dataFolder: string, server: string, service: string): string | undefined {
  const name = server.toLowerCase();
  // Server names are host names; anything else must not make a path outside the run folder.
  for (const c of name) if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c === '-' || c === '_')) return undefined;
  const path = join(runFolder(dataFolder), `${name}.${service}.sock`);
  return Buffer.byteLength(path) <= UNIX_PATH_LIMIT ? path : undefined;
}

/** Marks this process as a server of `dataFolder`; the returned function removes the mark. */
export function markRunningServer(dataFolder: string, role: string): () => void {
  const folder = runFolder(dataFolder);
  makePrivateDir(folder);
  const path = join(folder, String(process.pid));
  writeFileSync(path, `${JSON.stringify({ pid: process.pid, role, startedAt: new Date().toISOString() })}\n`, { mode: PRIVATE_FILE_MODE });
  return () => rmSync(path, { force: true });
}

export interface RunningServer {
  pid: number;
  role: string;
  startedAt: string;
}

/** The live server processes of `dataFolder`; stale marks are removed on the way. */
export function runningServers(dataFolder: string): RunningServer[] {
  const folder = runFolder(dataFolder);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const found: RunningServer[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isSafeInteger(pid) || pid <= 0) continue;
    if (pid !== process.pid && !processAlive(pid)) {
      rmSync(join(folder, name), { force: true });
      continue;
    }
    let info: Partial<RunningServer> = {};
    try {
      info = JSON.parse(readFileSync(join(folder, name), 'utf8')) as Partial<RunningServer>;
    } catch {
      // written by a process that died half-way: the pid in the name is what counts
    }
    found.push({ pid, role: String(info.role ?? 'unknown'), startedAt: String(info.startedAt ?? '') });
  }
  return found;
}

/** How recent a heartbeat must be to count as a running server (it is written every second). */
const HEARTBEAT_FRESH_MS = 5000;

/** Servers whose heartbeat in this folder's own directory.db is fresh and lists running services. */
export function serversWithHeartbeat(dataFolder: string, now = Date.now()): string[] {
  const path = join(dataFolder, 'directory.db');
  if (!existsSync(path)) return [];
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const rows = db.prepare(`SELECT name, heartbeat_at, status FROM servers`).all() as { name: string; heartbeat_at: number | null; status: string | null }[];
    return rows
      .filter((r) => r.heartbeat_at !== null && now - Number(r.heartbeat_at) < HEARTBEAT_FRESH_MS && r.status !== null && r.status !== '{}')
      .map((r) => r.name);
  } catch {
    return []; // not a directory database (yet): no server has run on it
  } finally {
    db?.close();
  }
}

/** Why writing under `dataFolder` is unsafe now, or null: a server process or a fresh heartbeat. */
export function runningServerReason(dataFolder: string): string | null {
  const running = runningServers(dataFolder);
  if (running.length) return `A Mailroom server is running on ${dataFolder} (${running.length === 1 ? 'process' : 'processes'} ${running.map((r) => r.pid).join(', ')})`;
  const beating = serversWithHeartbeat(dataFolder);
  if (beating.length) return `A Mailroom server is running on ${dataFolder} (server ${beating.join(', ')} reported in the last ${HEARTBEAT_FRESH_MS / 1000} s)`;
  return null;
}
