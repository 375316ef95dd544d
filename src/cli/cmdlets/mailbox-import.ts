// New-, Get-, Remove-MailboxImportRequest and Get-MailboxImportRequestStatistics: Exchange's
// import requests, for Maildir, Dovecot Maildir++ and mbox sources instead of .pst files. The
// request is queued in the directory; the server that has the mailbox's database runs it
// (src/migration/import-runner.ts) and goes on with it after a restart.
import { resolve } from 'node:path';
import { detectSourceKind } from '../../migration/open-source.ts';
import {
  IMAP_PASSWORD_PURPOSE, ImportRequests, type ImapRequestOptions, type ImportRequest, type RequestStatus, type SourceKind,
} from '../../migration/import-requests.ts';
import { IMAP_SECURITY, tlsOptions, type ImapSecurity } from '../../migration/imap-source.ts';
import type { Mailbox } from '../../directory/directory.ts';
import { MailboxLocator } from '../../directory/mailbox-locator.ts';
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

const IMAP_ONLY = ['Port', 'Security', 'RemoteUserName', 'RemotePassword', 'RemoteMasterUserName', 'RemoteMasterUserSeparator', 'AcceptUntrustedCertificates', 'RemoteCertificateThumbprint', 'RemoteCACertificateFile'];

/** The IMAP source's settings from -RemoteServer and its companions, checked; null for a file source. */
async function imapSettings(args: Record<string, BoundValue>, ctx: CmdletContext): Promise<ImapRequestOptions | null> {
  if (args.RemoteServer === undefined) {
    const stray = IMAP_ONLY.filter((p) => args[p] !== undefined);
    if (stray.length > 0) throw new Error(`${stray.map((p) => `-${p}`).join(', ')} ${stray.length > 1 ? 'go' : 'goes'} with -RemoteServer (an IMAP source).`);
    return null;
  }
  for (const p of ['FilePath', 'SourceFormat', 'MboxFormat', 'Pop3UidlFormat']) {
    if (args[p] !== undefined) throw new Error(`-${p} is for file sources; an IMAP source (-RemoteServer) has none.`);
  }
  if (!args.RemoteUserName || args.RemotePassword === undefined || args.RemotePassword === null) throw new Error('An IMAP source needs -RemoteUserName and -RemotePassword.');
  if (args.RemoteMasterUserSeparator !== undefined && !args.RemoteMasterUserName) throw new Error('-RemoteMasterUserSeparator goes with -RemoteMasterUserName.');
  const separator = args.RemoteMasterUserSeparator === undefined ? undefined : String(args.RemoteMasterUserSeparator);
  if (separator !== undefined && separator.length !== 1) throw new Error(`-RemoteMasterUserSeparator is one character, such as * (got '${separator}').`);
  const port = args.Port === undefined ? undefined : Number(args.Port);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new Error(`-Port must be 1 to 65535 (got ${port}).`);
  const trust = ['AcceptUntrustedCertificates', 'RemoteCertificateThumbprint', 'RemoteCACertificateFile'].filter((p) => args[p] !== undefined && args[p] !== false);
  if (trust.length > 1) throw new Error(`Give one of ${trust.map((p) => `-${p}`).join(', ')}.`);
  const security = (args.Security as ImapSecurity | undefined) ?? 'Ssl';
  if (security === 'None' && trust.length > 0) throw new Error(`-${trust[0]} needs -Security Ssl or Tls.`);
  const fingerprint = args.RemoteCertificateThumbprint === undefined ? undefined : String(args.RemoteCertificateThumbprint).replaceAll(':', '').toLowerCase();
  if (fingerprint !== undefined && (fingerprint.length !== 64 || [...fingerprint].some((c) => !'0123456789abcdef'.includes(c)))) {
    throw new Error('-RemoteCertificateThumbprint is a SHA-256 fingerprint: 64 hexadecimal digits, colons allowed (openssl x509 -noout -fingerprint -sha256).');
  }
  const caFile = args.RemoteCACertificateFile === undefined ? undefined : resolve(String(args.RemoteCACertificateFile));
  const settings: ImapRequestOptions = {
    host: String(args.RemoteServer), security, userName: String(args.RemoteUserName),
    passwordSealed: ctx.directory.secrets.seal(String(args.RemotePassword), IMAP_PASSWORD_PURPOSE),
    ...(port !== undefined ? { port } : {}),
    ...(args.RemoteMasterUserName ? { masterUserName: String(args.RemoteMasterUserName) } : {}),
    ...(separator ? { masterSeparator: separator } : {}),
    ...(args.AcceptUntrustedCertificates === true ? { acceptUntrustedCertificates: true } : {}),
    ...(fingerprint ? { certificateFingerprint: fingerprint } : {}),
    ...(caFile ? { caFile } : {}),
  };
  if (caFile) await tlsOptions({ ...settings, password: '', caFile }, port ?? 993).catch((err: Error) => {
    throw new Error(`-RemoteCACertificateFile: ${err.message}`);
  });
  return settings;
}

