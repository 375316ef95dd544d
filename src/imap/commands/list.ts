// LIST (RFC 3501 §6.3.8 with LIST-EXTENDED RFC 5258, SPECIAL-USE RFC 6154, LIST-STATUS
// RFC 5819), LSUB, and XLIST, which Outlook 2013/2016 use to find the special folders.
// Special-use attributes are sent in every LIST, so clients that never ask still find
// 寄件備份 as the Sent folder.
import type { Folder, FolderRole, FolderStatus } from '../../store/types.ts';
import { mailboxName, mailboxNameFromWire } from '../protocol/index.ts';
import { defineCommand, type CommandOf } from '../session/command.ts';
import { OTHER_USERS } from '../session/namespaces.ts';
import type { SessionContext, MailboxAccess } from '../session/context.ts';
import { statusLine } from './status.ts';

const SPECIAL_USE: Record<FolderRole, string | null> = {
  inbox: null, sent: '\\Sent', trash: '\\Trash', drafts: '\\Drafts', junk: '\\Junk', archive: '\\Archive',
};
// XLIST predates RFC 6154 and names some roles differently.
const XLIST_ROLE: Record<FolderRole, string> = {
  inbox: '\\Inbox', sent: '\\Sent', trash: '\\Trash', drafts: '\\Drafts', junk: '\\Spam', archive: '\\AllMail',
};

/**
 * RFC 3501 §6.3.8: `*` matches anything, `%` anything but the hierarchy delimiter. The pattern
 * is run as a set of positions over the name, one character at a time, so a LIST costs at most
 * name length × pattern length per folder; a regular expression built from the pattern
 * backtracked exponentially in the number of wildcards (`*a*a*a*b` against a long folder name
 * of a's stalled the server for minutes).
 */
export function patternMatcher(reference: string, pattern: string): (name: string) => boolean {
  // RFC 3501 §6.3.8: the reference and the pattern are simply joined ("Foo" and "*" is
  // "Foo*", as Dovecot reads it); a pattern starting with the delimiter stands alone.
  const joined = pattern.startsWith('/') ? pattern : `${reference}${pattern}`;
  // INBOX is case-insensitive (RFC 3501 §5.1); the stored name is always upper-case.
  const full = /^inbox(?=$|\/)/i.test(joined) ? `INBOX${joined.slice(5)}` : joined;
  return wildcardMatcher(full);
}

/** A matcher for a joined LIST pattern: characters match themselves, `*` and `%` as above. */
export function wildcardMatcher(pattern: string): (name: string) => boolean {
  // Runs of wildcards are one wildcard: `*` wins over `%`, and `%%` is `%`.
  const tokens: string[] = [];
  for (const ch of pattern) {
    const last = tokens.at(-1);
    if ((ch === '*' || ch === '%') && (last === '*' || last === '%')) {
      if (ch === '*') tokens[tokens.length - 1] = '*';
    } else {
      tokens.push(ch);
    }
  }
  const literals = tokens.filter((t) => t !== '*' && t !== '%').length;
  const m = tokens.length;
  return (name) => {
    const chars = Array.from(name);
    // Each literal takes one character of the name: a longer pattern cannot match.
    if (literals > chars.length) return false;
    let current = new Uint8Array(m + 1);
    let next = new Uint8Array(m + 1);
    const close = (states: Uint8Array) => {
      // A wildcard may match nothing: reaching it reaches what follows it.
      for (let j = 0; j < m; j++) if (states[j] && (tokens[j] === '*' || tokens[j] === '%')) states[j + 1] = 1;
    };
    current[0] = 1;
    close(current);
    for (const ch of chars) {
      next.fill(0);
      let any = false;
      for (let j = 0; j < m; j++) {
        if (!current[j]) continue;
        const t = tokens[j];
        if (t === '*' || (t === '%' && ch !== '/')) next[j] = 1;
        else if (t === ch) next[j + 1] = 1;
        else continue;
        any = true;
      }
      if (!any) return false;
      close(next);
      [current, next] = [next, current];
    }
    return current[m] === 1;
  };
}

