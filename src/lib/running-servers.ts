// Which server processes run on a data folder. `mailroom start` leaves a file run/<pid> there
// while it runs, so that restore and doctor --repair, which must not write under a live server,
// can tell. A file whose process is gone (killed with SIGKILL, a power cut) is stale and ignored.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePrivateDir, PRIVATE_FILE_MODE } from './private-files.ts';

export function runFolder(dataFolder: string): string {
  return join(dataFolder, 'run');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user (a server run by systemd as mailroom).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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
    if (pid !== process.pid && !alive(pid)) {
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
