// Get-MailboxFolderStatistics: each folder's item count and size, read from the counters the
// store keeps per folder (no message is read); the oldest and newest received dates, which need
// a look at the folder's messages, only with -IncludeOldestAndNewestItems, as in Exchange.
import { MailboxDatabases } from '../../backend/mailbox-databases.ts';
import { inboxDisplayName } from '../../store/folder-names.ts';
import type { Folder, FolderRole, MailStore } from '../../store/types.ts';
import type { Cmdlet, OutputObject } from '../cmdlet.ts';
import { formatSize } from '../values.ts';

/** Exchange's FolderType of each default folder; folders users make are "User Created". */
const FOLDER_TYPES: Record<FolderRole, string> = {
  inbox: 'Inbox', sent: 'SentItems', trash: 'DeletedItems', drafts: 'Drafts', junk: 'JunkEmail', archive: 'Archive',
};

/**
 * The -FolderScope values that name folders a Mailroom mailbox has. Exchange's others (Calendar,
 * Contacts, Tasks, Notes, Journal, …) name folders Mailroom does not keep, so they are refused
 * by the binder rather than answered with nothing.
 */
const SCOPES = ['All', 'Inbox', 'SentItems', 'DeletedItems', 'Drafts', 'JunkEmail', 'Archive', 'Personal', 'RecoverableItems'] as const;
type Scope = (typeof SCOPES)[number];

interface Row {
  folder: Folder;
  messages: number;
  size: number;
}

function inScope(scope: Scope, row: Row, rows: Row[]): boolean {
  if (scope === 'All') return true;
  if (scope === 'RecoverableItems') return false;
  // A scope is its default folder and everything under it; Personal is what users made.
  const roots = rows.filter((r) => (scope === 'Personal' ? r.folder.role === null && !r.folder.name.includes('/') : r.folder.role !== null && FOLDER_TYPES[r.folder.role] === scope));
  return roots.some((root) => row.folder.name === root.folder.name || row.folder.name.startsWith(`${root.folder.name}/`));
}

async function statistics(store: MailStore, mailboxId: string, language: string, scope: Scope, dates: boolean): Promise<OutputObject[]> {
  const rows: Row[] = [];
  for (const folder of await store.folders(mailboxId)) {
    const status = await store.status(folder.id);
    rows.push({ folder, messages: status.messages, size: status.size });
  }
  const below = (row: Row) => rows.filter((r) => r.folder.name === row.folder.name || r.folder.name.startsWith(`${row.folder.name}/`));
  const displayName = (folder: Folder) => (folder.name === 'INBOX' ? inboxDisplayName(language) : folder.name.split('/').pop()!);
  const displayPath = (folder: Folder) => `/${folder.name === 'INBOX' || folder.name.startsWith('INBOX/') ? inboxDisplayName(language) + folder.name.slice(5) : folder.name}`;
  const out: OutputObject[] = [];
  const dateFields = (range: { oldest: Date; newest: Date } | undefined): OutputObject =>
    dates ? { OldestItemReceivedDate: range?.oldest.toISOString() ?? null, NewestItemReceivedDate: range?.newest.toISOString() ?? null } : {};
  if (scope === 'All') {
    const messages = rows.reduce((n, r) => n + r.messages, 0);
    const size = rows.reduce((n, r) => n + r.size, 0);
    out.push({
      Name: 'Top of Information Store', FolderPath: '/', FolderType: 'Root', ItemsInFolder: 0, FolderSize: formatSize(0),
      ItemsInFolderAndSubfolders: messages, FolderAndSubfolderSize: formatSize(size), ...dateFields(undefined),
    });
  }
  for (const row of rows.filter((r) => inScope(scope, r, rows))) {
    const subtree = below(row);
    out.push({
      Name: displayName(row.folder),
      FolderPath: displayPath(row.folder),
      FolderType: row.folder.role ? FOLDER_TYPES[row.folder.role] : 'User Created',
      ItemsInFolder: row.messages,
      FolderSize: formatSize(row.size),
      ItemsInFolderAndSubfolders: subtree.reduce((n, r) => n + r.messages, 0),
      FolderAndSubfolderSize: formatSize(subtree.reduce((n, r) => n + r.size, 0)),
      ...(dates ? dateFields(await store.receivedDateRange(row.folder.id)) : {}),
    });
  }
  if (scope === 'All' || scope === 'RecoverableItems') {
    // Deleted messages kept for DeletedItemRetention: Exchange's Recoverable Items folder.
    const items = await store.recoverableItems(mailboxId);
    const size = items.reduce((n, i) => n + i.size, 0);
    const received = items.map((i) => i.internalDate.getTime());
    out.push({
      Name: 'Recoverable Items', FolderPath: '/Recoverable Items', FolderType: 'RecoverableItemsRoot',
      ItemsInFolder: items.length, FolderSize: formatSize(size), ItemsInFolderAndSubfolders: items.length, FolderAndSubfolderSize: formatSize(size),
      ...dateFields(received.length > 0 ? { oldest: new Date(Math.min(...received)), newest: new Date(Math.max(...received)) } : undefined),
    });
  }
  return out;
}

export const folderStatisticsCmdlets: Cmdlet[] = [
  {
    name: 'Get-MailboxFolderStatistics',
    synopsis: 'Shows each folder of a mailbox with its item count and size, and the totals with its subfolders.',
    parameters: [
      { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'The mailbox.' },
      { name: 'FolderScope', kind: 'enum', values: SCOPES, help: 'Only this default folder and its subfolders (Personal: the folders users made; RecoverableItems: deleted items still recoverable). All by default.' },
      { name: 'IncludeOldestAndNewestItems', kind: 'switch', help: 'Also show when the oldest and newest item of each folder arrived.' },
    ],
    examples: ['Get-MailboxFolderStatistics chris', 'Get-MailboxFolderStatistics chris -FolderScope Inbox -IncludeOldestAndNewestItems'],
    async run(args, ctx) {
      const mailbox = await ctx.directory.requireMailbox(args.Identity as string);
      const databases = new MailboxDatabases(ctx.directory);
      try {
        const store = await databases.storeFor(mailbox);
        const language = (mailbox.settings.Languages as string[])[0] ?? 'en-US';
        return await statistics(store, mailbox.id, language, (args.FolderScope as Scope | undefined) ?? 'All', args.IncludeOldestAndNewestItems === true);
      } finally {
        await databases.closeAll();
      }
    },
  },
];
