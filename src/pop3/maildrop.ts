// The maildrop a POP3 session sees (RFC 1939 §5): the Inbox's messages as they were at logon,
// numbered 1..n in MessageRetrievalSortOrder, with the deletion marks of this session. Numbers
// and sizes stay fixed for the whole session, whatever IMAP or delivery do meanwhile; new mail
// shows at the next logon.
import type { MessageSummary } from '../store/types.ts';

export type SortOrder = 'Ascending' | 'Descending';

export interface MaildropMessage {
  uid: number;
  /**
   * What RETR sends before dot-stuffing (RFC 1939 §11 "exact size"): the stored byte count,
   * or the size of the message converted to `format`.
   */
  size: number;
  /** MessageRetrievalMimeFormat in force for this session: BestBodyFormat sends the stored bytes. */
  format: string;
  blobId: string;
  uidl: string;
  deleted: boolean;
}

/**
 * The unique-id listing of a message (RFC 1939 §7 UIDL): `<UIDVALIDITY>.<UID>` in decimal.
 *
 * It never changes and is never reused: the store never reuses a UID within a UIDVALIDITY
 * (DESIGN.md §2), and the Inbox keeps its UIDVALIDITY for the life of the mailbox (it cannot be
 * deleted, and renaming INBOX moves its messages out instead of renaming the folder). A
 * message that IMAP moves out and back, or that an admin restores from Recoverable Items, gets
 * a new UID and so a new UIDL, and a "leave a copy" client fetches it once more, which is
 * right: for the server it is a new arrival. The form stays within RFC 1939's 1–70 characters
 * from 0x21–0x7E.
 *
 * A message imported from another server keeps the UIDL it had there (MessageSummary.pop3Uidl;
 * Dovecot's `%08Xu%08Xv` is 16 hex digits, which never has this form's dot), so clients that
 * left mail on that server do not download it again after the switch.
 */
export function uidlFor(uidValidity: number, uid: number): string {
  return `${uidValidity}.${uid}`;
}

export interface MaildropStat {
  messages: number;
  octets: number;
}

export class Maildrop {
  private constructor(private readonly list: MaildropMessage[]) {}

  /**
   * Numbers messages by the time they were received (INTERNALDATE), oldest first for
   * Ascending (Exchange's default) or newest first for Descending. The UID breaks ties, so the
   * order is the same at every logon: fetchers such as Gmail's complain when it moves.
   */
  static of(messages: readonly MessageSummary[], uidValidity: number, order: SortOrder, format = 'BestBodyFormat'): Maildrop {
    const sorted = [...messages].sort((a, b) => a.internalDate.getTime() - b.internalDate.getTime() || a.uid - b.uid);
    if (order === 'Descending') sorted.reverse();
    return new Maildrop(sorted.map((m) => ({ uid: m.uid, size: m.size, format, blobId: m.blobId, uidl: m.pop3Uidl ?? uidlFor(uidValidity, m.uid), deleted: false })));
  }

  /**
   * Sets each message's size to that of its converted form (MessageRetrievalMimeFormat), so
   * LIST, STAT and RETR's "+OK n octets" give what RETR sends. Done once, at logon.
   */
  async convertSizes(sizeOf: (m: MaildropMessage) => Promise<number>): Promise<void> {
    for (const m of this.list) if (m.format !== 'BestBodyFormat') m.size = await sizeOf(m);
  }

  /** Messages numbered at logon, deleted ones included (numbers are never reused, §5). */
  get size(): number {
    return this.list.length;
  }

  /** Message `n` unless it is out of range or marked deleted: RFC 1939 treats both as absent. */
  get(n: number): MaildropMessage | undefined {
    const message = Number.isInteger(n) && n >= 1 ? this.list[n - 1] : undefined;
    return message && !message.deleted ? message : undefined;
  }

  /** Whether `n` names a message that this session marked deleted. */
  isDeleted(n: number): boolean {
    return this.list[n - 1]?.deleted === true;
  }

  /** Count and size of the messages not marked deleted (STAT, RSET). */
  stat(): MaildropStat {
    let messages = 0;
    let octets = 0;
    for (const m of this.list) {
      if (m.deleted) continue;
      messages++;
      octets += m.size;
    }
    return { messages, octets };
  }

  /** The messages not marked deleted, with their numbers (LIST, UIDL). */
  *live(): Generator<[number, MaildropMessage]> {
    for (let i = 0; i < this.list.length; i++) {
      const m = this.list[i]!;
      if (!m.deleted) yield [i + 1, m];
    }
  }

  markDeleted(n: number): boolean {
    const message = this.get(n);
    if (!message) return false;
    message.deleted = true;
    return true;
  }

  /** RSET: every mark removed. */
  unmarkAll(): void {
    for (const m of this.list) m.deleted = false;
  }

  /** UIDs to remove in the UPDATE state. */
  deletedUids(): number[] {
    return this.list.filter((m) => m.deleted).map((m) => m.uid);
  }
}
