// Whether a process id still names a running process: used to tell a live server's run mark
// (running-servers.ts) and a live session's spooled literal (literal-spool.ts) from leftovers of a
// process that was killed.

/** True when `pid` is a running process; signal 0 only checks, it delivers nothing. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user (a server run by systemd as mailroom).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
