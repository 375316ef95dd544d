// New-MailboxExportRequest, Get-MailboxExportRequest, Get-MailboxExportRequestStatistics and
// Remove-MailboxExportRequest. Exchange writes a PST through its Mailbox Replication Service;
// Mailroom writes mbox files or a Dovecot Maildir++ (-ExportFormat, a Mailroom parameter), and
// runs the export in the command's own process, so the request is finished when the command
// returns. The request stays recorded for the statistics until it is removed.
import { isAbsolute, resolve } from 'node:path';
import { MailboxDatabases } from '../../backend/mailbox-databases.ts';
import type { Directory, Mailbox } from '../../directory/directory.ts';
import { EXPORT_FORMATS, exportMailbox, type ExportFormat } from '../../migration/exporter.ts';
import {
  addExportRequest, exportRequests, removeExportRequest, updateExportRequest, type ExportRequest,
} from '../../migration/export-requests.ts';
import type { Cmdlet, CmdletContext, OutputObject } from '../cmdlet.ts';
import type { BoundValue } from '../types.ts';
import { formatSize } from '../values.ts';

/** How often the running export writes its counters to the request (for a second shell's Get-…Statistics). */
const PROGRESS_EVERY_MS = 1000;

function strings(v: BoundValue | undefined): string[] | undefined {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : undefined;
}

/** `chris\MailboxExport` → the mailbox and the name; `chris` alone → every request of the mailbox. */
async function resolveIdentity(directory: Directory, identity: string): Promise<{ mailbox: Mailbox; name?: string }> {
  const slash = identity.lastIndexOf('\\');
  if (slash < 0) return { mailbox: await directory.requireMailbox(identity) };
  return { mailbox: await directory.requireMailbox(identity.slice(0, slash)), name: identity.slice(slash + 1) };
}

async function matching(args: Record<string, BoundValue>, ctx: CmdletContext): Promise<{ request: ExportRequest; mailbox: Mailbox }[]> {
  let mailbox: Mailbox | undefined;
  let name: string | undefined;
  if (typeof args.Identity === 'string') ({ mailbox, name } = await resolveIdentity(ctx.directory, args.Identity));
  if (typeof args.Mailbox === 'string') mailbox = await ctx.directory.requireMailbox(args.Mailbox);
  if (typeof args.Name === 'string') name = args.Name;
  const requests = await exportRequests(ctx.directory, mailbox?.id);
  const out: { request: ExportRequest; mailbox: Mailbox }[] = [];
  for (const request of requests) {
    if (name !== undefined && request.name.toLowerCase() !== name.toLowerCase()) continue;
    if (typeof args.Status === 'string' && request.status !== args.Status) continue;
    const owner = mailbox ?? (await ctx.directory.mailboxById(request.mailboxId));
    if (owner) out.push({ request, mailbox: owner });
  }
  return out;
}

const identityOf = (mailbox: Mailbox, request: ExportRequest) => `${mailbox.alias}\\${request.name}`;

function summary(mailbox: Mailbox, request: ExportRequest): OutputObject {
  return { Name: request.name, Mailbox: mailbox.alias, Status: request.status, FilePath: request.filePath, ExportFormat: request.format };
}

function statistics(mailbox: Mailbox, request: ExportRequest, includeReport: boolean): OutputObject {
  const percent = request.status === 'Completed' || request.status === 'CompletedWithWarning'
    ? 100
    : request.totalBytes > 0 ? Math.floor((request.bytes * 100) / request.totalBytes) : 0;
  const out: OutputObject = {
    Name: request.name,
    Identity: identityOf(mailbox, request),
    Status: request.status,
    StatusDetail: request.status === 'InProgress' ? 'CopyingMessages' : request.status,
    SourceAlias: mailbox.alias,
    FilePath: request.filePath,
    ExportFormat: request.format,
    IncludeFolders: request.selection.includeFolders ?? [],
    ExcludeFolders: request.selection.excludeFolders ?? [],
    SourceRootFolder: request.selection.sourceRootFolder ?? '',
    PercentComplete: percent,
    EstimatedTransferItemCount: request.totalItems,
    EstimatedTransferSize: formatSize(request.totalBytes),
    ItemsTransferred: request.items,
    BytesTransferred: formatSize(request.bytes),
    QueuedTimestamp: request.queuedAt,
    CompletionTimestamp: request.completedAt ?? '',
    FailureMessage: request.failure ?? '',
  };
  if (includeReport && request.report) {
    out.Report = [
      ...request.report.folders.map((f) =>
        `${f.folder}: ${f.sourceMessages} in the folder, ${f.exported} exported${f.skipped ? ` (not exported: ${f.skipped})` : ''}${f.target ? ` to ${f.target}` : ''}`),
      ...request.report.warnings,
    ];
  }
  return out;
}

