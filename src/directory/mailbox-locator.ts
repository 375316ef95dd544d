// The mailbox locator: mailbox → mailbox database → the server that has it mounted. Every path
// that opens a mailbox (IMAP4, POP3, SMTP delivery, the web's usage figures, the recoverable-items
// and statistics cmdlets) asks here, so "which server holds this mailbox" has one answer.
//
// A mailbox database belongs to one server at a time (DESIGN.md §1) and is opened only there,
// and only while it is mounted: a process never creates or opens a database that belongs to
// another server, so mail can never split between two copies.
import type { Directory, Mailbox, MailboxDatabase, Server } from './directory.ts';

export interface MailboxLocation {
  database: MailboxDatabase;
  /** The server the database is mounted on (or belongs to, while dismounted). */
  server: Server;
  /**
   * Whether this process may open it: the server is the one asking and this process runs its
   * back ends. A front-end-only process of the same server (`start --role frontend`, `--split`)
   * reaches it through that server's back-end process instead, as it would another server.
   */
  local: boolean;
}

export type UnavailableReason = 'dismounted' | 'elsewhere' | 'backend-process';

/**
 * The mailbox cannot be opened here. Protocols turn it into their temporary error (IMAP4
 * `NO [UNAVAILABLE]`, POP3 `-ERR [SYS/TEMP]`, SMTP 4xx) and cmdlets into a message naming the
 * server that holds it.
 */
export class MailboxUnavailable extends Error {
  constructor(
    readonly mailbox: string,
    readonly database: string,
    readonly server: string,
    readonly reason: UnavailableReason,
  ) {
    super(reason === 'dismounted'
      ? `The mailbox database ${database} of ${mailbox} is dismounted (Mount-Database '${database}' mounts it on ${server}).`
      : reason === 'backend-process'
        ? `The mailbox ${mailbox} is in the database ${database}, which ${server}'s back-end process has open, not this front-end process.`
        : `The mailbox ${mailbox} is in the database ${database}, mounted on ${server}, not on this server.`);
    this.name = 'MailboxUnavailable';
  }
}

export class MailboxLocator {
  constructor(
    private readonly directory: Directory,
    /** The server this process is (ServerIdentity), compared case-insensitively. */
    readonly localServer: string,
    /**
     * False in a process that runs only front ends: it opens no mailbox database, even of its
     * own server, because the back-end process has them open (SQLite's change notifications,
     * UID allocation and the IDLE pushes live in that one process).
     */
    readonly opensMailboxes = true,
  ) {}

  isLocalServer(name: string): boolean {
    return name.toLowerCase() === this.localServer.toLowerCase();
  }

  async locate(mailbox: Pick<Mailbox, 'database' | 'primarySmtpAddress'>): Promise<MailboxLocation> {
    const database = await this.directory.mailboxDatabase(mailbox.database);
    const server = await this.directory.server(database.server);
    return { database, server, local: this.opensMailboxes && this.isLocalServer(server.name) };
  }

  /** The database of a mailbox when it is mounted on this server; MailboxUnavailable otherwise. */
  async requireLocal(mailbox: Pick<Mailbox, 'database' | 'primarySmtpAddress'>): Promise<MailboxDatabase> {
    const { database, server, local } = await this.locate(mailbox);
    if (!database.mounted) throw new MailboxUnavailable(mailbox.primarySmtpAddress, database.name, server.name, 'dismounted');
    if (!local && this.isLocalServer(server.name)) throw new MailboxUnavailable(mailbox.primarySmtpAddress, database.name, server.name, 'backend-process');
    if (!local) throw new MailboxUnavailable(mailbox.primarySmtpAddress, database.name, server.name, 'elsewhere');
    return database;
  }

  /** A database by name when it is mounted on this server; MailboxUnavailable otherwise. */
  async requireLocalDatabase(name: string): Promise<MailboxDatabase> {
    const database = await this.directory.mailboxDatabase(name);
    if (!database.mounted) throw new MailboxUnavailable(`(database ${database.name})`, database.name, database.server, 'dismounted');
    if (!this.isLocalServer(database.server)) throw new MailboxUnavailable(`(database ${database.name})`, database.name, database.server, 'elsewhere');
    if (!this.opensMailboxes) throw new MailboxUnavailable(`(database ${database.name})`, database.name, database.server, 'backend-process');
    return database;
  }
}