/** \HasChildren or \HasNoChildren for each folder: the names that are a parent of another, found once. */
function childAttributes(folders: Folder[]): (folder: Folder) => string {
  const parents = new Set<string>();
  for (const f of folders) for (const a of ancestors(f.name)) parents.add(a);
  return (folder) => (parents.has(folder.name) ? '\\HasChildren' : '\\HasNoChildren');
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

interface Entries {
  /** In the order LIST sends them. */
  all: Entry[];
  byName: Map<string, Entry>;
  /** Names of hidden folders: not listed, and their subscriptions are not shown either. */
  hidden: Set<string>;
}

/**
 * The user's folders, then "Other Users", each shared mailbox's level and its folders. Special
 * uses are reported for the user's own folders only, so a client never finds two Sent folders.
 */
async function entries(session: SessionContext): Promise<Entries> {
  const showHidden = session.settings().ShowHiddenFoldersEnabled === true;
  const hidden = new Set<string>();
  const visible = (folders: Folder[], prefix: string) => folders.filter((f) => {
    if (f.hidden && !showHidden) hidden.add(`${prefix}${f.name}`);
    return showHidden || !f.hidden;
  });
  const own = visible(await session.home.store.folders(session.mailbox.id), '');
  const ownChildren = childAttributes(own);
  const all: Entry[] = own.map((f) => ({ name: f.name, folder: f, attributes: [ownChildren(f)], role: f.role, target: session.home }));
  const shared = await session.sharedMailboxes();
  if (shared.length > 0) all.push({ name: OTHER_USERS, folder: null, attributes: ['\\Noselect', '\\HasChildren'], role: null, target: session.home });
  for (const access of shared) {
    const prefix = `${OTHER_USERS}/${access.mailbox.alias}`;
    all.push({ name: prefix, folder: null, attributes: ['\\Noselect', '\\HasChildren'], role: null, target: access });
    const folders = visible(await access.store.folders(access.mailbox.id), `${prefix}/`);
    const children = childAttributes(folders);
    for (const f of folders) all.push({ name: `${prefix}/${f.name}`, folder: f, attributes: [children(f)], role: null, target: access });
  }
  return { all, byName: new Map(all.map((e) => [e.name, e])), hidden };
}

/** The user's subscription list (RFC 3501 §6.3.6), as client names, less hidden folders. */
async function subscriptions(session: SessionContext, hidden: Set<string>): Promise<Set<string>> {
  const names = await session.home.store.subscriptions(session.home.mailbox.id);
  return new Set(names.filter((n) => !hidden.has(n)));
}

/** "a/b/c" → "a", "a/b". */
function ancestors(name: string): string[] {
  const out: string[] = [];
  for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) out.push(name.slice(0, i));
  return out;
}

/**
 * Existing names in LIST's order, then names that exist only on the subscription list (or as
 * their parents), by name.
 */
