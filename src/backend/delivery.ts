// Local delivery into the mailbox databases this process has open: the in-process side of the
// LocalDelivery seam (src/smtp/delivery.ts). Appends are durable when they resolve, so the SMTP
// service answers 250 only after every one of them has.
import type { Directory, Mailbox } from '../directory/directory.ts';
import type { DeliveryItem, DeliveryResult, LocalDelivery, MailboxQuota, QuotaLimit } from '../smtp/delivery.ts';
import { QuotaExceededError } from '../store/types.ts';
import type { MailboxDatabases } from './mailbox-databases.ts';
import { deliveries } from '../lib/metrics.ts';

export class MailboxDelivery implements LocalDelivery {
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

  private async deliverOne(item: DeliveryItem): Promise<DeliveryResult> {
    try {
      const store = await this.databases.storeFor(item.mailbox);
      const folders = await store.folders(item.mailbox.id);
      const wanted = item.folder === 'junk' ? folders.find((f) => f.role === 'junk') : undefined;
      const folder = wanted ?? folders.find((f) => f.role === 'inbox') ?? folders.find((f) => f.name === 'INBOX');
      if (!folder) return { address: item.address, ok: false, reason: 'failed', detail: 'the mailbox has no Inbox' };
      const appended = await store.append(folder.id, { raw: item.message });
      deliveries.inc({ result: 'ok' });
      return { address: item.address, ok: true, uid: appended.uid };
    } catch (err) {
      deliveries.inc({ result: err instanceof QuotaExceededError ? 'quota' : 'failed' });
      if (err instanceof QuotaExceededError) return { address: item.address, ok: false, reason: 'quota', detail: err.message };
      return { address: item.address, ok: false, reason: 'failed', detail: err instanceof Error ? err.message : String(err) };
    }
  }
}
