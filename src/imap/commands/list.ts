// LIST (RFC 3501 §6.3.8 with LIST-EXTENDED RFC 5258, SPECIAL-USE RFC 6154, LIST-STATUS
// RFC 5819), LSUB, and XLIST, which Outlook 2013/2016 use to find the special folders.
// Special-use attributes are sent in every LIST, so clients that never ask still find
// 寄件備份 as the Sent folder.
import type { Folder, FolderRole } from '../../store/types.ts';
import { mailboxName, mailboxNameFromWire } from '../protocol/index.ts';
import { defineCommand, type CommandOf } from '../session/command.ts';
import type { ImapSession } from '../session/session.ts';
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

function attributes(folder: Folder, all: Folder[], extra: string[]): string[] {
  const hasChildren = all.some((f) => f.name.startsWith(`${folder.name}/`));
  const attrs = [hasChildren ? '\\HasChildren' : '\\HasNoChildren', ...extra];
  return attrs;
}

async function list(session: ImapSession, command: CommandOf<'LIST'>): Promise<void> {
  const { reference, patterns, selection, returns } = command.args;
  const ref = mailboxNameFromWire(reference, session.utf8) ?? reference;
  if (patterns.length === 1 && patterns[0] === '') {
    session.send('* LIST (\\Noselect) "/" ""');
    return session.complete(command, 'LIST completed.');
  }
  const all = visible(session, await session.store.folders(session.mailbox.id));
  const matchers = patterns.map((p) => patternMatcher(ref, mailboxNameFromWire(p, session.utf8) ?? p));
  for (const folder of all) {
    if (!matchers.some((m) => m(folder.name))) continue;
    if (selection.subscribed && !folder.subscribed) continue;
    if (selection.specialUse && !(folder.role && SPECIAL_USE[folder.role])) continue;
    const extra: string[] = [];
    if (folder.role && SPECIAL_USE[folder.role]) extra.push(SPECIAL_USE[folder.role]!);
    if ((returns.subscribed || selection.subscribed) && folder.subscribed) extra.push('\\Subscribed');
    session.send(`* LIST (${attributes(folder, all, extra).join(' ')}) "/" ${mailboxName(folder.name, { utf8: session.utf8 })}`);
    if (returns.status) session.send(await statusLine(session, folder, returns.status));
  }
  await session.complete(command, 'LIST completed.');
}

async function lsub(session: ImapSession, command: CommandOf<'LSUB'> | CommandOf<'XLIST'>): Promise<void> {
  const { reference, pattern } = command.args;
  const ref = mailboxNameFromWire(reference, session.utf8) ?? reference;
  const all = visible(session, await session.store.folders(session.mailbox.id));
  const matches = patternMatcher(ref, mailboxNameFromWire(pattern, session.utf8) ?? pattern);
  const xlist = command.command === 'XLIST';
  for (const folder of all) {
    if (!matches(folder.name)) continue;
    if (!xlist && !folder.subscribed) continue;
    const extra = xlist && folder.role ? [XLIST_ROLE[folder.role]] : [];
    // XLIST keeps the name INBOX (Gmail sent "Inbox"): Outlook finds it by the \Inbox attribute.
    session.send(`* ${command.command} (${attributes(folder, all, extra).join(' ')}) "/" ${mailboxName(folder.name, { utf8: session.utf8 })}`);
  }
  await session.complete(command, `${command.command} completed.`);
}

export const listCommand = defineCommand({ name: 'LIST', states: ['authenticated', 'selected'], run: list });
export const lsubCommand = defineCommand({ name: 'LSUB', states: ['authenticated', 'selected'], run: lsub });
export const xlistCommand = defineCommand({ name: 'XLIST', states: ['authenticated', 'selected'], run: lsub });
