// `mailroom start --split`: one machine's server as two processes, the front ends (IMAP4, POP3,
// SMTP, the web) in one and the back ends (the mailbox databases, IMAP4/POP3 sessions after
// logon, the mail delivery port) in the other. They talk as two servers do (the proxy port and
// the delivery port, mutual TLS), so an expensive request on one side does not delay the other
// side's clients, and a back end that crashes is restarted while the front ends tell clients to
// try again (IMAP4 NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP], SMTP 4xx) instead of the server
// disappearing.
//
// This process only supervises: it starts both, restarts one that exits unexpectedly (after a
// delay that doubles up to 30 s, back to 1 s once a process has run for a minute), and stops
// both on SIGTERM or SIGINT. Each child reports "ready" over the IPC channel; the supervisor
// logs the one ready line for the whole server.
import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '../lib/log.ts';

export type ChildRole = 'frontend' | 'backend';

/** What a supervised child sends once its services are up. */
export interface ReadyMessage {
  type: 'mailroom-ready';
  role: ChildRole;
  server: string;
  fqdn: string;
  services: Record<string, string>;
}

export function isReadyMessage(value: unknown): value is ReadyMessage {
  const m = value as Partial<ReadyMessage> | null;
  return typeof m === 'object' && m !== null && m.type === 'mailroom-ready' && (m.role === 'frontend' || m.role === 'backend');
}

/** What a supervised child sends each time it has applied a directory revision. */
export interface AppliedMessage {
  type: 'mailroom-applied';
  role: ChildRole;
  revision: number;
}

export function isAppliedMessage(value: unknown): value is AppliedMessage {
  const m = value as Partial<AppliedMessage> | null;
  return typeof m === 'object' && m !== null && m.type === 'mailroom-applied' && (m.role === 'frontend' || m.role === 'backend')
    && typeof m.revision === 'number' && Number.isSafeInteger(m.revision);
}

/** The environment variable that tells `mailroom start` it runs under the supervisor. */
export const SUPERVISED_ENV = 'MAILROOM_SUPERVISED';

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
/** A process that ran this long is healthy again: its next restart waits FIRST_DELAY_MS. */
const HEALTHY_AFTER_MS = 60_000;
const STOP_GRACE_MS = 15_000;

interface Child {
  role: ChildRole;
  process: ChildProcess | null;
  startedAt: number;
  delayMs: number;
  ready: ReadyMessage | null;
  /** The directory revision it last said it applied. */
  applied: number;
  restarts: number;
  timer: NodeJS.Timeout | null;
}

export interface SupervisorOptions {
  /** The `mailroom` script to run (bin/mailroom.js). */
  script: string;
  /** The server both children are: passed as --server, so neither guesses. */
  server: string;
  log: Logger;
}

export class Supervisor {
  private readonly children: Child[];
  private stopping = false;
  private announced = false;
  private readonly readyWaiters: (() => void)[] = [];
  /** The highest revision both processes have applied, as last logged. */
  private appliedLogged = -1;
  private failedStart: ((code: number) => void) | undefined;

  constructor(private readonly options: SupervisorOptions) {
    // The back end first: the front ends' first logons find it listening.
    this.children = (['backend', 'frontend'] as const).map((role) => ({
      role, process: null, startedAt: 0, delayMs: FIRST_DELAY_MS, ready: null, applied: -1, restarts: 0, timer: null,
    }));
  }

  /**
   * Starts both. A process that exits before the server was ever ready (a port taken, a bad
   * setting, no certificate) is not restarted: `onFailedStart` gets its exit status, after the
   * other has been stopped, and the message the process printed says why.
   */
  start(onFailedStart?: (code: number) => void): void {
    this.failedStart = onFailedStart;
    for (const child of this.children) this.spawn(child);
  }

