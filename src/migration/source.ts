// What a migration source yields: the folders of one mailbox at the source (Maildir, Dovecot's
// Maildir++, mbox, another IMAP server) and, folder by folder, its messages. The importer
// (importer.ts) writes any source into a mailbox the same way; a source only reads.
import type { Flag, FolderRole } from '../store/types.ts';

export interface SourceFolder {
  /**
   * The folder's levels at the source, e.g. ['工作', '報告']; the Inbox is ['INBOX']. Levels are
   * as the source names them (decoded from modified UTF-7 or Dovecot's escaping); the importer
   * refuses a level Mailroom cannot hold.
   */
  path: string[];
  /** RFC 6154 special use, where the source says or the name is a well-known one. */
  specialUse?: Exclude<FolderRole, 'inbox'>;
  /** Where the source keeps UIDs (Dovecot's uidlist, an IMAP server): its UIDVALIDITY and UIDNEXT. */
  uidValidity?: number;
  uidNext?: number;
  subscribed?: boolean;
}

export interface SourceMessage {
  kind: 'message';
  /** Where it is at the source, for reports: a file name, an mbox line number, a UID. */
  label: string;
  /** The UID under the folder's uidValidity, where the source keeps one. */
  uid?: number;
  /** System flags and keywords, as IMAP spells them (`\Seen`, `$Forwarded`, `Work`). */
  flags: Flag[];
  internalDate?: Date;
  /** The POP3 UIDL clients saw at the source, kept so they do not download again. */
  pop3Uidl?: string;
  /** The byte count when the source knows it without reading (a file's size, an mbox span). */
  size?: number;
  /** The message's bytes, exactly as they will be stored; rejects with SourceItemError for a bad item. */
  read(): Promise<Buffer>;
}

/** An item the source could not make a message of: a malformed mbox separator, an unreadable file. */
export interface SourceBadItem {
  kind: 'bad';
  label: string;
  reason: string;
}

export type SourceEntry = SourceMessage | SourceBadItem;

/** A message that turned out unreadable when its bytes were read (truncated, vanished). */
export class SourceItemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourceItemError';
  }
}

export interface MigrationSource {
  /** What the source is, for reports: `Maildir++ /var/mail/chris`. */
  readonly description: string;
  /** Every folder, parents before their children. */
  folders(): Promise<SourceFolder[]>;
  /** The folder's messages, ascending by UID where it keeps UIDs. */
  entries(folder: SourceFolder): Promise<SourceEntry[]>;
  close?(): Promise<void>;
}
