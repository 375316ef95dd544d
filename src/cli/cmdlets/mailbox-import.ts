// New-, Get-, Remove-MailboxImportRequest and Get-MailboxImportRequestStatistics: Exchange's
// import requests, for Maildir, Dovecot Maildir++ and mbox sources instead of .pst files. The
// request is queued in the directory; the server that has the mailbox's database runs it
// (src/migration/import-runner.ts) and goes on with it after a restart.
import { resolve } from 'node:path';
import { detectSourceKind } from '../../migration/open-source.ts';
import { ImportRequests, type ImportRequest, type RequestStatus, type SourceKind } from '../../migration/import-requests.ts';
import type { Mailbox } from '../../directory/directory.ts';
import type { Cmdlet, CmdletContext, OutputObject } from '../cmdlet.ts';
import type { BoundValue } from '../types.ts';
import { formatSize } from '../values.ts';

const STATUSES = ['Queued', 'InProgress', 'Completed', 'CompletedWithWarning', 'Failed'] as const;

/** Exchange refuses a BadItemLimit above 50 unless -AcceptLargeDataLoss is given. */
const LARGE_DATA_LOSS = 50;

async function findRequests(args: Record<string, BoundValue>, ctx: CmdletContext): Promise<{ request: ImportRequest; mailbox: Mailbox | undefined }[]> {
  const requests = new ImportRequests(ctx.directory);
  let mailboxId: string | undefined;
  let name: string | undefined = args.Name as string | undefined;
  if (args.Identity) {
    // <mailbox>\<request name>, as Exchange writes a request's identity.
    const text = String(args.Identity);
    const slash = text.lastIndexOf('\\');
    if (slash < 0) throw new Error(`-Identity is <mailbox>\\<request name>, e.g. chris\\MailboxImport (got '${text}').`);
    mailboxId = (await ctx.directory.requireMailbox(text.slice(0, slash))).id;
    name = text.slice(slash + 1);
  } else if (args.Mailbox) mailboxId = (await ctx.directory.requireMailbox(String(args.Mailbox))).id;
  const status = args.Status ? [args.Status as RequestStatus] : undefined;
  const found = (await requests.list({ ...(mailboxId ? { mailboxId } : {}), ...(status ? { status } : {}) }))
    .filter((r) => !name || r.name.toLowerCase() === name.toLowerCase());
  if (args.Identity && found.length === 0) throw new Error(`There is no import request '${String(args.Identity)}'.`);
  const out = [];
  for (const request of found) out.push({ request, mailbox: await ctx.directory.mailboxById(request.mailboxId) });
  return out;
}

function identity(request: ImportRequest, mailbox: Mailbox | undefined): string {
  return `${mailbox?.alias ?? request.mailboxId}\\${request.name}`;
}

function percent(r: ImportRequest): number {
  if (r.status === 'Completed' || r.status === 'CompletedWithWarning') return 100;
  if (r.status === 'Queued' || r.progress.messagesTotal === 0) return 0;
  return Math.min(99, Math.floor((100 * r.progress.messagesDone) / r.progress.messagesTotal));
}

function brief(request: ImportRequest, mailbox: Mailbox | undefined): OutputObject {
  return { Name: request.name, Mailbox: mailbox?.name ?? request.mailboxId, Status: request.status, Identity: identity(request, mailbox) };
}

function reportLines(r: ImportRequest): string[] {
  return (r.report ?? []).flatMap((f) => [
    `${f.source} -> ${f.target ?? '(not imported)'}: ${f.sourceCount} at the source, ${f.imported} imported, ${f.alreadyImported} already there, ${f.skipped.length} skipped; ${f.addsUp ? 'adds up' : 'DOES NOT ADD UP'}; UIDs ${f.uidsKept ? `kept (UIDVALIDITY ${f.uidValidity})` : 'new'}`,
    ...f.skipped.map((s) => `  skipped ${s.item}: ${s.reason}`),
    ...f.notes.map((n) => `  note: ${n}`),
  ]);
}