export const mailboxImportCmdlets: Cmdlet[] = [
  {
    name: 'New-MailboxImportRequest',
    synopsis: 'Queues an import of a Maildir, Dovecot Maildir++ mail root or mbox file(s), or of a mailbox on another IMAP server, into a mailbox; the server that has the mailbox runs it.',
    parameters: [
      { name: 'Mailbox', kind: 'string', required: true, positional: 0, help: 'The mailbox to import into.' },
      { name: 'FilePath', kind: 'string', help: 'A maildir (cur/ and new/, or Dovecot\'s Maildir++ `.Folder`s), an mbox file, or a folder of mbox files, as the server sees the path. Or -RemoteServer for an IMAP source.' },
      { name: 'RemoteServer', kind: 'string', help: 'Mailroom: import from this IMAP server instead of files (New-MigrationEndpoint\'s name for it).' },
      { name: 'Port', kind: 'int', help: 'The IMAP server\'s port (993 for -Security Ssl, else 143).' },
      { name: 'Security', kind: 'enum', values: IMAP_SECURITY, help: 'Ssl (TLS from the start, the default), Tls (STARTTLS) or None (plain text: the password crosses the network readable).' },
      { name: 'RemoteUserName', kind: 'string', help: 'The mailbox\'s logon name at the IMAP server (for Exchange 2013 as an administrator: domain\\admin\\user).' },
      { name: 'RemotePassword', kind: 'secret', help: 'Its password; with -RemoteMasterUserName, the master user\'s password. Kept sealed in the directory until the import runs.' },
      { name: 'RemoteMasterUserName', kind: 'string', help: 'Mailroom: log on as this administrator on the user\'s behalf: SASL PLAIN with the user as authorization identity (Dovecot master users, Cyrus, Zimbra).' },
      { name: 'RemoteMasterUserSeparator', kind: 'string', help: 'Mailroom: log on as user<separator>master instead (Dovecot\'s auth_master_user_separator, usually *).' },
      { name: 'AcceptUntrustedCertificates', kind: 'switch', help: 'Take any certificate the IMAP server presents (anyone in between can then read the password and the mail).' },
      { name: 'RemoteCertificateThumbprint', kind: 'string', help: 'Mailroom: trust the certificate with this SHA-256 fingerprint in the IMAP server\'s chain (a self-signed server, reached by name or address).' },
      { name: 'RemoteCACertificateFile', kind: 'string', help: 'Mailroom: a PEM file of a CA (or self-signed certificate) to trust for the IMAP server, besides the system\'s.' },
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
      'New-MailboxImportRequest chris -RemoteServer imap.old.example -RemoteUserName chris -RemotePassword \'old-password\'',
    ],
    async run(args, ctx) {
      const mailbox = await ctx.directory.requireMailbox(String(args.Mailbox));
      const imap = await imapSettings(args, ctx);
      if (!imap && args.FilePath === undefined) throw new Error('Say where the mail is: -FilePath (a maildir or mbox) or -RemoteServer (an IMAP server).');
      const filePath = imap
        ? `imap://${imap.host.includes(':') ? `[${imap.host}]` : imap.host}:${imap.port ?? (imap.security === 'Ssl' ? 993 : 143)}/${encodeURIComponent(imap.userName)}`
        : resolve(String(args.FilePath));
      const badItemLimit = (args.BadItemLimit ?? 0) as number | 'unlimited';
      if ((badItemLimit === 'unlimited' || badItemLimit > LARGE_DATA_LOSS) && args.AcceptLargeDataLoss !== true) {
        throw new Error(`A BadItemLimit above ${LARGE_DATA_LOSS} needs -AcceptLargeDataLoss: every bad item skipped is mail that does not arrive.`);
      }
      let kind = imap ? 'Imap' as const : args.SourceFormat as SourceKind | undefined;
      if (!kind) {
        const detected = await detectSourceKind(filePath);
        if (typeof detected !== 'string') throw new Error(detected.problem);
        kind = detected;
      }
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
          ...(imap ? { imap } : {}),
        },
      });
      await warnWhereItRuns(ctx, mailbox, imap === null);
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

/**
 * The request runs on the server holding the mailbox (the mailbox locator), and only while its
 * database is mounted: the admin is told when that is not here, or not now.
 */
async function warnWhereItRuns(ctx: CmdletContext, mailbox: Mailbox, fromFile: boolean): Promise<void> {
  const here = await ctx.directory.localServer().then((s) => s.name, () => undefined);
  const { database, server, local } = await new MailboxLocator(ctx.directory, here ?? '').locate(mailbox);
  if (!database.mounted) {
    ctx.warn(`The mailbox database ${database.name} of ${mailbox.primarySmtpAddress} is dismounted: the request stays Queued until Mount-Database mounts it on ${server.name}.`);
  } else if (!local) {
    ctx.warn(`The request runs on ${server.name}, which holds ${mailbox.primarySmtpAddress}${fromFile ? ': -FilePath must be readable there, at that path' : ''}.`);
  }
}
