// The seam between SMTP and the mailboxes: what the SMTP service asks of the back end that holds
// a mailbox. On one machine src/backend/delivery.ts implements it in-process; across hosts the
// same calls go to the owning back end's delivery port (2525, LMTP-like), which is why delivery
// takes whole batches and answers per recipient.
import type { Mailbox } from '../directory/directory.ts';

export type QuotaLimit = number | 'unlimited';

export interface MailboxQuota {
  /** Bytes the mailbox holds now (Recoverable Items excluded, as Exchange counts). */
  usage: number;
  /** ProhibitSendQuota in force: the mailbox's own, or its database's. */
  prohibitSend: QuotaLimit;
  /** ProhibitSendReceiveQuota in force. */
  prohibitSendReceive: QuotaLimit;
}

/** Where a delivered copy goes: the Inbox, or Junk Email (DMARC quarantine). */
export type DeliveryFolder = 'inbox' | 'junk';

export interface DeliveryItem {
  /** The address the message was sent to (RCPT TO), for logs and DSNs. */
  address: string;
  mailbox: Mailbox;
  /** The exact bytes to store for this recipient (headers added by SMTP included). */
  message: Buffer;
  folder?: DeliveryFolder;
}

export type DeliveryResult =
  | { address: string; ok: true; uid: number }
  /** quota: ProhibitSendReceiveQuota reached at append time; failed: the store refused or broke. */
  | { address: string; ok: false; reason: 'quota' | 'failed'; detail: string };

export interface LocalDelivery {
  quota(mailbox: Mailbox): Promise<MailboxQuota>;
  /**
   * Appends each item to its mailbox, in order. Each result is final: ok means the append was
   * committed durably. After the first failure nothing more is attempted and the remaining
   * items are reported as failed with reason 'failed' and detail 'not attempted'.
   */
  deliver(items: readonly DeliveryItem[]): Promise<DeliveryResult[]>;
}

export function overLimit(bytes: number, limit: QuotaLimit): boolean {
  return limit !== 'unlimited' && bytes >= limit;
}
