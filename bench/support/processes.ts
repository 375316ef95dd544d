// What the benchmarks share for the servers they start as child processes.
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * Stops a server with SIGTERM and waits for it to exit; past `timeoutMs` (thousands of sessions
 * can take a while to wind down) it is killed.
 */
export function stopChild(child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => (clearTimeout(timer), res()));
    child.kill('SIGTERM');
  });
}

/** A TCP port free on 127.0.0.1 right now (the system picks it; the listener is closed again). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}
