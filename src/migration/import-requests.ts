// Mailbox import requests (New-MailboxImportRequest): kept in the directory database so that
// any admin process can queue, watch and remove them, and the server that has the mailbox's
// database runs them (import-runner.ts) — picking up where it was after a restart.
import { randomUUID } from 'node:crypto';
import type { Directory } from '../directory/directory.ts';
import type { SqlDatabase } from '../lib/sql/types.ts';
import type { FolderReport, ImportStatus } from './importer.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS mailbox_import_requests (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  mailbox_id TEXT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  file_path TEXT NOT NULL,
  source_kind TEXT NOT NULL,
  options TEXT NOT NULL,
  status TEXT NOT NULL,
  queued_at TEXT NOT NULL,
  started_at TEXT,
  completed_at TEXT,
  progress TEXT NOT NULL,
  report TEXT,
  failure TEXT,
  UNIQUE (mailbox_id, name)
);
`;

/** Exchange's request statuses, in the order a request goes through them. */
export type RequestStatus = 'Queued' | 'InProgress' | ImportStatus;

export type SourceKind = 'Maildir' | 'Mbox' | 'Imap';

/** Where an IMAP pull logs on (imap-source.ts); the password is sealed (lib/secrets.ts, purpose IMAP_PASSWORD_PURPOSE). */
export interface ImapRequestOptions {
  host: string;
  port?: number;
  security: 'None' | 'Ssl' | 'Tls';
  userName: string;
  passwordSealed: string;
  masterUserName?: string;
  /** `user<separator>master` (Dovecot) instead of SASL PLAIN with an authorization identity. */
  masterSeparator?: string;
  acceptUntrustedCertificates?: boolean;
  certificateFingerprint?: string;
  caFile?: string;
}

export const IMAP_PASSWORD_PURPOSE = 'imap-migration-password';

export interface RequestOptions {
  sourceRootFolder?: string;
  targetRootFolder?: string;
  includeFolders?: string[];
  excludeFolders?: string[];
  badItemLimit: number | 'unlimited';
  mboxVariant?: 'mboxrd' | 'mboxo';
  pop3UidlFormat?: string | null;
  imap?: ImapRequestOptions;
}

export interface RequestProgress {
  messagesTotal: number;
  messagesDone: number;
  bytesTotal: number;
  itemsTransferred: number;
  bytesTransferred: number;
  badItems: number;
}

export interface ImportRequest {
  id: string;
  name: string;
  mailboxId: string;
  filePath: string;
  sourceKind: SourceKind;
  options: RequestOptions;
  status: RequestStatus;
  queuedAt: string;
  startedAt: string | null;
  completedAt: string | null;
  progress: RequestProgress;
  report: FolderReport[] | null;
  failure: string | null;
}

interface Row {
  id: string;
  name: string;
  mailbox_id: string;
  file_path: string;
  source_kind: string;
  options: string;
  status: string;
  queued_at: string;
  started_at: string | null;
  completed_at: string | null;
  progress: string;
  report: string | null;
  failure: string | null;
}

const EMPTY_PROGRESS: RequestProgress = { messagesTotal: 0, messagesDone: 0, bytesTotal: 0, itemsTransferred: 0, bytesTransferred: 0, badItems: 0 };

function toRequest(r: Row): ImportRequest {
  return {
    id: r.id, name: r.name, mailboxId: r.mailbox_id, filePath: r.file_path, sourceKind: r.source_kind as SourceKind,
    options: JSON.parse(r.options) as RequestOptions, status: r.status as RequestStatus, queuedAt: r.queued_at,
    startedAt: r.started_at, completedAt: r.completed_at, progress: { ...EMPTY_PROGRESS, ...(JSON.parse(r.progress) as Partial<RequestProgress>) },
    report: r.report === null ? null : (JSON.parse(r.report) as FolderReport[]), failure: r.failure,
  };
}

export class ImportRequests {
  constructor(private readonly directory: Directory) {}

  private db(): Promise<SqlDatabase> {
    return this.directory.tables(SCHEMA);
  }

  /**
   * Queues a request. Without a name it is MailboxImport, then MailboxImport1, 2, … as Exchange
   * names them; a name the mailbox already has is refused.
   */
  async create(input: { mailboxId: string; name?: string; filePath: string; sourceKind: SourceKind; options: RequestOptions }): Promise<ImportRequest> {
    const db = await this.db();
    return db.transaction(async (tx) => {
      const taken = new Set((await tx.all<{ name: string }>(`SELECT name FROM mailbox_import_requests WHERE mailbox_id = ?`, [input.mailboxId])).map((r) => r.name.toLowerCase()));
      let name = input.name;
      if (name === undefined) {
        name = 'MailboxImport';
        for (let n = 1; taken.has(name.toLowerCase()); n++) name = `MailboxImport${n}`;
      } else if (taken.has(name.toLowerCase())) {
        throw new Error(`The mailbox already has an import request named '${name}'. Remove it first (Remove-MailboxImportRequest) or give another -Name.`);
      }
      const id = randomUUID();
      await tx.run(
        `INSERT INTO mailbox_import_requests (id, name, mailbox_id, file_path, source_kind, options, status, queued_at, progress) VALUES (?, ?, ?, ?, ?, ?, 'Queued', ?, ?)`,
        [id, name, input.mailboxId, input.filePath, input.sourceKind, JSON.stringify(input.options), new Date().toISOString(), JSON.stringify(EMPTY_PROGRESS)],
      );
      return toRequest((await tx.get<Row>(`SELECT * FROM mailbox_import_requests WHERE id = ?`, [id]))!);
    });
  }

  async list(filter: { mailboxId?: string; status?: RequestStatus[] } = {}): Promise<ImportRequest[]> {
    const db = await this.db();
    // The server's runner asks every second for the waiting ones: completed requests (kept, with
    // their reports, until removed) stay in the database instead of being read and parsed each time.
    const where: string[] = [];
    const params: string[] = [];
    if (filter.mailboxId) {
      where.push('mailbox_id = ?');
      params.push(filter.mailboxId);
    }
    if (filter.status) {
      if (filter.status.length === 0) return [];
      where.push(`status IN (${filter.status.map(() => '?').join(', ')})`);
      params.push(...filter.status);
    }
    const rows = await db.all<Row>(
      `SELECT * FROM mailbox_import_requests${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY queued_at, name`,
      params,
    );
    return rows.map(toRequest);
  }

  async get(id: string): Promise<ImportRequest | undefined> {
    const row = await (await this.db()).get<Row>(`SELECT * FROM mailbox_import_requests WHERE id = ?`, [id]);
    return row && toRequest(row);
  }

  async start(id: string): Promise<void> {
    await (await this.db()).run(`UPDATE mailbox_import_requests SET status = 'InProgress', started_at = COALESCE(started_at, ?) WHERE id = ?`, [new Date().toISOString(), id]);
  }

  async saveProgress(id: string, progress: RequestProgress): Promise<void> {
    await (await this.db()).run(`UPDATE mailbox_import_requests SET progress = ? WHERE id = ?`, [JSON.stringify(progress), id]);
  }

  async finish(id: string, status: ImportStatus, progress: RequestProgress, report: FolderReport[], failure: string | null): Promise<void> {
    await (await this.db()).run(
      `UPDATE mailbox_import_requests SET status = ?, progress = ?, report = ?, failure = ?, completed_at = ? WHERE id = ?`,
      [status, JSON.stringify(progress), JSON.stringify(report), failure, new Date().toISOString(), id],
    );
  }

  async remove(id: string): Promise<void> {
    await (await this.db()).run(`DELETE FROM mailbox_import_requests WHERE id = ?`, [id]);
  }
}
