// Local delivery into the mailbox databases this process has open: the in-process side of the
// LocalDelivery seam (src/smtp/delivery.ts). Appends are durable when they resolve, so the SMTP
// service answers 250 only after every one of them has.
import type { Directory, Mailbox } from '../directory/directory.ts';
import type { DeliveryItem, DeliveryResult, LocalDelivery, MailboxQuota, QuotaLimit } from '../smtp/delivery.ts';
import { FolderError, QuotaExceededError, type MailStore } from '../store/types.ts';
import type { MailboxDatabases } from './mailbox-databases.ts';
import { deliveries } from '../lib/metrics.ts';

export class MailboxDelivery implements LocalDelivery {
  /** Folder ids by mailbox and target, so that a delivery is not a folder listing too. */
  private readonly folderIds = new Map<string, number>();

  constructor(
    private readonly directory: Directory,
    private readonly databases: MailboxDatabases,
  ) {}

  async quota(mailbox: Mailbox): Promise<MailboxQuota> {
    const store = await this.databases.storeFor(mailbox);
    const usage = await store.usage(mailbox.id);
    return { usage: usage.bytes, ...(await this.databases.quotasOf(mailbox)) };
  }

  async deliver(items: readonly DeliveryItem[]): Promise<DeliveryResult[]> {
    const results: DeliveryResult[] = [];
    for (const item of items) {
      if (results.some((r) => !r.ok)) {
        results.push({ address: item.address, ok: false, reason: 'failed', detail: 'not attempted' });
        continue;
      }
      results.push(await this.deliverOne(item));
    }
    return results;
  }

  /** The folder a delivery goes to: Junk Email for DMARC quarantine, else the Inbox. */
  private async folderFor(store: MailStore, item: DeliveryItem, key: string): Promise<number | undefined> {
    const cached = this.folderIds.get(key);
    if (cached !== undefined) return cached;
    const folders = await store.folders(item.mailbox.id);
    const wanted = item.folder === 'junk' ? folders.find((f) => f.role === 'junk') : undefined;
    const folder = wanted ?? folders.find((f) => f.role === 'inbox') ?? folders.find((f) => f.name === 'INBOX');
    if (!folder) return undefined;
    if (this.folderIds.size > 100_000) this.folderIds.clear();
    this.folderIds.set(key, folder.id);
    return folder.id;
  }

  private async deliverOne(item: DeliveryItem): Promise<DeliveryResult> {
    try {
      const store = await this.databases.storeFor(item.mailbox);
      const key = `${item.mailbox.id}/${item.folder ?? 'inbox'}`;
      let appended;
      for (let attempt = 0; ; attempt++) {
        const folderId = await this.folderFor(store, item, key);
        if (folderId === undefined) return { address: item.address, ok: false, reason: 'failed', detail: 'the mailbox has no Inbox' };
        try {
          appended = await store.append(folderId, { raw: item.message });
          break;
        } catch (err) {
          // A remembered folder that is gone (Junk Email deleted): look it up again, once.
          this.folderIds.delete(key);
          if (!(err instanceof FolderError && err.code === 'not-found') || attempt > 0) throw err;
        }
      }
      deliveries.inc({ result: 'ok' });
      return { address: item.address, ok: true, uid: appended.uid };
    } catch (err) {
      deliveries.inc({ result: err instanceof QuotaExceededError ? 'quota' : 'failed' });
      if (err instanceof QuotaExceededError) return { address: item.address, ok: false, reason: 'quota', detail: err.message };
      return { address: item.address, ok: false, reason: 'failed', detail: err instanceof Error ? err.message : String(err) };
    }
  }
}