export const exportCmdlets: Cmdlet[] = [
  {
    name: 'New-MailboxExportRequest',
    synopsis: 'Exports a mailbox\'s folders to mbox files or a Maildir++ folder (Dovecot\'s layout, with its UID and keyword files), with flags, keywords and received dates.',
    parameters: [
      { name: 'Mailbox', kind: 'string', positional: 0, required: true, help: 'The mailbox to export.' },
      { name: 'FilePath', kind: 'string', required: true, help: 'The folder to write, which must not exist or be empty (Exchange takes a .pst file on a UNC path).' },
      {
        name: 'ExportFormat', kind: 'enum', values: EXPORT_FORMATS,
        help: 'Mailroom only. Maildir (default): Maildir++ as Dovecot reads it, keeping UIDs. Mbox: one mboxrd file per folder, FOLDER.mbox, subfolders in a directory of the same name.',
      },
      { name: 'IncludeFolders', kind: 'string', multi: true, help: 'Only these folders: paths such as Inbox/Projects, <path>/* for a folder and its subfolders, well-known names such as #Inbox# or #SentItems#/*.' },
      { name: 'ExcludeFolders', kind: 'string', multi: true, help: 'Folders left out, written as for -IncludeFolders.' },
      { name: 'SourceRootFolder', kind: 'string', help: 'Only the folders below this one, as top-level folders of the export; its own messages become the export\'s Inbox.' },
      { name: 'Name', kind: 'string', help: 'The request\'s name (MailboxExport, then MailboxExport1 … MailboxExport9, by default).' },
    ],
    examples: [
      'New-MailboxExportRequest -Mailbox chris -FilePath /srv/export/chris',
      'New-MailboxExportRequest -Mailbox chris -FilePath /srv/export/chris-mbox -ExportFormat Mbox -IncludeFolders "#Inbox#/*","Projects/*"',
    ],
    async run(args, ctx) {
      const mailbox = await ctx.directory.requireMailbox(args.Mailbox as string);
      const raw = args.FilePath as string;
      const filePath = isAbsolute(raw) ? raw : resolve(raw);
      const format = (args.ExportFormat as ExportFormat | undefined) ?? 'Maildir';
      const selection = {
        ...(strings(args.IncludeFolders) ? { includeFolders: strings(args.IncludeFolders) } : {}),
        ...(strings(args.ExcludeFolders) ? { excludeFolders: strings(args.ExcludeFolders) } : {}),
        ...(typeof args.SourceRootFolder === 'string' ? { sourceRootFolder: args.SourceRootFolder } : {}),
      };
      const request = await addExportRequest(ctx.directory, {
        mailboxId: mailbox.id, ...(typeof args.Name === 'string' ? { name: args.Name } : {}), filePath, format, selection,
      });
      const databases = new MailboxDatabases(ctx.directory);
      let lastWrite = 0;
      let pending = Promise.resolve();
      try {
        const store = await databases.storeFor(mailbox);
        await updateExportRequest(ctx.directory, mailbox.id, request.name, { status: 'InProgress' });
        const report = await exportMailbox(store, mailbox.id, {
          format, path: filePath, selection,
          onProgress: (p) => {
            if (Date.now() - lastWrite < PROGRESS_EVERY_MS) return;
            lastWrite = Date.now();
            pending = pending.then(() => updateExportRequest(ctx.directory, mailbox.id, request.name, {
              items: p.messages, bytes: p.bytes, totalItems: p.totalMessages, totalBytes: p.totalBytes,
            }));
          },
        });
        await pending;
        const totalItems = report.folders.reduce((n, f) => n + f.sourceMessages, 0);
        await updateExportRequest(ctx.directory, mailbox.id, request.name, {
          status: report.warnings.length > 0 ? 'CompletedWithWarning' : 'Completed', completedAt: new Date().toISOString(),
          items: report.messages, bytes: report.bytes, totalItems, totalBytes: report.bytes, report,
        });
        for (const w of report.warnings) ctx.warn(w);
      } catch (err) {
        await pending.catch(() => undefined);
        const message = err instanceof Error ? err.message : String(err);
        await updateExportRequest(ctx.directory, mailbox.id, request.name, { status: 'Failed', failure: message, completedAt: new Date().toISOString() });
        throw new Error(`The export of ${mailbox.alias} failed: ${message}`);
      } finally {
        await databases.closeAll();
      }
      const [done] = (await exportRequests(ctx.directory, mailbox.id)).filter((r) => r.name === request.name);
      return [summary(mailbox, done!)];
    },
  },
  {
    name: 'Get-MailboxExportRequest',
    synopsis: 'Lists mailbox export requests.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, help: 'A request (mailbox\\name) or a mailbox\'s requests.' },
      { name: 'Mailbox', kind: 'string', help: 'The requests of this mailbox.' },
      { name: 'Name', kind: 'string', help: 'Requests with this name.' },
      { name: 'Status', kind: 'enum', values: ['Queued', 'InProgress', 'Completed', 'CompletedWithWarning', 'Failed'], help: 'Requests in this state.' },
    ],
    async run(args, ctx) {
      return (await matching(args, ctx)).map(({ mailbox, request }) => summary(mailbox, request));
    },
  },
  {
    name: 'Get-MailboxExportRequestStatistics',
    synopsis: 'Shows an export request\'s progress, counts and, with -IncludeReport, what it did folder by folder.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'The request (mailbox\\name), or a mailbox for all of its requests.' },
      { name: 'IncludeReport', kind: 'switch', help: 'Adds the per-folder report: messages in each folder, exported, and any folder left out with why.' },
    ],
    async run(args, ctx) {
      const found = await matching({ Identity: args.Identity! }, ctx);
      if (found.length === 0) throw new Error(`There is no export request '${String(args.Identity)}'.`);
      return found.map(({ mailbox, request }) => statistics(mailbox, request, args.IncludeReport === true));
    },
  },
  {
    name: 'Remove-MailboxExportRequest',
    synopsis: 'Removes an export request\'s record (the exported files stay).',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, required: true, help: 'The request: mailbox\\name.' }],
    async run(args, ctx) {
      const { mailbox, name } = await resolveIdentity(ctx.directory, args.Identity as string);
      const names = name !== undefined ? [name] : (await exportRequests(ctx.directory, mailbox.id)).map((r) => r.name);
      let removed = 0;
      for (const n of names) if (await removeExportRequest(ctx.directory, mailbox.id, n)) removed++;
      if (removed === 0) throw new Error(`There is no export request '${String(args.Identity)}'.`);
    },
  },
];
