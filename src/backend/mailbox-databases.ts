// The mailbox databases a process has open, with the directory's quotas and retention plugged
// in. Mailboxes get their default folders the first time anything opens them, named in the
// language the directory has for them.
import type { Directory, Mailbox } from '../directory/directory.ts';
import { openMailStore } from '../store/open.ts';
import type { MailStore } from '../store/types.ts';

export class MailboxDatabases {
  private readonly open = new Map<string, Promise<MailStore>>();
  private readonly provisioned = new Set<string>();

  constructor(private readonly directory: Directory) {}

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

  async database(name: string): Promise<MailStore> {
    let store = this.open.get(name);
    if (!store) {
      store = (async () => {
        const db = await this.directory.mailboxDatabase(name);
        return openMailStore(db.name, db.engine, {
          quotaLimit: (id) => this.quotaLimit(id),
          retentionSeconds: db.settings.DeletedItemRetention as number,
        });
      })();
      this.open.set(name, store);
      store.catch(() => this.open.delete(name));
    }
    return store;
  }

  /** The store holding a mailbox, with its default folders in place. */
  async storeFor(mailbox: Mailbox): Promise<MailStore> {
    const store = await this.database(mailbox.database);
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

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const s of all) await (await s.catch(() => undefined))?.close();
  }
}
