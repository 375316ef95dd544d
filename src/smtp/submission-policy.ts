// The rules for authenticated submission (Exchange's ExchangeUsers permission group): who may
// appear as the sender, and how many messages a user may submit per minute.
import type { Directory, Mailbox } from '../directory/directory.ts';

/**
 * Whether `user` may send as `address`: one of its own addresses, or an address of a mailbox it
 * has SendAs on (Add-ADPermission -ExtendedRights Send-As in Exchange; Add-MailboxPermission
 * -AccessRights SendAs here). FullAccess alone does not grant it, as in Exchange.
 */
export async function maySendAs(directory: Directory, user: Mailbox, address: string): Promise<boolean> {
  if (address === '') return false;
  const key = address.toLowerCase();
  if (user.emailAddresses.some((a) => a.toLowerCase() === key) || user.userPrincipalName.toLowerCase() === key) return true;
  const owner = await directory.mailboxByAddress(address);
  if (!owner) return false;
  if (owner.id === user.id) return true;
  return directory.hasMailboxPermission(owner.id, user.id, 'SendAs');
}

/**
 * MessageRateLimit: messages per client per minute, over a sliding window. Keys are user ids
 * for authenticated clients and addresses for anonymous ones.
 */
export class SubmissionRate {
  private readonly sent = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  private recent(key: string): number[] {
    const cutoff = this.now() - 60_000;
    const list = (this.sent.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.sent.delete(key);
    else this.sent.set(key, list);
    return list;
  }

  allows(key: string, limit: number): boolean {
    return !Number.isFinite(limit) || this.recent(key).length < limit;
  }

  record(key: string): void {
    const list = this.recent(key);
    list.push(this.now());
    this.sent.set(key, list);
  }
}
