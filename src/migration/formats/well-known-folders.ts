// Special use by name, for sources that do not say (Maildir, mbox): the names Dovecot's,
// Exchange's, Thunderbird's and Apple Mail's default configurations give those folders,
// in English and Traditional Chinese as Mailroom provisions them.
/** RFC 6154 special uses Mailroom has folders for (the store's FolderRole without the Inbox). */
export type SpecialUse = 'sent' | 'trash' | 'drafts' | 'junk' | 'archive';

const NAMES: Record<string, SpecialUse> = {
  'sent': 'sent', 'sent items': 'sent', 'sent messages': 'sent', 'sent mail': 'sent', '寄件備份': 'sent', '已傳送郵件': 'sent',
  'drafts': 'drafts', 'draft': 'drafts', '草稿': 'drafts',
  'trash': 'trash', 'deleted items': 'trash', 'deleted messages': 'trash', '刪除的郵件': 'trash', '垃圾桶': 'trash',
  'junk': 'junk', 'spam': 'junk', 'junk email': 'junk', 'junk e-mail': 'junk', '垃圾郵件': 'junk',
  'archive': 'archive', 'archives': 'archive', '封存': 'archive',
};

/** The special use of a top-level folder by its name, or undefined. */
export function specialUseByName(path: readonly string[]): SpecialUse | undefined {
  return path.length === 1 ? NAMES[path[0]!.toLowerCase()] : undefined;
}