function inListOrder(names: Set<string>, all: Entry[]): string[] {
  const position = new Map(all.map((e, i) => [e.name, i]));
  return [...names].sort((a, b) => {
    const pa = position.get(a) ?? Number.POSITIVE_INFINITY;
    const pb = position.get(b) ?? Number.POSITIVE_INFINITY;
    return pa !== pb ? pa - pb : a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * Names the pattern matches that have a qualifying descendant the pattern does not match. With
 * RECURSIVEMATCH they carry CHILDINFO (RFC 5258 §3.5), returned even when they do not qualify
 * themselves; LSUB returns the unsubscribed ones as \Noselect (RFC 3501 §6.3.9: "foo" for a
 * subscribed "foo/bar" with "%"). A descendant the pattern matches is returned itself, so it
 * brings in no parent.
 */
function parentsOfUnmatched(qualifying: Iterable<string>, matches: (name: string) => boolean): Set<string> {
  const parents = new Set<string>();
  for (const name of qualifying) {
    if (matches(name)) continue;
    for (const a of ancestors(name)) if (matches(a)) parents.add(a);
  }
  return parents;
}

async function list(session: SessionContext, command: CommandOf<'LIST'>): Promise<void> {
  const { reference, patterns, selection, returns } = command.args;
  const ref = mailboxNameFromWire(reference, session.utf8) ?? reference;
  if (patterns.length === 1 && patterns[0] === '') {
    session.send('* LIST (\\Noselect) "/" ""');
    return session.complete(command, 'LIST completed.');
  }
  const matchers = patterns.map((p) => patternMatcher(ref, mailboxNameFromWire(p, session.utf8) ?? p));
  const matches = (name: string) => matchers.some((m) => m(name));
  const { all, byName, hidden } = await entries(session);
  const subscribed = selection.subscribed || returns.subscribed ? await subscriptions(session, hidden) : new Set<string>();
  const specialUse = (entry: Entry | undefined) => (entry?.role ? SPECIAL_USE[entry.role] : null) ?? null;
  // RFC 5258 §3: with SUBSCRIBED the candidates are the subscribed names, whether or not they
  // exist (those that do not are \NonExistent); otherwise the existing names. SPECIAL-USE
  // narrows them to folders with a special use.
  const candidates = selection.subscribed ? [...subscribed] : all.map((e) => e.name);
  const qualifying = new Set(candidates.filter((n) => !selection.specialUse || specialUse(byName.get(n)) !== null));
  const withChildInfo = selection.recursiveMatch ? parentsOfUnmatched(qualifying, matches) : new Set<string>();
  const childInfo = [selection.subscribed ? '"SUBSCRIBED"' : null, selection.specialUse ? '"SPECIAL-USE"' : null].filter((x) => x !== null).join(' ');
  const shown = [...[...qualifying].filter(matches), ...withChildInfo];
  const statusesOf = new Map<MailboxAccess, Map<number, FolderStatus>>();
  for (const name of inListOrder(new Set(shown), all)) {
    const entry = byName.get(name);
    // RFC 5258 §3.4: \NonExistent implies \Noselect, so it stands alone.
    const attributes = entry ? [...entry.attributes] : ['\\NonExistent'];
    const use = specialUse(entry);
    if (use) attributes.push(use);
    if ((returns.subscribed || selection.subscribed) && subscribed.has(name)) attributes.push('\\Subscribed');
    const extended = withChildInfo.has(name) ? ` ("CHILDINFO" (${childInfo}))` : '';
    session.send(`* LIST (${attributes.join(' ')}) "/" ${mailboxName(name, { utf8: session.utf8 })}${extended}`);
    if (returns.status && entry?.folder) {
      // RFC 5819: every folder's counters, read once per mailbox rather than once per folder.
      let statuses = statusesOf.get(entry.target);
      if (!statuses) statusesOf.set(entry.target, (statuses = await entry.target.store.folderStatuses(entry.target.mailbox.id)));
      session.send(await statusLine(session, entry.folder, returns.status, entry.target, statuses.get(entry.folder.id)));
    }
  }
  await session.complete(command, 'LIST completed.');
}

/**
 * LSUB (RFC 3501 §6.3.9): the subscribed names that match, existing or not (a name that no longer
 * exists is \Noselect), and for "%" the unsubscribed levels above subscribed names, \Noselect.
 */
async function lsub(session: SessionContext, command: CommandOf<'LSUB'>): Promise<void> {
  const { reference, pattern } = command.args;
  const ref = mailboxNameFromWire(reference, session.utf8) ?? reference;
  const matches = patternMatcher(ref, mailboxNameFromWire(pattern, session.utf8) ?? pattern);
  const { all, byName, hidden } = await entries(session);
  const subscribed = await subscriptions(session, hidden);
  const parents = [...parentsOfUnmatched(subscribed, matches)].filter((n) => !subscribed.has(n));
  for (const name of inListOrder(new Set([...[...subscribed].filter(matches), ...parents]), all)) {
    const entry = byName.get(name);
    const attributes = subscribed.has(name) && entry ? entry.attributes : ['\\Noselect'];
    session.send(`* LSUB (${attributes.join(' ')}) "/" ${mailboxName(name, { utf8: session.utf8 })}`);
  }
  await session.complete(command, 'LSUB completed.');
}

/** XLIST: every folder, with the roles under XLIST's names. */
async function xlist(session: SessionContext, command: CommandOf<'XLIST'>): Promise<void> {
  const { reference, pattern } = command.args;
  const ref = mailboxNameFromWire(reference, session.utf8) ?? reference;
  const matches = patternMatcher(ref, mailboxNameFromWire(pattern, session.utf8) ?? pattern);
  for (const entry of (await entries(session)).all) {
    if (!matches(entry.name)) continue;
    const extra = entry.role ? [XLIST_ROLE[entry.role]] : [];
    // XLIST keeps the name INBOX (Gmail sent "Inbox"): Outlook finds it by the \Inbox attribute.
    session.send(`* XLIST (${[...entry.attributes, ...extra].join(' ')}) "/" ${mailboxName(entry.name, { utf8: session.utf8 })}`);
  }
  await session.complete(command, 'XLIST completed.');
}

export const listCommand = defineCommand({ name: 'LIST', states: ['authenticated', 'selected'], run: list });
export const lsubCommand = defineCommand({ name: 'LSUB', states: ['authenticated', 'selected'], run: lsub });
export const xlistCommand = defineCommand({ name: 'XLIST', states: ['authenticated', 'selected'], run: xlist });
