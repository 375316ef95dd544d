// Per-mailbox settings: quotas (Set-Mailbox, with the database defaults of Set-MailboxDatabase)
// and the POP3/IMAP4 settings of Set-CASMailbox (shared/research/exchange-features.md §3, §7).
import { MIME_FORMATS, NO_DOWNLOAD_RECEIPTS, NO_ESTIMATED_SIZES, unsupportedMimeFormat } from './pop-imap.ts';
import type { SettingDef } from './model.ts';

const GB = 1024 ** 3;
const MAX_QUOTA = 2047 * GB;
const DAY = 86400;

export const DATABASE_SETTINGS: readonly SettingDef[] = [
  { name: 'IssueWarningQuota', kind: 'size', min: 0, max: MAX_QUOTA, allowUnlimited: true, default: 2039480320,
    help: 'Mailbox size at which the owner is warned.' },
  { name: 'ProhibitSendQuota', kind: 'size', min: 0, max: MAX_QUOTA, allowUnlimited: true, default: 2 * GB,
    help: 'Mailbox size at which the owner can no longer send.' },
  { name: 'ProhibitSendReceiveQuota', kind: 'size', min: 0, max: MAX_QUOTA, allowUnlimited: true, default: 2469396480,
    help: 'Mailbox size at which the mailbox neither sends nor receives.' },
  { name: 'RecoverableItemsWarningQuota', kind: 'size', min: 0, max: MAX_QUOTA, allowUnlimited: true, default: 20 * GB,
    help: 'Recoverable Items size at which a warning is logged.' },
  { name: 'RecoverableItemsQuota', kind: 'size', min: 0, max: MAX_QUOTA, allowUnlimited: true, default: 30 * GB,
    help: 'Largest size of the Recoverable Items of a mailbox.' },
  { name: 'DeletedItemRetention', kind: 'timespan', min: 0, max: 24855 * DAY, default: 14 * DAY,
    help: 'How long deleted messages stay recoverable.' },
  { name: 'MailboxRetention', kind: 'timespan', min: 0, max: 24855 * DAY, default: 30 * DAY,
    help: 'How long a removed mailbox stays recoverable.' },
];

/** A language tag as Exchange takes it: en-US, zh-TW, zh-Hant-TW, de. */
export function isLanguageTag(text: string): boolean {
  return /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/i.test(text);
}

export const LANGUAGES = ['en-US', 'zh-TW', 'zh-CN', 'ja-JP', 'de-DE', 'fr-FR'] as const;

export const MAILBOX_SETTINGS: readonly SettingDef[] = [
  { name: 'DisplayName', kind: 'string', default: '', help: 'Name shown in address lists and the From header.' },
  { name: 'Languages', kind: 'string', multi: true, default: ['en-US'],
    check: (v) => (isLanguageTag(v) ? undefined : `entries must be language tags such as en-US or zh-TW (got '${v}').`),
    help: 'Preferred languages; the first names the default folders (zh-TW: 寄件備份, 刪除的郵件, …).' },
  { name: 'UseDatabaseQuotaDefaults', kind: 'bool', default: true, help: 'Use the mailbox database\'s quotas instead of this mailbox\'s.' },
  { name: 'IssueWarningQuota', kind: 'size', min: 0, max: MAX_QUOTA, allowUnlimited: true, default: 'unlimited',
    help: 'Mailbox size at which the owner is warned (when UseDatabaseQuotaDefaults is $false).' },
  { name: 'ProhibitSendQuota', kind: 'size', min: 0, max: MAX_QUOTA, allowUnlimited: true, default: 'unlimited',
    help: 'Mailbox size at which the owner can no longer send (when UseDatabaseQuotaDefaults is $false).' },
  { name: 'ProhibitSendReceiveQuota', kind: 'size', min: 0, max: MAX_QUOTA, allowUnlimited: true, default: 'unlimited',
    help: 'Mailbox size at which the mailbox neither sends nor receives (when UseDatabaseQuotaDefaults is $false).' },
  { name: 'HiddenFromAddressListsEnabled', kind: 'bool', default: false, help: 'Hide the mailbox from address lists.' },
];

function casDefs(prefix: 'Pop' | 'Imap'): SettingDef[] {
  return [
    { name: `${prefix}Enabled`, kind: 'bool', default: true, help: `Whether the mailbox may be opened by ${prefix === 'Pop' ? 'POP3' : 'IMAP4'}.` },
    { name: `${prefix}UseProtocolDefaults`, kind: 'bool', default: true,
      help: `Use the server's ${prefix}Settings; $false makes the four ${prefix}* settings below apply.` },
    { name: `${prefix}MessagesRetrievalMimeFormat`, kind: 'enum', values: MIME_FORMATS, default: 'BestBodyFormat', unsupported: unsupportedMimeFormat,
      help: 'How messages are rendered for this mailbox.' },
    { name: `${prefix}EnableExactRFC822Size`, kind: 'bool', default: true, unsupported: (v) => (v === false ? NO_ESTIMATED_SIZES : undefined),
      help: 'Exact message sizes. Mailroom: always $true.' },
    { name: `${prefix}SuppressReadReceipt`, kind: 'bool', default: true, unsupported: (v) => (v === false ? NO_DOWNLOAD_RECEIPTS : undefined),
      help: 'Read receipts only when the user opens a message. Mailroom: always $true.' },
    { name: `${prefix}ForceICalForCalendarRetrievalOption`, kind: 'bool', default: false,
      help: 'Always deliver meeting requests as iCalendar, whatever CalendarItemRetrievalOption says.' },
  ];
}

export const CAS_MAILBOX_SETTINGS: readonly SettingDef[] = [...casDefs('Pop'), ...casDefs('Imap')];
