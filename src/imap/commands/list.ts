// LIST (RFC 3501 §6.3.8 with LIST-EXTENDED RFC 5258, SPECIAL-USE RFC 6154, LIST-STATUS
// RFC 5819), LSUB, and XLIST, which Outlook 2013/2016 use to find the special folders.
// Special-use attributes are sent in every LIST, so clients that never ask still find
// 寄件備份 as the Sent folder.
import type { Folder, FolderRole } from '../../store/types.ts';
import { mailboxName, mailboxNameFromWire } from '../protocol/index.ts';
import { defineCommand, type CommandOf } from '../session/command.ts';
import { OTHER_USERS } from '../session/namespaces.ts';
import type { ImapSession, MailboxAccess } from '../session/session.ts';
import { statusLine } from './status.ts';

const SPECIAL_USE: Record<FolderRole, string | null> = {
  inbox: null, sent: '\\Sent', trash: '\\Trash', drafts: '\\Drafts', junk: '\\Junk', archive: '\\Archive',
};
// XLIST predates RFC 6154 and names some roles differently.
const XLIST_ROLE: Record<FolderRole, string> = {
  inbox: '\\Inbox', sent: '\\Sent', trash: '\\Trash', drafts: '\\Drafts', junk: '\\Spam', archive: '\\AllMail',
};

/** RFC 3501 §6.3.8: `*` matches anything, `%` anything but the hierarchy delimiter. */
export function patternMatcher(reference: string, pattern: string): (name: string) => boolean {
  // RFC 3501 §6.3.8: the reference and the pattern are simply joined ("Foo" and "*" is
  // "Foo*", as Dovecot reads it); a pattern starting with the delimiter stands alone.
  const joined = pattern.startsWith('/') ? pattern : `${reference}${pattern}`;
  // INBOX is case-insensitive (RFC 3501 §5.1); the stored name is always upper-case.
  const full = /^inbox(?=$|\/)/i.test(joined) ? `INBOX${joined.slice(5)}` : joined;
  let re = '';
  for (const ch of full) {
    if (ch === '*') re += '.*';
    else if (ch === '%') re += '[^/]*';
    else re += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  const regex = new RegExp(`^${re}$`, 'su');
  return (name) => regex.test(name);
}

function visible(session: ImapSession, folders: Folder[]): Folder[] {
  return session.settings().ShowHiddenFoldersEnabled ? folders : folders.filter((f) => !f.hidden);
}

function childAttribute(folder: Folder, all: Folder[]): string {
  return all.some((f) => f.name.startsWith(`${folder.name}/`)) ? '\\HasChildren' : '\\HasNoChildren';
}

/** One name LIST can return: a folder, or a level of the shared namespace (\Noselect). */
interface Entry {
  name: string;
  folder: Folder | null;
  /** \HasChildren/\HasNoChildren (and \Noselect for namespace levels). */
  attributes: string[];
  role: FolderRole | null;
  target: MailboxAccess;
}

/**
 * The user's folders, then "Other Users", each shared mailbox's level and its folders. Special
 * uses are reported for the user's own folders only, so a client never finds two Sent folders.
 */
async function entries(session: ImapSession): Promise<Entry[]> {
  const own = visible(session, await session.home.store.folders(session.mailbox.id));
  const out: Entry[] = own.map((f) => ({ name: f.name, folder: f, attributes: [childAttribute(f, own)], role: f.role, target: session.home }));
  const shared = await session.sharedMailboxes();
  if (shared.length > 0) out.push({ name: OTHER_USERS, folder: null, attributes: ['\\Noselect', '\\HasChildren'], role: null, target: session.home });
  for (const access of shared) {
    const prefix = `${OTHER_USERS}/${access.mailbox.alias}`;
    out.push({ name: prefix, folder: null, attributes: ['\\Noselect', '\\HasChildren'], role: null, target: access });
    const folders = visible(session, await access.store.folders(access.mailbox.id));
    for (const f of folders) out.push({ name: `${prefix}/${f.name}`, folder: f, attributes: [childAttribute(f, folders)], role: null, target: access });
  }
  return out;
}

async function list(session: ImapSession, command: CommandOf<'LIST'>): Promise<void> {
  const { reference, patterns, selection, returns } = command.args;
  const ref = mailboxNameFromWire(reference, session.utf8) ?? reference;
  if (patterns.length === 1 && patterns[0] === '') {
    session.send('* LIST (\\Noselect) "/" ""');
    return session.complete(command, 'LIST completed.');
  }
  const matchers = patterns.map((p) => patternMatcher(ref, mailboxNameFromWire(p, session.utf8) ?? p));
  for (const entry of await entries(session)) {
    if (!matchers.some((m) => m(entry.name))) continue;
    const subscribed = entry.folder?.subscribed === true;
    if (selection.subscribed && !subscribed) continue;
    if (selection.specialUse && !(entry.role && SPECIAL_USE[entry.role])) continue;
    const attributes = [...entry.attributes];
    if (entry.role && SPECIAL_USE[entry.role]) attributes.push(SPECIAL_USE[entry.role]!);
    if ((returns.subscribed || selection.subscribed) && subscribed) attributes.push('\\Subscribed');
    session.send(`* LIST (${attributes.join(' ')}) "/" ${mailboxName(entry.name, { utf8: session.utf8 })}`);
    if (returns.status && entry.folder) session.send(await statusLine(session, entry.folder, returns.status, entry.target));
  }
  await session.complete(command, 'LIST completed.');
}

async function lsub(session: ImapSession, command: CommandOf<'LSUB'> | CommandOf<'XLIST'>): Promise<void> {
  const { reference, pattern } = command.args;
  const ref = mailboxNameFromWire(reference, session.utf8) ?? reference;
  const matches = patternMatcher(ref, mailboxNameFromWire(pattern, session.utf8) ?? pattern);
  const xlist = command.command === 'XLIST';
  for (const entry of await entries(session)) {
    if (!matches(entry.name)) continue;
    if (!xlist && entry.folder?.subscribed !== true) continue;
    const extra = xlist && entry.role ? [XLIST_ROLE[entry.role]] : [];
    // XLIST keeps the name INBOX (Gmail sent "Inbox"): Outlook finds it by the \Inbox attribute.
    session.send(`* ${command.command} (${[...entry.attributes, ...extra].join(' ')}) "/" ${mailboxName(entry.name, { utf8: session.utf8 })}`);
  }
  await session.complete(command, `${command.command} completed.`);
}

export const listCommand = defineCommand({ name: 'LIST', states: ['authenticated', 'selected'], run: list });
export const lsubCommand = defineCommand({ name: 'LSUB', states: ['authenticated', 'selected'], run: lsub });
export const xlistCommand = defineCommand({ name: 'XLIST', states: ['authenticated', 'selected'], run: lsub });
