// The LocalDelivery the smtp service uses: a mailbox whose database is mounted on this server is
// delivered to in-process (MailboxDelivery); one whose database is on another server goes to that
// server's mail delivery port over LMTP (NetworkDelivery). On one machine every database is
// local and nothing goes over the network.
import type { Certificate, Directory, Mailbox } from '../directory/directory.ts';
import type { Logger } from '../lib/log.ts';
import type { DeliveryItem, DeliveryResult, LocalDelivery, MailboxQuota } from '../smtp/delivery.ts';
import { LmtpClient, type LmtpTarget, type RecipientReply } from './lmtp-client.ts';
import { DELIVERY_PORT, DELIVERY_SERVICE, parseQuotaReply, returnPathOf, uidOf } from './lmtp-wire.ts';
import { serverTarget } from '../directory/server-trust.ts';
import { MailboxUnavailable } from '../directory/mailbox-locator.ts';

const notAttempted = (address: string): DeliveryResult => ({ address, ok: false, reason: 'failed', detail: 'not attempted' });

/**
 * Delivers `items` as runs of consecutive items (`joins` says whether the next item goes with the
 * run so far), one run after another; once a run has a failure, the items after it are reported
 * not attempted, as LocalDelivery.deliver promises.
 */
async function deliverInRuns(
  items: readonly DeliveryItem[],
  joins: (run: readonly DeliveryItem[], next: DeliveryItem) => boolean | Promise<boolean>,
  deliverRun: (run: DeliveryItem[]) => Promise<DeliveryResult[]>,
): Promise<DeliveryResult[]> {
  const results: DeliveryResult[] = [];
  let i = 0;
  while (i < items.length) {
    if (results.some((r) => !r.ok)) {
      results.push(notAttempted(items[i]!.address));
      i++;
      continue;
    }
    const run = [items[i]!];
    while (i + run.length < items.length && (await joins(run, items[i + run.length]!))) run.push(items[i + run.length]!);
    results.push(...(await deliverRun(run)));
    i += run.length;
  }
  return results;
}

/** A per-recipient LMTP reply as a delivery result. */
export function resultOf(reply: RecipientReply): DeliveryResult {
  if (reply.code >= 200 && reply.code < 300) return { address: reply.address, ok: true, uid: uidOf(reply.line) };
  const quota = reply.code === 452 || /^\d{3}[ -][45]\.2\.2\b/.test(reply.line);
  return { address: reply.address, ok: false, reason: quota ? 'quota' : 'failed', detail: reply.line };
}

export interface NetworkDeliveryOptions {
  directory: Directory;
  /** This server: its certificate is the client certificate, its FQDN the LHLO name. */
  serverName: string;
  log: Logger;
  /** Used for the port when the target server has not reported one: 2525 + this offset. */
  portOffset: number;
  pickCertificate(certificates: Certificate[], service: 'SMTP', name: string | null): Certificate | undefined;
  client?: LmtpClient;
}

/** Delivery into mailbox databases mounted on other servers, over their delivery port. */
export class NetworkDelivery implements LocalDelivery {
  readonly client: LmtpClient;

  constructor(private readonly options: NetworkDeliveryOptions) {
    this.client = options.client ?? new LmtpClient({
      log: options.log,
      identity: async () => {
        const me = await options.directory.server(options.serverName);
        const cert = options.pickCertificate(await options.directory.certificates(me.name), 'SMTP', me.fqdn);
        if (!cert) throw new Error(`${me.name} has no certificate to prove itself to the other servers; run New-ExchangeCertificate`);
        return { name: me.fqdn, certPem: cert.certPem, keyPem: cert.keyPem };
      },
    });
  }

  /** Where the server holding a database takes deliveries. */
  async targetFor(serverName: string): Promise<LmtpTarget> {
    return serverTarget(this.options.directory, serverName, DELIVERY_SERVICE, DELIVERY_PORT + this.options.portOffset, this.options.serverName);
  }

  private async serverOf(mailbox: Mailbox): Promise<string> {
    return (await this.options.directory.mailboxDatabase(mailbox.database)).server;
  }

