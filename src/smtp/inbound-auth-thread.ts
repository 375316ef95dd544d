// The main thread's side of the mailauth worker (inbound-auth-worker.ts): it sends each message
// to check, answers the worker's DNS lookups with the service's resolver, and hands back what
// the policy decision needs. The worker starts with the first check and is started again if it
// dies; checks it was running then fail, and the message is delivered without a verdict.
import { Worker } from 'node:worker_threads';
import type { DnsResolver } from './dns.ts';
import type { AuthDmarc, AuthReply, AuthRequest } from './inbound-auth-worker.ts';

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

export class InboundAuthThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: (o: AuthOutcome) => void; reject: (err: Error) => void }>();
  private next = 0;
  private closed = false;

  constructor(private readonly resolver: DnsResolver) {}

  run(input: AuthInput): Promise<AuthOutcome> {
    if (this.closed) return Promise.reject(new Error('the inbound checks have stopped'));
    const worker = this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'check', id, ...input } satisfies AuthRequest);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll('the inbound checks have stopped');
    await worker?.terminate();
  }

  private failAll(reason: string): void {
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./inbound-auth-worker.mjs', import.meta.url));
    worker.on('message', (m: AuthReply) => {
      if (m.type === 'dns') {
        this.resolver(m.name, m.rrtype).then(
          (answer) => worker.postMessage({ type: 'dns-answer', id: m.id, answer } satisfies AuthRequest),
          (err: Error & { code?: string }) =>
            worker.postMessage({ type: 'dns-answer', id: m.id, error: { message: err.message, ...(err.code ? { code: err.code } : {}) } } satisfies AuthRequest),
        );
        return;
      }
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (!p) return;
      if (m.type === 'result') p.resolve({ headers: m.headers, dmarc: m.dmarc, passed: m.passed });
      else p.reject(new Error(m.message));
    });
    const lost = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(reason);
    };
    worker.on('error', (err) => lost(`the inbound check worker failed: ${err.message}`));
    worker.on('exit', (code) => lost(`the inbound check worker exited (${code})`));
    // Sessions waiting for a verdict keep the process alive, not the worker.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}
