// Runs the recomputation of imported crypt-style hashes on one worker thread (slow-hash-worker),
// started at the first such logon and left alone while idle. One thread, one hash at a time:
// imported hashes are checked once per user before Mailroom's own replaces them, so a queue is
// enough, and a burst of them cannot take more than one core from the sessions.
import { Worker } from 'node:worker_threads';

export type SlowHashRequest = { id: number; password: string } & (
  | { kind: 'bcrypt' | 'sha-crypt' | 'md5-crypt'; setting: string }
  | { kind: 'argon2i' | 'argon2id'; salt: Uint8Array; iterations: number; memoryKiB: number; parallelism: number; hashLength: number }
);

export type SlowHashReply = { id: number; result: string | Uint8Array; error?: undefined } | { id: number; error: string; result?: undefined };

type Job = SlowHashRequest extends infer R ? (R extends SlowHashRequest ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve: (result: string | Uint8Array) => void;
  reject: (err: Error) => void;
}

class SlowHashThread {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  run(job: Job): Promise<string | Uint8Array> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // Held while it has work, so a command waiting only for a hash is not ended early.
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...job, id } as SlowHashRequest);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./slow-hash-worker.mjs', import.meta.url));
    worker.on('message', (reply: SlowHashReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (reply.error !== undefined) p.reject(new Error(reply.error));
      else p.resolve(reply.result);
    });
    const lost = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const [id, p] of [...this.pending]) {
        this.pending.delete(id);
        p.reject(new Error(reason));
      }
    };
    worker.on('error', (err) => lost(`the password hash worker failed: ${err.message}`));
    worker.on('exit', (code) => lost(`the password hash worker exited (${code})`));
    // Idle, it does not keep the process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

const thread = new SlowHashThread();

/** Computes one crypt-style hash on the worker thread. Rejects if the worker fails. */
export function computeSlowHash(job: Job): Promise<string | Uint8Array> {
  return thread.run(job);
}
