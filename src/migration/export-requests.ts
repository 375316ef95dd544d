// Mailbox export requests (New-/Get-/Remove-MailboxExportRequest) kept in the directory
// database, so Get-MailboxExportRequestStatistics on any machine of the organization shows what
// an export did. Identity as in Exchange: `<mailbox>\<request name>`, the name being
// MailboxExport, then MailboxExport1 … MailboxExport9 when taken.
import type { Directory } from '../directory/directory.ts';
import type { SqlDatabase } from '../lib/sql/types.ts';
import type { ExportFormat, ExportReport } from './exporter.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS mailbox_export_requests (
  mailbox_id TEXT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  name_key TEXT NOT NULL,
  name TEXT NOT NULL,
  file_path TEXT NOT NULL,
  format TEXT NOT NULL,
  selection TEXT NOT NULL,
  status TEXT NOT NULL,
  queued_at TEXT NOT NULL,
  completed_at TEXT,
  items INTEGER NOT NULL DEFAULT 0,
  bytes BIGINT NOT NULL DEFAULT 0,
  total_items INTEGER NOT NULL DEFAULT 0,
  total_bytes BIGINT NOT NULL DEFAULT 0,
  report TEXT,
  failure TEXT,
  PRIMARY KEY (mailbox_id, name_key)
);
`;

/** Exchange's request statuses that an export passes through here. */
export type ExportStatus = 'Queued' | 'InProgress' | 'Completed' | 'CompletedWithWarning' | 'Failed';

export interface ExportRequest {
  mailboxId: string;
  name: string;
  filePath: string;
  format: ExportFormat;
  selection: { includeFolders?: string[]; excludeFolders?: string[]; sourceRootFolder?: string };
  status: ExportStatus;
  queuedAt: string;
  completedAt: string | null;
  items: number;
  bytes: number;
  totalItems: number;
  totalBytes: number;
  report: ExportReport | null;
  failure: string | null;
}

interface Row {
  mailbox_id: string;
  name: string;
  file_path: string;
  format: string;
  selection: string;
  status: string;
  queued_at: string;
  completed_at: string | null;
  items: number;
  bytes: number | string;
  total_items: number;
  total_bytes: number | string;
  report: string | null;
  failure: string | null;
}

const toRequest = (r: Row): ExportRequest => ({
  mailboxId: r.mailbox_id, name: r.name, filePath: r.file_path, format: r.format as ExportFormat,
  selection: JSON.parse(r.selection) as ExportRequest['selection'], status: r.status as ExportStatus,
  queuedAt: r.queued_at, completedAt: r.completed_at, items: Number(r.items), bytes: Number(r.bytes),
  totalItems: Number(r.total_items), totalBytes: Number(r.total_bytes),
  report: r.report ? (JSON.parse(r.report) as ExportReport) : null, failure: r.failure,
});

const db = (directory: Directory): Promise<SqlDatabase> => directory.tables(SCHEMA);

export class ExportRequestError extends Error {}

export const DEFAULT_EXPORT_NAME = 'MailboxExport';

/**
 * Records a new request. Without a name it takes MailboxExport, MailboxExport1 … 9 (Exchange
 * stops at ten too); a name given that is taken is refused.
 */
export async function addExportRequest(
  directory: Directory,
  input: { mailboxId: string; name?: string; filePath: string; format: ExportFormat; selection: ExportRequest['selection'] },
): Promise<ExportRequest> {
  const database = await db(directory);
  return database.transaction(async (tx) => {
    const taken = new Set((await tx.all<{ name_key: string }>(`SELECT name_key FROM mailbox_export_requests WHERE mailbox_id = ?`, [input.mailboxId])).map((r) => r.name_key));
    let name = input.name;
    if (name !== undefined) {
      if (taken.has(name.toLowerCase())) throw new ExportRequestError(`An export request named '${name}' already exists for this mailbox; remove it with Remove-MailboxExportRequest or give another -Name.`);
    } else {
      name = [DEFAULT_EXPORT_NAME, ...Array.from({ length: 9 }, (_, i) => `${DEFAULT_EXPORT_NAME}${i + 1}`)].find((n) => !taken.has(n.toLowerCase()));
      if (!name) throw new ExportRequestError('This mailbox has ten export requests; remove finished ones with Remove-MailboxExportRequest or give -Name.');
    }
    const queuedAt = new Date().toISOString();
    await tx.run(
      `INSERT INTO mailbox_export_requests (mailbox_id, name_key, name, file_path, format, selection, status, queued_at) VALUES (?, ?, ?, ?, ?, ?, 'Queued', ?)`,
      [input.mailboxId, name.toLowerCase(), name, input.filePath, input.format, JSON.stringify(input.selection), queuedAt],
    );
    return {
      mailboxId: input.mailboxId, name, filePath: input.filePath, format: input.format, selection: input.selection, status: 'Queued',
      queuedAt, completedAt: null, items: 0, bytes: 0, totalItems: 0, totalBytes: 0, report: null, failure: null,
    };
  });
}

export async function updateExportRequest(
  directory: Directory,
  mailboxId: string,
  name: string,
  changes: Partial<Pick<ExportRequest, 'status' | 'completedAt' | 'items' | 'bytes' | 'totalItems' | 'totalBytes' | 'report' | 'failure'>>,
): Promise<void> {
  const columns: Record<string, string> = {
    status: 'status', completedAt: 'completed_at', items: 'items', bytes: 'bytes', totalItems: 'total_items',
    totalBytes: 'total_bytes', report: 'report', failure: 'failure',
  };
  const sets: string[] = [];
  const values: (string | number | null)[] = [];
  for (const [key, value] of Object.entries(changes)) {
    sets.push(`${columns[key]} = ?`);
    values.push(key === 'report' ? JSON.stringify(value) : (value as string | number | null));
  }
  if (sets.length === 0) return;
  await (await db(directory)).run(`UPDATE mailbox_export_requests SET ${sets.join(', ')} WHERE mailbox_id = ? AND name_key = ?`, [...values, mailboxId, name.toLowerCase()]);
}

export async function exportRequests(directory: Directory, mailboxId?: string): Promise<ExportRequest[]> {
  const database = await db(directory);
  const rows = mailboxId
    ? await database.all<Row>(`SELECT * FROM mailbox_export_requests WHERE mailbox_id = ? ORDER BY queued_at, name_key`, [mailboxId])
    : await database.all<Row>(`SELECT * FROM mailbox_export_requests ORDER BY queued_at, name_key`);
  return rows.map(toRequest);
}

export async function removeExportRequest(directory: Directory, mailboxId: string, name: string): Promise<boolean> {
  const r = await (await db(directory)).run(`DELETE FROM mailbox_export_requests WHERE mailbox_id = ? AND name_key = ?`, [mailboxId, name.toLowerCase()]);
  return r.changes > 0;
}
