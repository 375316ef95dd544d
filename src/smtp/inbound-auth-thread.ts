// The main thread's side of the mailauth worker (inbound-auth-worker.ts): it sends each message
// to check, answers the worker's DNS lookups with the service's resolver, and hands back what
// the policy decision needs. The worker starts with the first check and is started again if it
// dies; checks it was running then fail, and the message is delivered without a verdict.
//
// Each check has a time limit (CHECK_TIME_LIMIT_MS), counted from when the worker is ready to
// take it. A check past its limit fails with InboundCheckTimeout, and the worker is replaced:
// it may be spinning on that message (a header built to be slow to parse), and every message
// after it would wait. The other checks it had in hand are sent to the new worker once; one
// caught in a second replacement fails with InboundCheckTimeout too.
import { Worker } from 'node:worker_threads';
import type { DnsResolver } from './dns.ts';
import type { AuthDmarc, AuthReply, AuthRequest } from './inbound-auth-worker.ts';

/** SPF, DKIM, DMARC and ARC of one message: a few DNS lookups and signature checks. */
export const CHECK_TIME_LIMIT_MS = 30_000;

export interface AuthInput {
  message: Buffer;
  ip: string;
  helo: string;
  sender: string;
  mta: string;
}

export interface AuthOutcome {
  headers: string;
  dmarc: AuthDmarc | null;
  /** Domains SPF, DKIM or DMARC passed for (inbound-auth-worker.ts passedDomains). */
  passed: string[];
}

/** A check that did not finish within its time limit. */
export class InboundCheckTimeout extends Error {
  constructor(readonly limitMs: number) {
    super(`the inbound checks took longer than ${limitMs} ms`);
  }
}

export interface InboundAuthThreadOptions {
  /** Per message, from when the worker is ready; CHECK_TIME_LIMIT_MS by default. */
  timeLimitMs?: number;
}

interface PendingCheck {
  input: AuthInput;
  resolve: (o: AuthOutcome) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** Already sent again after a replacement. */
  resent: boolean;
}

export class InboundAuthThread {
  private worker: Worker | undefined;
  /** The current worker has loaded mailauth and listens: time limits run from then. */
  private ready = false;
  private readonly pending = new Map<number, PendingCheck>();
  private next = 0;
  private closed = false;
  private readonly timeLimitMs: number;
  /** Workers replaced because a check ran out of time. */
  replacements = 0;

  constructor(
    private readonly resolver: DnsResolver,
    options: InboundAuthThreadOptions = {},
  ) {
    this.timeLimitMs = options.timeLimitMs ?? CHECK_TIME_LIMIT_MS;
  }

  /** The thread id of the running worker, if one runs. */
  get workerThreadId(): number | undefined {
    return this.worker?.threadId;
  }

  run(input: AuthInput): Promise<AuthOutcome> {
    if (this.closed) return Promise.reject(new Error('the inbound checks have stopped'));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { input, resolve, reject, timer: undefined, resent: false });
      this.send(id);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll((p) => p.reject(new Error('the inbound checks have stopped')));
    await worker?.terminate();
  }

  private send(id: number): void {
    const p = this.pending.get(id)!;
    const worker = this.start();
    worker.postMessage({ type: 'check', id, ...p.input } satisfies AuthRequest);
    if (this.ready) this.startClock(id);
  }

  private startClock(id: number): void {
    const p = this.pending.get(id);
    if (!p || p.timer) return;
    p.timer = setTimeout(() => this.timedOut(id), this.timeLimitMs);
    // The session waiting for the verdict keeps the process alive, not this timer.
    p.timer.unref();
  }

  private settle(id: number): PendingCheck | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    clearTimeout(p.timer);
    return p;
  }

  private failAll(fail: (p: PendingCheck) => void): void {
    for (const id of [...this.pending.keys()]) fail(this.settle(id)!);
  }

  private timedOut(id: number): void {
    this.settle(id)?.reject(new InboundCheckTimeout(this.timeLimitMs));
    const stuck = this.worker;
    this.worker = undefined;
    this.ready = false;
    this.replacements++;
    void stuck?.terminate();
    // The others it was working on go to a new worker, once, with a fresh limit.
    for (const [other, p] of [...this.pending]) {
      clearTimeout(p.timer);
      p.timer = undefined;
      if (p.resent) {
        this.settle(other)!.reject(new InboundCheckTimeout(this.timeLimitMs));
      } else {
        p.resent = true;
        this.send(other);
      }
    }
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./inbound-auth-worker.mjs', import.meta.url));
    worker.on('message', (m: AuthReply) => {
      if (this.worker !== worker) return; // replaced: its answers no longer count
      if (m.type === 'ready') {
        this.ready = true;
        for (const id of this.pending.keys()) this.startClock(id);
        return;
      }
      if (m.type === 'dns') {
        this.resolver(m.name, m.rrtype).then(
          (answer) => this.worker === worker && worker.postMessage({ type: 'dns-answer', id: m.id, answer } satisfies AuthRequest),
          (err: Error & { code?: string }) =>
            this.worker === worker &&
            worker.postMessage({ type: 'dns-answer', id: m.id, error: { message: err.message, ...(err.code ? { code: err.code } : {}) } } satisfies AuthRequest),
        );
        return;
      }
      const p = this.settle(m.id);
      if (!p) return;
      if (m.type === 'result') p.resolve({ headers: m.headers, dmarc: m.dmarc, passed: m.passed });
      else p.reject(new Error(m.message));
    });
    const lost = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.ready = false;
      this.failAll((p) => p.reject(new Error(reason)));
    };
    worker.on('error', (err) => lost(`the inbound check worker failed: ${err.message}`));
    worker.on('exit', (code) => lost(`the inbound check worker exited (${code})`));
    // Sessions waiting for a verdict keep the process alive, not the worker.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