  /** Resolves once both children have reported ready (the first time). */
  whenReady(): Promise<void> {
    if (this.announced) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** The pid of each role's process now (undefined while it is being restarted). */
  pids(): Record<ChildRole, number | undefined> {
    const of = (role: ChildRole) => this.children.find((c) => c.role === role)?.process?.pid;
    return { frontend: of('frontend'), backend: of('backend') };
  }

  restarts(role: ChildRole): number {
    return this.children.find((c) => c.role === role)?.restarts ?? 0;
  }

  private spawn(child: Child): void {
    const { script, server, log } = this.options;
    child.ready = null;
    child.startedAt = Date.now();
    const proc = fork(script, ['start', '--role', child.role, '--server', server], {
      env: { ...process.env, [SUPERVISED_ENV]: child.role },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.process = proc;
    proc.on('message', (message) => {
      if (isAppliedMessage(message) && message.role === child.role) {
        child.applied = Math.max(child.applied, message.revision);
        this.logAppliedByAll();
        return;
      }
      if (!isReadyMessage(message) || message.role !== child.role) return;
      child.ready = message;
      if (child.restarts > 0) log.info({ role: child.role, pid: proc.pid }, `the ${child.role} process is back`);
      this.announceWhenAllReady();
    });
    proc.once('exit', (code, signal) => {
      if (child.process === proc) child.process = null;
      if (this.stopping) return;
      if (!this.announced && child.restarts === 0) {
        log.error({ role: child.role, pid: proc.pid, code, signal }, `the ${child.role} process did not start (${signal ?? `code ${code}`}); stopping`);
        void this.stop().then(() => this.failedStart?.(code && code > 0 ? code : 1));
        return;
      }
      const ranMs = Date.now() - child.startedAt;
      if (ranMs >= HEALTHY_AFTER_MS) child.delayMs = FIRST_DELAY_MS;
      log.error({ role: child.role, pid: proc.pid, code, signal, restartInMs: child.delayMs },
        `the ${child.role} process exited (${signal ?? `code ${code}`}); starting it again in ${Math.round(child.delayMs / 1000)} s`);
      child.timer = setTimeout(() => {
        child.timer = null;
        if (this.stopping) return;
        child.restarts++;
        this.spawn(child);
      }, child.delayMs);
      child.delayMs = Math.min(MAX_DELAY_MS, child.delayMs * 2);
    });
  }

  /**
   * One "configuration revision N applied" line for the server, once both processes have
   * applied N: an admin (or a test) waiting for a change waits for the whole server.
   */
  private logAppliedByAll(): void {
    const revision = Math.min(...this.children.map((c) => c.applied));
    if (revision <= this.appliedLogged || !this.announced) return;
    this.appliedLogged = revision;
    this.options.log.info({ revision }, `configuration revision ${revision} applied`);
  }

  private announceWhenAllReady(): void {
    if (this.announced || this.children.some((c) => !c.ready)) return;
    this.announced = true;
    const [backend, frontend] = this.children.map((c) => c.ready!);
    const describe = (m: ReadyMessage) => Object.entries(m.services).map(([name, where]) => `${name} ${where}`).join('; ') || 'no services running';
    this.options.log.info(
      { server: frontend!.server, pids: this.pids(), services: { ...backend!.services, ...frontend!.services } },
      `Mailroom ready on ${frontend!.server} (${frontend!.fqdn}): front ends (pid ${this.pids().frontend}): ${describe(frontend!)}; back ends (pid ${this.pids().backend}): ${describe(backend!)}`,
    );
    for (const resolve of this.readyWaiters.splice(0)) resolve();
    this.logAppliedByAll();
  }

  /** Stops both processes (SIGTERM, then SIGKILL after a grace period) and waits for them. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const child of this.children) if (child.timer) clearTimeout(child.timer);
    // The front ends first, so no new session is handed to a back end that is going away.
    for (const role of ['frontend', 'backend'] as const) {
      const proc = this.children.find((c) => c.role === role)!.process;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) continue;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
  }
}
