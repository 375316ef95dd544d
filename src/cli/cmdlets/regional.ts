// Get-MailboxRegionalConfiguration and Set-MailboxRegionalConfiguration: the mailbox's language
// (the first of its Languages, as Exchange keeps one culture list for both) and, with
// -LocalizeDefaultFolderName, the default folders renamed to Outlook's names in that language.
// A rename keeps each folder, so UIDVALIDITY, UIDs, flags and the SPECIAL-USE role stay and IMAP
// clients only see the new name.
import { MailboxDatabases } from '../../backend/mailbox-databases.ts';
import { isLanguageTag } from '../../config/mailbox.ts';
import type { Mailbox } from '../../directory/directory.ts';
import { DEFAULT_ROLES, defaultFolderNames, hasLocalizedFolderNames } from '../../store/folder-names.ts';
import { FolderError, type MailStore } from '../../store/types.ts';
import type { Cmdlet, CmdletContext, OutputObject } from '../cmdlet.ts';

const IDENTITY = { name: 'Identity', kind: 'string', positional: 0, required: true, help: 'The mailbox.' } as const;

function languageOf(mailbox: Mailbox): string {
  return (mailbox.settings.Languages as string[])[0] ?? 'en-US';
}

/** Whether every default folder has its name in the mailbox's language. */
async function namesMatch(store: MailStore, mailbox: Mailbox): Promise<boolean> {
  const names = defaultFolderNames(languageOf(mailbox));
  const folders = await store.folders(mailbox.id);
  return DEFAULT_ROLES.every((role) => {
    const folder = folders.find((f) => f.role === role);
    return !folder || folder.name === names[role];
  });
}

function show(mailbox: Mailbox, matching: boolean): OutputObject {
  return {
    Identity: mailbox.name,
    DateFormat: null,
    Language: languageOf(mailbox),
    DefaultFolderNameMatchingUserLanguage: matching,
    TimeFormat: null,
    TimeZone: null,
  };
}

/** Renames the default folders to the language's names; a name another folder holds is left, with a warning. */
async function localizeFolders(store: MailStore, mailbox: Mailbox, language: string, ctx: CmdletContext): Promise<void> {
  const names = defaultFolderNames(language);
  const folders = await store.folders(mailbox.id);
  for (const role of DEFAULT_ROLES) {
    const folder = folders.find((f) => f.role === role);
    if (!folder || folder.name === names[role]) continue;
    try {
      await store.renameFolder(mailbox.id, folder.name, names[role]);
    } catch (err) {
      if (!(err instanceof FolderError) || err.code !== 'exists') throw err;
      ctx.warn(`'${folder.name}' keeps its name: the mailbox already has a folder '${names[role]}'. Rename or remove that folder and run the command again.`);
    }
  }
}

export const regionalCmdlets: Cmdlet[] = [
  {
    name: 'Get-MailboxRegionalConfiguration',
    synopsis: 'Shows a mailbox\'s language and whether its default folders carry that language\'s names.',
    parameters: [IDENTITY],
    examples: ['Get-MailboxRegionalConfiguration chris'],
    async run(args, ctx) {
      const mailbox = await ctx.directory.requireMailbox(args.Identity as string);
      const databases = new MailboxDatabases(ctx.directory);
      try {
        return [show(mailbox, await namesMatch(await databases.storeFor(mailbox), mailbox))];
      } finally {
        await databases.closeAll();
      }
    },
  },
  {
    name: 'Set-MailboxRegionalConfiguration',
    synopsis: 'Sets a mailbox\'s language (the web pages\' language, the first of its Languages); -LocalizeDefaultFolderName renames its default folders to Outlook\'s names in it, keeping their contents, UIDs and roles.',
    parameters: [
      IDENTITY,
      { name: 'Language', kind: 'string', help: 'Language tag such as zh-TW, zh-CN, ja-JP, de-DE, fr-FR, es-ES or en-US.' },
      { name: 'LocalizeDefaultFolderName', kind: 'switch', help: 'Rename Sent Items, Deleted Items, Drafts, Junk Email and Archive to their names in the language (zh-TW: 寄件備份, 刪除的郵件, 草稿, 垃圾郵件, 封存).' },
      { name: 'DateFormat', kind: 'string', help: 'Not supported: Mailroom\'s pages show dates in the language\'s own format.' },
      { name: 'TimeFormat', kind: 'string', help: 'Not supported: Mailroom\'s pages show times in the language\'s own format.' },
      { name: 'TimeZone', kind: 'string', help: 'Not supported: meetings are shown in the time zone the organizer gave.' },
    ],
    examples: [
      'Set-MailboxRegionalConfiguration xiaoming -Language zh-TW -LocalizeDefaultFolderName',
      'Set-MailboxRegionalConfiguration chris -Language de-DE',
    ],
    async run(args, ctx) {
      for (const name of ['DateFormat', 'TimeFormat', 'TimeZone']) {
        if (name in args) throw new Error(`-${name}: Mailroom does not support it; its web pages show dates and times in the format of the mailbox's language, and meetings in the organizer's time zone.`);
      }
      if (!('Language' in args) && args.LocalizeDefaultFolderName !== true) throw new Error('Set-MailboxRegionalConfiguration needs -Language or -LocalizeDefaultFolderName.');
      let mailbox = await ctx.directory.requireMailbox(args.Identity as string);
      const language = (args.Language as string | undefined)?.trim();
      if (language !== undefined) {
        if (!isLanguageTag(language)) throw new Error(`-Language must be a language tag such as zh-TW or de-DE (got '${language}').`);
        const others = (mailbox.settings.Languages as string[]).filter((l) => l.toLowerCase() !== language.toLowerCase());
        mailbox = await ctx.directory.updateMailbox(mailbox.id, { settings: { Languages: [language, ...others] } });
      }
      if (args.LocalizeDefaultFolderName === true) {
        const target = languageOf(mailbox);
        if (!hasLocalizedFolderNames(target)) ctx.warn(`Mailroom has no localized folder names for ${target}; the default folders get their English names.`);
        const databases = new MailboxDatabases(ctx.directory);
        try {
          await localizeFolders(await databases.storeFor(mailbox), mailbox, target, ctx);
        } finally {
          await databases.closeAll();
        }
      }
    },
  },
];
