// Runs the import requests of the mailboxes whose database this server has (Exchange's Mailbox
// Replication service does this for New-MailboxImportRequest). Every second it looks for
// requests Queued — or InProgress with nobody running them, which is a request a stopped or
// crashed server was running: the import engine makes going on from where it was safe. One
// request at a time per server; progress is saved every second; a removed request stops
// within a second.
import type { Directory, Mailbox } from '../directory/directory.ts';
import type { Logger } from '../lib/log.ts';
import type { MailStore } from '../store/types.ts';
import { importMailbox, type ImportProgress } from './importer.ts';
import { ImportRequests, type ImportRequest, type RequestProgress } from './import-requests.ts';
import { openSource } from './open-source.ts';

const POLL_MS = 1000;
const SAVE_EVERY_MS = 1000;

export interface ImportRunnerDeps {
  directory: Directory;
  log: Logger;
  /** The store of a mailbox whose database is mounted on this server, or null when it is elsewhere. */
  storeFor(mailbox: Mailbox): Promise<MailStore | null>;
}

export class ImportRunner {
  private readonly requests: ImportRequests;
  private timer: NodeJS.Timeout | undefined;
  private running: { id: string; stop: AbortController; done: Promise<void> } | null = null;
  private polling = false;
  private stopped = false;

  constructor(private readonly deps: ImportRunnerDeps) {
    this.requests = new ImportRequests(deps.directory);
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.timer.unref();
    void this.poll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const current = this.running;
    // The request stays InProgress: the next start goes on with it.
    current?.stop.abort(new Error('The server stopped; the request goes on when it starts again.'));
    await current?.done;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      if (this.running) {
        // Removed while running: stop it.
        if (!(await this.requests.get(this.running.id))) this.running.stop.abort(new Error('The request was removed.'));
        return;
      }
      const waiting = await this.requests.list({ status: ['InProgress', 'Queued'] });
      // Requests a previous run of this server left InProgress go first.
      waiting.sort((a, b) => Number(b.status === 'InProgress') - Number(a.status === 'InProgress'));
      for (const request of waiting) {
        const mailbox = await this.deps.directory.mailboxById(request.mailboxId);
        if (!mailbox) {
          await this.requests.finish(request.id, 'Failed', request.progress, [], 'The target mailbox no longer exists.');
          continue;
        }
        const store = await this.deps.storeFor(mailbox);
        if (!store) continue;
        const stop = new AbortController();
        const done = this.run(request, mailbox, store, stop.signal).finally(() => { this.running = null; });
        this.running = { id: request.id, stop, done };
        break;
      }
    } catch (err) {
      this.deps.log.error({ err }, 'import requests: polling failed');
    } finally {
      this.polling = false;
    }
  }

  private async run(request: ImportRequest, mailbox: Mailbox, store: MailStore, signal: AbortSignal): Promise<void> {
    const log = this.deps.log;
    await this.requests.start(request.id);
    log.info({ request: request.name, mailbox: mailbox.name, path: request.filePath }, request.status === 'InProgress' ? 'import request resumed' : 'import request started');
    let last = 0;
    let progress: RequestProgress = request.progress;
    // A resumed request counts what its earlier run transferred (as last saved) too.
    const base = request.status === 'InProgress' ? request.progress : { itemsTransferred: 0, bytesTransferred: 0 };
    const onProgress = (p: ImportProgress): void => {
      progress = {
        messagesTotal: p.messagesTotal, messagesDone: p.messagesDone, bytesTotal: p.bytesTotal,
        itemsTransferred: base.itemsTransferred + p.itemsTransferred, bytesTransferred: base.bytesTransferred + p.bytesTransferred, badItems: progress.badItems,
      };
      const now = Date.now();
      if (now - last < SAVE_EVERY_MS) return;
      last = now;
      this.requests.saveProgress(request.id, progress).catch((err) => log.error({ err }, 'import request: saving progress failed'));
    };
    const o = request.options;
    const source = openSource(request.sourceKind, request.filePath, o, this.deps.directory.secrets);
    const report = await importMailbox(store, mailbox.id, source, {
      ...(o.sourceRootFolder ? { sourceRootFolder: o.sourceRootFolder } : {}),
      ...(o.targetRootFolder ? { targetRootFolder: o.targetRootFolder } : {}),
      ...(o.includeFolders ? { includeFolders: o.includeFolders } : {}),
      ...(o.excludeFolders ? { excludeFolders: o.excludeFolders } : {}),
      badItemLimit: o.badItemLimit, onProgress, signal,
    });
    await source.close?.();
    if (signal.aborted && !(await this.requests.get(request.id))) return;
    if (signal.aborted && this.stopped) return; // left InProgress, to go on at the next start
    progress = {
      messagesTotal: report.messagesTotal, messagesDone: report.messagesTotal, bytesTotal: report.bytesTotal,
      itemsTransferred: base.itemsTransferred + report.itemsTransferred, bytesTransferred: base.bytesTransferred + report.bytesTransferred, badItems: report.badItems,
    };
    await this.requests.finish(request.id, report.status, progress, report.folders, report.failure ?? null);
    log.info({ request: request.name, mailbox: mailbox.name, status: report.status, items: report.itemsTransferred, bad: report.badItems }, 'import request finished');
  }
}
