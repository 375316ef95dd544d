// The main thread's side of the full-text index (index.db): it starts the indexer worker when
// there is something to index or a search to answer, wakes it after commits that queued work,
// and lets a search wait until every operation queued so far is in the index, so SEARCH sees
// the same messages it would see with indexing done inside the append transaction.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { existsSync, rmSync } from 'node:fs';
import { TEXT_INDEX_SCHEMA, TEXT_INDEX_VERSION } from './schema.ts';
import { ensurePrivateFile } from '../../lib/private-files.ts';
import type { TextIndexMessage, TextIndexWorkerData } from './text-index-worker.ts';

/** How long a search waits for the indexer before it fails rather than answer from a stale index. */
const CATCH_UP_TIMEOUT_MS = 60_000;
/** How soon a worker that died is started again. */
const RESTART_MS = 1000;

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class TextIndexUnavailable extends Error {}

export class TextIndex {
  private worker: Worker | undefined;
  private progress = 0;
  private waiters: Waiter[] = [];
  private closed = false;
  private lastError = '';
  /** A wake-up is on its way or being worked on: the worker reports progress after it. */
  private wakeSent = false;

  constructor(
    private readonly folder: string,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  /**
   * Creates index.db's tables, so that readers can attach it before the worker first runs.
   * Returns false when the index had to be started afresh (none yet, or another layout version),
   * and so every message must be queued for it.
   */
  static prepare(folder: string): boolean {
    const path = join(folder, 'index.db');
    let current = false;
    if (existsSync(path)) {
      const old = new Database(path);
      try {
        current = old.pragma('user_version', { simple: true }) === TEXT_INDEX_VERSION;
      } finally {
        old.close();
      }
      if (!current) for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    }
    ensurePrivateFile(path);
    const db = new Database(path);
    try {
      // 16 KB pages for a new index: message_text's rows are a few KB each, and on 4 KB pages a
      // fifth of the file was the unused ends of their pages (bench/store/disk.ts, docs/
      // benchmarks.md). Set before WAL, which fixes the page size; an existing file keeps its own.
      db.pragma('page_size = 16384');
      db.pragma('journal_mode = WAL');
      db.exec(TEXT_INDEX_SCHEMA);
      db.pragma(`user_version = ${TEXT_INDEX_VERSION}`);
    } finally {
      db.close();
    }
    return current;
  }

  /** The last queue seq known to be in the index. */
  get indexed(): number {
    return this.progress;
  }

  /** Work was queued and committed: have it indexed soon. */
  wake(): void {
    // One message per batch of work, not per commit: a busy worker goes on to the next batch
    // by itself, and reports progress after each, which re-arms this.
    if (this.closed || (this.wakeSent && this.worker)) return;
    this.wakeSent = true;
    this.start().postMessage('soon');
  }

  /** A search is waiting: index what is queued without gathering more first. */
  private hurry(): void {
    if (this.closed) return;
    this.start().postMessage('now');
  }

  /** Resolves once every queue operation up to `seq` is in the index. */
  caughtUp(seq: number): Promise<void> {
    if (seq <= this.progress) return Promise.resolve();
    if (this.closed) return Promise.reject(new TextIndexUnavailable('the mailbox database is closed'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        seq, resolve, reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new TextIndexUnavailable(`the full-text index is behind and not catching up${this.lastError ? `: ${this.lastError}` : ''}`));
        }, CATCH_UP_TIMEOUT_MS),
      };
      this.waiters.push(waiter);
      this.hurry();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new TextIndexUnavailable('the mailbox database is closed'));
    }
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const data: TextIndexWorkerData = { folder: this.folder };
    const worker = new Worker(new URL('./text-index-worker.mjs', import.meta.url), { workerData: data });
    worker.on('message', (m: TextIndexMessage) => {
      if (m.type === 'progress') {
        this.wakeSent = false;
        this.progress = Math.max(this.progress, m.seq);
        this.settle();
        // A search waits for operations the worker had not seen when it looked.
        if (this.waiters.length > 0) this.hurry();
      } else if (m.message !== this.lastError) {
        this.lastError = m.message;
        this.onError(m.message);
      }
    });
    const lost = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.wakeSent = false;
      if (this.closed) return;
      this.onError(reason);
      if (this.waiters.length > 0) setTimeout(() => this.waiters.length > 0 && this.hurry(), RESTART_MS).unref();
    };
    worker.on('error', (err) => lost(`the indexer stopped: ${err.message}`));
    worker.on('exit', (code) => lost(`the indexer exited (${code})`));
    // The index is kept on disk: a process may exit with work queued; the next one catches up.
    // (After the listeners: adding a 'message' listener refs the worker again.)
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private settle(): void {
    const ready = this.waiters.filter((w) => w.seq <= this.progress);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seq > this.progress);
    for (const w of ready) {
      clearTimeout(w.timer);
      w.resolve();
    }
  }
}
