// The mailbox databases a process has open, with the directory's quotas and retention plugged
// in. Mailboxes get their default folders the first time anything opens them, named in the
// language the directory has for them.
//
// Only databases mounted on this server are opened, and each opening asks the mailbox locator
// first: a database of another server, or a dismounted one, is a MailboxUnavailable (a temporary
// error for the client), never an empty local copy that mail would split into.
import { DirectoryError, type Directory, type Mailbox } from '../directory/directory.ts';
import { MailboxLocator, MailboxUnavailable } from '../directory/mailbox-locator.ts';
import { openMailStore } from '../store/open.ts';
import type { MailStore } from '../store/types.ts';

export class MailboxDatabases {
  private readonly open = new Map<string, Promise<MailStore>>();
  private readonly provisioned = new Set<string>();
  private locatorPromise: Promise<MailboxLocator> | undefined;

  /** `localServer`: the server this process is; resolved from the directory (server identity) when left out. */
  constructor(
    private readonly directory: Directory,
    private readonly localServer?: string,
    /** False in a front-end-only process: it opens no database (MailboxLocator.opensMailboxes). */
    private readonly opensMailboxes = true,
  ) {}

  /** The mailbox locator for this server. */
  locator(): Promise<MailboxLocator> {
    this.locatorPromise ??= (async () => new MailboxLocator(this.directory, this.localServer ?? (await this.directory.localServer()).name, this.opensMailboxes))();
    this.locatorPromise.catch(() => { this.locatorPromise = undefined; });
    return this.locatorPromise;
  }

  /** ProhibitSendReceiveQuota in force for a mailbox: its own, or its database's when it uses the defaults. */
  async quotaLimit(mailboxId: string): Promise<number | 'unlimited'> {
    const mailbox = await this.directory.mailboxById(mailboxId);
    return mailbox ? (await this.quotasOf(mailbox)).prohibitSendReceive : 'unlimited';
  }

  /** ProhibitSendQuota and ProhibitSendReceiveQuota in force for a mailbox already looked up. */
  async quotasOf(mailbox: Mailbox): Promise<{ prohibitSend: number | 'unlimited'; prohibitSendReceive: number | 'unlimited' }> {
    const own = mailbox.settings;
    if (own.UseDatabaseQuotaDefaults === false) {
      return { prohibitSend: own.ProhibitSendQuota as number | 'unlimited', prohibitSendReceive: own.ProhibitSendReceiveQuota as number | 'unlimited' };
    }
    const db = (await this.directory.mailboxDatabase(mailbox.database)).settings;
    return { prohibitSend: db.ProhibitSendQuota as number | 'unlimited', prohibitSendReceive: db.ProhibitSendReceiveQuota as number | 'unlimited' };
  }

  /** A database mounted on this server, opened on first use; MailboxUnavailable for any other. */
  async database(name: string): Promise<MailStore> {
    const db = await (await this.locator()).requireLocalDatabase(name);
    let store = this.open.get(db.name);
    if (!store) {
      store = (async () => {
        return openMailStore(db.name, db.engine, {
          quotaLimit: (id) => this.quotaLimit(id),
          retentionSeconds: db.settings.DeletedItemRetention as number,
        });
      })();
      this.open.set(db.name, store);
      store.catch(() => this.open.delete(db.name));
    }
    return store;
  }

  /**
   * The store holding a mailbox, with its default folders in place; MailboxUnavailable (naming
   * the server that has it) when its database is not mounted here.
   */
  async storeFor(mailbox: Mailbox): Promise<MailStore> {
    const store = await this.database(mailbox.database).catch((err: unknown) => {
      throw err instanceof MailboxUnavailable ? new MailboxUnavailable(mailbox.primarySmtpAddress, err.database, err.server, err.reason) : err;
    });
    if (!this.provisioned.has(mailbox.id)) {
      const language = (mailbox.settings.Languages as string[])[0] ?? 'en-US';
      await store.provisionMailbox(mailbox.id, language);
      this.provisioned.add(mailbox.id);
    }
    return store;
  }

  async purgeExpired(): Promise<number> {
    let n = 0;
    for (const store of this.open.values()) n += await (await store).purgeExpired();
    return n;
  }

  /** Whether a database is mounted on this server now. */
  async mountedHere(name: string): Promise<boolean> {
    const locator = await this.locator();
    return locator.requireLocalDatabase(name).then(() => true, (err: unknown) => {
      // Dismounted, elsewhere, or removed; a directory that cannot be read is not an answer.
      if (err instanceof MailboxUnavailable || err instanceof DirectoryError) return false;
      throw err;
    });
  }

  /**
   * Closes the open databases that are no longer mounted here (Dismount-Database, or moved to
   * another server); the host calls it at each directory revision. Returns their names.
   */
  async closeUnmounted(): Promise<string[]> {
    const closed: string[] = [];
    for (const [name, store] of [...this.open]) {
      if (await this.mountedHere(name)) continue;
      this.open.delete(name);
      closed.push(name);
      await (await store.catch(() => undefined))?.close();
    }
    return closed;
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const s of all) await (await s.catch(() => undefined))?.close();
  }
}