export const mailboxImportCmdlets: Cmdlet[] = [
  {
    name: 'New-MailboxImportRequest',
    synopsis: 'Queues an import of a Maildir, Dovecot Maildir++ mail root or mbox file(s) into a mailbox; the server that has the mailbox runs it.',
    parameters: [
      { name: 'Mailbox', kind: 'string', required: true, positional: 0, help: 'The mailbox to import into.' },
      { name: 'FilePath', kind: 'string', required: true, help: 'A maildir (cur/ and new/, or Dovecot\'s Maildir++ `.Folder`s), an mbox file, or a folder of mbox files, as the server sees the path.' },
      { name: 'Name', kind: 'string', help: 'The request\'s name (default MailboxImport, then MailboxImport1, …).' },
      { name: 'SourceRootFolder', kind: 'string', help: 'Import only this source folder\'s subfolders (levels separated by /).' },
      { name: 'TargetRootFolder', kind: 'string', help: 'Put the imported folders under this folder instead of the top of the mailbox.' },
      { name: 'IncludeFolders', kind: 'string', multi: true, help: 'Only these folders: names with /, `Name/*` for a subtree, #Inbox#, #SentItems#, #Drafts#, #DeletedItems#, #JunkEmail#, #Archive#.' },
      { name: 'ExcludeFolders', kind: 'string', multi: true, help: 'Not these folders (same forms as -IncludeFolders).' },
      { name: 'BadItemLimit', kind: 'int', allowUnlimited: true, help: 'Bad items (truncated, unreadable or over 150 MB, malformed mbox separators, invalid folder names) skipped before the request fails (default 0).' },
      { name: 'AcceptLargeDataLoss', kind: 'switch', help: 'Required for a BadItemLimit above 50, as in Exchange.' },
      { name: 'SourceFormat', kind: 'enum', values: ['Maildir', 'Mbox'], help: 'Mailroom: the kind of source, when the path could be either (a folder of files that are mbox files, not a maildir). Found from the path by default.' },
      { name: 'MboxFormat', kind: 'enum', values: ['mboxrd', 'mboxo'], help: 'Mailroom: how `From ` lines in mbox bodies were escaped (default mboxrd; mboxo unescapes only ">From ").' },
      { name: 'Pop3UidlFormat', kind: 'string', help: 'Mailroom: the old Dovecot\'s pop3_uidl_format (default %08Xu%08Xv), so POP3 clients keep their UIDLs; $null for Mailroom\'s own.' },
    ],
    examples: [
      'New-MailboxImportRequest -Mailbox chris -FilePath /srv/old/chris/Maildir',
      'New-MailboxImportRequest chris -FilePath /srv/old/chris/mail -TargetRootFolder "Old mail" -ExcludeFolders "#JunkEmail#" -BadItemLimit 10',
    ],
    async run(args, ctx) {
      const mailbox = await ctx.directory.requireMailbox(String(args.Mailbox));
      const filePath = resolve(String(args.FilePath));
      const badItemLimit = (args.BadItemLimit ?? 0) as number | 'unlimited';
      if ((badItemLimit === 'unlimited' || badItemLimit > LARGE_DATA_LOSS) && args.AcceptLargeDataLoss !== true) {
        throw new Error(`A BadItemLimit above ${LARGE_DATA_LOSS} needs -AcceptLargeDataLoss: every bad item skipped is mail that does not arrive.`);
      }
      let kind = args.SourceFormat as SourceKind | undefined;
      const detected = await detectSourceKind(filePath);
      if (typeof detected !== 'string') throw new Error(detected.problem);
      kind ??= detected;
      if (args.Pop3UidlFormat !== undefined && kind !== 'Maildir') throw new Error('-Pop3UidlFormat applies to a Dovecot Maildir++ source only (mbox has no Dovecot UIDs to compute it from).');
      if (args.MboxFormat !== undefined && kind !== 'Mbox') throw new Error('-MboxFormat applies to mbox sources only.');
      const request = await new ImportRequests(ctx.directory).create({
        mailboxId: mailbox.id,
        ...(args.Name ? { name: String(args.Name) } : {}),
        filePath, sourceKind: kind,
        options: {
          badItemLimit,
          ...(args.SourceRootFolder ? { sourceRootFolder: String(args.SourceRootFolder) } : {}),
          ...(args.TargetRootFolder ? { targetRootFolder: String(args.TargetRootFolder) } : {}),
          ...(args.IncludeFolders ? { includeFolders: (args.IncludeFolders as unknown[]).map(String) } : {}),
          ...(args.ExcludeFolders ? { excludeFolders: (args.ExcludeFolders as unknown[]).map(String) } : {}),
          ...(args.MboxFormat ? { mboxVariant: args.MboxFormat as 'mboxrd' | 'mboxo' } : {}),
          ...(args.Pop3UidlFormat !== undefined ? { pop3UidlFormat: args.Pop3UidlFormat === null ? null : String(args.Pop3UidlFormat) } : {}),
        },
      });
      return [brief(request, mailbox)];
    },
  },
  {
    name: 'Get-MailboxImportRequest',
    synopsis: 'Lists import requests and their status.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, help: 'One request: <mailbox>\\<name>.' },
      { name: 'Mailbox', kind: 'string', help: 'The requests of this mailbox.' },
      { name: 'Name', kind: 'string', help: 'Requests with this name.' },
      { name: 'Status', kind: 'enum', values: STATUSES, help: 'Requests in this status.' },
    ],
    examples: ['Get-MailboxImportRequest', 'Get-MailboxImportRequest -Mailbox chris -Status Failed'],
    async run(args, ctx) {
      return (await findRequests(args, ctx)).map(({ request, mailbox }) => brief(request, mailbox));
    },
  },
  {
    name: 'Get-MailboxImportRequestStatistics',
    synopsis: 'Shows an import request\'s progress: status, percent complete, items and bytes transferred, bad items; with -IncludeReport the per-folder report.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'The request: <mailbox>\\<name>.' },
      { name: 'IncludeReport', kind: 'switch', help: 'Adds the per-folder report: counted at the source, imported, already there, skipped with why.' },
    ],
    examples: ['Get-MailboxImportRequestStatistics chris\\MailboxImport', 'Get-MailboxImportRequestStatistics chris\\MailboxImport -IncludeReport'],
    async run(args, ctx) {
      return (await findRequests(args, ctx)).map(({ request: r, mailbox }) => ({
        Name: r.name, Status: r.status, TargetMailboxIdentity: mailbox?.name ?? r.mailboxId, FilePath: r.filePath, SourceFormat: r.sourceKind,
        SourceRootFolder: r.options.sourceRootFolder ?? null, TargetRootFolder: r.options.targetRootFolder ?? null,
        IncludeFolders: r.options.includeFolders ?? [], ExcludeFolders: r.options.excludeFolders ?? [],
        BadItemLimit: r.options.badItemLimit === 'unlimited' ? 'Unlimited' : r.options.badItemLimit, BadItemsEncountered: r.progress.badItems,
        QueuedTimestamp: r.queuedAt, StartTimestamp: r.startedAt, CompletionTimestamp: r.completedAt,
        EstimatedTransferItemCount: r.progress.messagesTotal, EstimatedTransferSize: formatSize(r.progress.bytesTotal),
        ItemsTransferred: r.progress.itemsTransferred, BytesTransferred: formatSize(r.progress.bytesTransferred),
        PercentComplete: percent(r), Message: r.failure,
        ...(args.IncludeReport === true ? { Report: reportLines(r) } : {}),
        Identity: identity(r, mailbox),
      }));
    },
  },
  {
    name: 'Remove-MailboxImportRequest',
    synopsis: 'Removes an import request; one in progress stops within a second. What it imported stays in the mailbox.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, help: 'The request: <mailbox>\\<name>.' },
      { name: 'Mailbox', kind: 'string', help: 'All requests of this mailbox.' },
      { name: 'Status', kind: 'enum', values: STATUSES, help: 'Only requests in this status (e.g. Completed).' },
    ],
    examples: ['Remove-MailboxImportRequest chris\\MailboxImport', 'Remove-MailboxImportRequest -Mailbox chris -Status Completed'],
    async run(args, ctx) {
      if (!args.Identity && !args.Mailbox && !args.Status) throw new Error('Say which requests: -Identity <mailbox>\\<name>, -Mailbox or -Status.');
      const found = await findRequests(args, ctx);
      const requests = new ImportRequests(ctx.directory);
      for (const { request } of found) await requests.remove(request.id);
      return found.map(({ request, mailbox }) => ({ ...brief(request, mailbox), Removed: true }));
    },
  },
];
