// The default folders every mailbox gets, named in the mailbox owner's language the way
// Outlook names them, so a user moving from Exchange sees the folders they know.
import type { FolderRole } from './types.ts';

export const DEFAULT_ROLES: readonly Exclude<FolderRole, 'inbox'>[] = ['sent', 'trash', 'drafts', 'junk', 'archive'];

const NAMES: Record<string, Record<Exclude<FolderRole, 'inbox'>, string>> = {
  en: { sent: 'Sent Items', trash: 'Deleted Items', drafts: 'Drafts', junk: 'Junk Email', archive: 'Archive' },
  'zh-TW': { sent: '寄件備份', trash: '刪除的郵件', drafts: '草稿', junk: '垃圾郵件', archive: '封存' },
  'zh-HK': { sent: '寄件備份', trash: '刪除的郵件', drafts: '草稿', junk: '垃圾郵件', archive: '封存' },
  'zh-CN': { sent: '已发送邮件', trash: '已删除邮件', drafts: '草稿', junk: '垃圾邮件', archive: '存档' },
  ja: { sent: '送信済みアイテム', trash: '削除済みアイテム', drafts: '下書き', junk: '迷惑メール', archive: 'アーカイブ' },
  de: { sent: 'Gesendete Elemente', trash: 'Gelöschte Elemente', drafts: 'Entwürfe', junk: 'Junk-E-Mail', archive: 'Archiv' },
  fr: { sent: 'Éléments envoyés', trash: 'Éléments supprimés', drafts: 'Brouillons', junk: 'Courrier indésirable', archive: 'Archives' },
  es: { sent: 'Elementos enviados', trash: 'Elementos eliminados', drafts: 'Borradores', junk: 'Correo no deseado', archive: 'Archivo' },
};

/**
 * The Inbox as Outlook names it in each language. IMAP always calls it INBOX (RFC 3501 §5.1) and
 * clients translate it themselves; the admin cmdlets show this name, as Exchange does.
 */
const INBOX_NAMES: Record<string, string> = {
  en: 'Inbox', 'zh-TW': '收件匣', 'zh-HK': '收件匣', 'zh-CN': '收件箱', ja: '受信トレイ', de: 'Posteingang', fr: 'Boîte de réception', es: 'Bandeja de entrada',
};

/** The key of NAMES for a language tag: exact region first, then the language, then English. */
function namesKey(language: string): string {
  const tag = language.trim();
  const exact = Object.keys(NAMES).find((k) => k.toLowerCase() === tag.toLowerCase());
  if (exact) return exact;
  const lower = tag.toLowerCase();
  if (lower === 'zh' || lower.startsWith('zh-hant')) return 'zh-TW';
  if (lower.startsWith('zh-hans') || lower.startsWith('zh-sg')) return 'zh-CN';
  const base = lower.split('-')[0]!;
  return base in NAMES ? base : 'en';
}

/** Whether Mailroom has Outlook's folder names for a language (else the folders keep English names). */
export function hasLocalizedFolderNames(language: string): boolean {
  return namesKey(language) !== 'en' || language.trim().toLowerCase().split('-')[0] === 'en';
}

export function inboxDisplayName(language: string): string {
  return INBOX_NAMES[namesKey(language)]!;
}

/** Localized default folder names for a language tag; exact region first, then the language, then English. */
export function defaultFolderNames(language: string): Record<Exclude<FolderRole, 'inbox'>, string> {
  return NAMES[namesKey(language)]!;
}

/**
 * Folder names: '/' separates levels, so it cannot start, end or double up; IMAP's list
 * wildcards and control characters cannot appear; each level is at most 255 characters.
 */
export function folderNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'A folder name cannot be empty.';
  if (name.startsWith('/') || name.endsWith('/') || name.includes('//')) return `'${name}' has an empty level.`;
  if (/[\u0000-\u001f\u007f*%]/.test(name)) return 'A folder name cannot contain control characters, * or %.';
  if (name.split('/').some((level) => level.length > 255 || level.trim() !== level)) {
    return 'Each level of a folder name must be 1-255 characters without leading or trailing spaces.';
  }
  return undefined;
}

/** INBOX is case-insensitive (RFC 3501 §5.1), and so is its first level when it has children. */
export function canonicalFolderName(name: string): string {
  if (name.toUpperCase() === 'INBOX') return 'INBOX';
  if (name.slice(0, 6).toUpperCase() === 'INBOX/') return `INBOX${name.slice(5)}`;
  return name;
}
