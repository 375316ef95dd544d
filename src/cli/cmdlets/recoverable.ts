// Get-RecoverableItems, Restore-RecoverableItems and Get-MailboxStatistics: what a POP3 client
// took away or an IMAP client expunged stays recoverable for DeletedItemRetention (14 days).
import { MailboxDatabases } from '../../backend/mailbox-databases.ts';
import type { RecoverableItem } from '../../store/types.ts';
import type { Cmdlet, CmdletContext, OutputObject } from '../cmdlet.ts';
import type { BoundValue, ParameterSpec } from '../types.ts';
import { formatSize } from '../values.ts';

const FILTERS: ParameterSpec[] = [
  { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'The mailbox.' },
  { name: 'SubjectContains', kind: 'string', help: 'Only items whose subject contains this text (any case).' },
  { name: 'SourceFolder', kind: 'string', help: 'Only items deleted from this folder, e.g. INBOX.' },
  { name: 'FilterStartTime', kind: 'string', help: 'Only items deleted at or after this time (ISO 8601 or a date).' },
  { name: 'FilterEndTime', kind: 'string', help: 'Only items deleted at or before this time.' },
  { name: 'EntryID', kind: 'int', multi: true, help: 'Only these items (EntryID from Get-RecoverableItems).' },
];

function time(value: BoundValue | undefined, param: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const t = Date.parse(String(value));
  if (Number.isNaN(t)) throw new Error(`-${param} must be a date or time such as 2026-11-01 or 2026-11-01T08:00 (got '${value}').`);
  return t;
}

async function matching(args: Record<string, BoundValue>, ctx: CmdletContext) {
  const mailbox = await ctx.directory.requireMailbox(args.Identity as string);
  const databases = new MailboxDatabases(ctx.directory);
  const store = await databases.storeFor(mailbox);
  const start = time(args.FilterStartTime, 'FilterStartTime');
  const end = time(args.FilterEndTime, 'FilterEndTime');
  const ids = args.EntryID ? new Set(args.EntryID as number[]) : undefined;
  const subject = (args.SubjectContains as string | undefined)?.toLowerCase();
  const folder = (args.SourceFolder as string | undefined)?.toLowerCase();
  const items = (await store.recoverableItems(mailbox.id)).filter(
    (i) =>
      (!ids || ids.has(i.id)) &&
      (!subject || i.subject.toLowerCase().includes(subject)) &&
      (!folder || i.folderName.toLowerCase() === folder) &&
      (start === undefined || i.deletedAt.getTime() >= start) &&
      (end === undefined || i.deletedAt.getTime() <= end),
  );
  return { mailbox, databases, store, items };
}

function show(i: RecoverableItem): OutputObject {
  return {
    EntryID: i.id, Subject: i.subject, Sender: i.from, LastParentPath: i.folderName, ItemSize: formatSize(i.size),
    DeletedTime: i.deletedAt.toISOString(), Reason: i.reason, PurgeAfter: i.purgeAfter.toISOString(),
  };
}

export const recoverableCmdlets: Cmdlet[] = [
  {
    name: 'Get-RecoverableItems',
    synopsis: 'Lists messages deleted from a mailbox (IMAP expunge, POP3 DELE, folder delete) that can still be restored.',
    parameters: FILTERS,
    examples: ['Get-RecoverableItems chris', 'Get-RecoverableItems chris -SubjectContains invoice -SourceFolder INBOX'],
    async run(args, ctx) {
      const { items, databases } = await matching(args, ctx);
      await databases.closeAll();
      return items.map(show);
    },
  },
  {
    name: 'Restore-RecoverableItems',
    synopsis: 'Puts recoverable messages back into the folder they were deleted from.',
    parameters: FILTERS,
    examples: ['Restore-RecoverableItems chris -SubjectContains invoice', 'Restore-RecoverableItems chris -EntryID 12,13'],
    async run(args, ctx) {
      const { items, store, mailbox, databases } = await matching(args, ctx);
      if (!args.EntryID && !args.SubjectContains && !args.SourceFolder && !args.FilterStartTime && !args.FilterEndTime) {
        ctx.warn(`Restoring all ${items.length} recoverable items of ${mailbox.name}.`);
      }
      const restored = await store.restoreRecoverableItems(mailbox.id, items.map((i) => i.id));
      await databases.closeAll();
      return items.slice(0, restored).map((i) => ({ ...show(i), Restored: true }));
    },
  },
  {
    name: 'Get-MailboxStatistics',
    synopsis: 'Shows a mailbox\'s size, item count, recoverable size and quotas.',
    parameters: [{ name: 'Identity', kind: 'string', positional: 0, required: true, help: 'The mailbox.' }],
    async run(args, ctx) {
      const mailbox = await ctx.directory.requireMailbox(args.Identity as string);
      const databases = new MailboxDatabases(ctx.directory);
      const store = await databases.storeFor(mailbox);
      const usage = await store.usage(mailbox.id);
      const limit = await databases.quotaLimit(mailbox.id);
      await databases.closeAll();
      return [{
        DisplayName: mailbox.settings.DisplayName, ItemCount: usage.messages, TotalItemSize: formatSize(usage.bytes),
        TotalDeletedItemSize: formatSize(usage.recoverableBytes), ProhibitSendReceiveQuota: formatSize(limit),
        Database: mailbox.database,
      }];
    },
  },
];