  async quota(mailbox: Mailbox): Promise<MailboxQuota> {
    // A dismounted database is known here already: the client gets the same 4.4.0 reply as
    // from the process that would have opened it, without a connection to its server.
    const database = await this.options.directory.mailboxDatabase(mailbox.database);
    if (!database.mounted) throw new MailboxUnavailable(mailbox.primarySmtpAddress, database.name, database.server, 'dismounted');
    const target = await this.targetFor(database.server);
    const line = await this.client.quota(target, mailbox.primarySmtpAddress);
    const quota = line.startsWith('250') ? parseQuotaReply(line) : undefined;
    if (!quota) throw new Error(`quota of ${mailbox.primarySmtpAddress} from ${target.server}: ${line}`);
    return quota;
  }

  /**
   * Consecutive items for the same server with the same bytes and folder travel as one LMTP
   * transaction with a reply per recipient; within a transaction every recipient is attempted.
   * After a transaction with a failure, the items after it are not attempted.
   */
  async deliver(items: readonly DeliveryItem[]): Promise<DeliveryResult[]> {
    const sameTransaction = async (run: readonly DeliveryItem[], next: DeliveryItem) => {
      const first = run[0]!;
      if ((next.folder ?? 'inbox') !== (first.folder ?? 'inbox') || !next.message.equals(first.message)) return false;
      if (run.some((r) => r.address.toLowerCase() === next.address.toLowerCase())) return false;
      return (await this.serverOf(next.mailbox)).toLowerCase() === (await this.serverOf(first.mailbox)).toLowerCase();
    };
    return deliverInRuns(items, sameTransaction, async (batch) => {
      const first = batch[0]!;
      const server = await this.serverOf(first.mailbox);
      const target = await this.targetFor(server);
      const replies = await this.client.deliver(target, {
        sender: returnPathOf(first.message), recipients: batch.map((b) => b.address), message: first.message, folder: first.folder ?? 'inbox',
      });
      const failed = replies.filter((r) => r.code < 200 || r.code >= 300);
      if (failed.length > 0) this.options.log.warn({ server, failures: failed.map((r) => ({ address: r.address, reply: r.line })) }, 'smtp: delivery to another server failed for some recipients');
      return replies.map(resultOf);
    });
  }

  close(): void {
    this.client.close();
  }
}

export interface DeliveryRouterOptions extends NetworkDeliveryOptions {
  /** The in-process delivery into the databases mounted here. */
  local: LocalDelivery;
  /**
   * False in a front-end-only process: mail for this server's own databases goes to its
   * back-end process's delivery port, which has them open (and whose IMAP4 sessions then see
   * the new mail at once), as mail for another server does.
   */
  opensMailboxes?: boolean;
  /** The delivery for the other servers; a NetworkDelivery over `options` when absent. */
  network?: LocalDelivery & { close?(): void };
}

export class DeliveryRouter implements LocalDelivery {
  private readonly network: LocalDelivery & { close?(): void };

  constructor(private readonly options: DeliveryRouterOptions) {
    this.network = options.network ?? new NetworkDelivery(options);
  }

  /** Whether the mailbox's database is mounted on this server. */
  async isLocal(mailbox: Mailbox): Promise<boolean> {
    if (this.options.opensMailboxes === false) return false;
    const database = await this.options.directory.mailboxDatabase(mailbox.database);
    return database.server.toLowerCase() === this.options.serverName.toLowerCase();
  }

  async quota(mailbox: Mailbox): Promise<MailboxQuota> {
    return (await this.isLocal(mailbox)) ? this.options.local.quota(mailbox) : this.network.quota(mailbox);
  }

  /** Runs of local and remote items go to their delivery in order; after a failure the rest is not attempted. */
  async deliver(items: readonly DeliveryItem[]): Promise<DeliveryResult[]> {
    const local = new Map<DeliveryItem, boolean>();
    for (const item of items) local.set(item, await this.isLocal(item.mailbox));
    if ([...local.values()].every((l) => l)) return this.options.local.deliver(items);
    return deliverInRuns(items, (run, next) => local.get(next) === local.get(run[0]!),
      (run) => (local.get(run[0]!) ? this.options.local : this.network).deliver(run));
  }

  close(): void {
    this.network.close?.();
  }
}
