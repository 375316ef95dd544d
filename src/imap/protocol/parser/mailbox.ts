// Commands on mailboxes as wholes: SELECT/EXAMINE (RFC 3501 §6.3.1-2 with RFC 7162's
// CONDSTORE and QRESYNC parameters), CREATE (RFC 6154 §3 USE), DELETE, RENAME, SUBSCRIBE,
// UNSUBSCRIBE, STATUS (RFC 3501 §6.3.10 plus later items) and the QUOTA commands (RFC 9208).
//
// Mailbox names come out as sent (modified UTF-7, or UTF-8 after UTF8=ACCEPT): the session
// turns them into Unicode with mailboxNameFromWire(), which knows the client's mode.

import { ParseError } from '../errors.ts';
import { usesStar, type SequenceSet } from '../sequence-set.ts';
import type { ArgReader } from './reader.ts';

export interface MailboxArgs {
  mailbox: string;
}

export interface QresyncParams {
  uidValidity: number;
  modseq: number;
  /** UIDs the client knows of, to limit VANISHED (RFC 7162 §3.2.5.1). */
  knownUids: SequenceSet | null;
  /** Sequence numbers and the UIDs the client believes they have (seq-match-data). */
  seqMatch: { seqs: SequenceSet; uids: SequenceSet } | null;
}

export interface SelectArgs {
  mailbox: string;
  /** SELECT … (CONDSTORE) (RFC 7162 §3.1.8). */
  condstore: boolean;
  /** SELECT … (QRESYNC (…)) (RFC 7162 §3.2.5). */
  qresync: QresyncParams | null;
}

export interface CreateArgs {
  mailbox: string;
  /** Special uses asked for with `(USE (\Sent …))`, canonical spelling (RFC 6154 §3). */
  specialUse: string[];
}

export interface RenameArgs {
  from: string;
  to: string;
}

export const STATUS_ITEMS = [
  'MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', // RFC 3501 §6.3.10
  'HIGHESTMODSEQ', // RFC 7162 §3.1.6
  'SIZE', // RFC 8438
  'DELETED', // RFC 9051 §6.3.11
  'APPENDLIMIT', // RFC 7889 §3.2
  'MAILBOXID', // RFC 8474 §4.2
  'DELETED-STORAGE', // RFC 9208 §5
] as const;
export type StatusItem = (typeof STATUS_ITEMS)[number];

export interface StatusArgs {
  mailbox: string;
  items: StatusItem[];
}

export interface QuotaRootArgs {
  root: string;
}

export interface SetQuotaArgs {
  root: string;
  /** Resource names upper-cased (STORAGE, MESSAGE, MAILBOX, ANNOTATION-STORAGE …). */
  limits: { resource: string; limit: number }[];
}

const USE_ATTRIBUTES = new Map<string, string>(
  ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash', '\\Important'].map((a) => [a.toUpperCase(), a]),
);
const STATUS_ITEM_SET = new Set<string>(STATUS_ITEMS);

export function parseMailboxOnly(r: ArgReader): MailboxArgs {
  const mailbox = r.astring('mailbox name');
  r.end();
  return { mailbox };
}

/** A sequence set that must not use `*` (RFC 7162 §3.2.5.1 known-uids, seq-match-data). */
function setWithoutStar(r: ArgReader, what: string): SequenceSet {
  const set = r.plainSequenceSet(what);
  if (usesStar(set)) throw new ParseError(`Invalid ${what}: "*" is not allowed`);
  return set;
}

/** QRESYNC (uidvalidity modseq [known-uids] [(known-seqs known-uids)]). */
function parseQresync(r: ArgReader): QresyncParams {
  const p = r.list('QRESYNC parameters');
  const uidValidity = p.nzNumber('UIDVALIDITY');
  const modseq = p.number64('mod-sequence value');
  let knownUids: SequenceSet | null = null;
  let seqMatch: QresyncParams['seqMatch'] = null;
  if (!p.done && p.peek()?.kind !== 'list') knownUids = setWithoutStar(p, 'known UIDs');
  if (!p.done) {
    const m = p.list('sequence match data');
    seqMatch = { seqs: setWithoutStar(m, 'known sequence set'), uids: setWithoutStar(m, 'known UID set') };
    m.end();
  }
  p.end();
  return { uidValidity, modseq, knownUids, seqMatch };
}

/** SELECT / EXAMINE mailbox [(select-param …)] (RFC 4466 §2.1, RFC 7162). */
export function parseSelect(r: ArgReader): SelectArgs {
  const mailbox = r.astring('mailbox name');
  const args: SelectArgs = { mailbox, condstore: false, qresync: null };
  if (!r.done) {
    const params = r.list('SELECT parameters');
    while (!params.done) {
      const name = params.word('SELECT parameter');
      if (name === 'CONDSTORE') args.condstore = true;
      else if (name !== 'QRESYNC') throw new ParseError(`Unknown SELECT parameter ${name}`);
      else if (args.qresync !== null) throw new ParseError('QRESYNC given twice');
      else args.qresync = parseQresync(params);
    }
  }
  r.end();
  return args;
}

/** CREATE mailbox [(USE (\Sent …))] (RFC 4466 §2.2, RFC 6154 §3). */
export function parseCreate(r: ArgReader): CreateArgs {
  const mailbox = r.astring('mailbox name');
  const specialUse: string[] = [];
  if (!r.done) {
    const params = r.list('CREATE parameters');
    while (!params.done) {
      const name = params.word('CREATE parameter');
      if (name !== 'USE') throw new ParseError(`Unknown CREATE parameter ${name}`);
      const uses = params.list('special-use attributes');
      while (!uses.done) {
        const use = uses.atom('special-use attribute');
        const canonical = USE_ATTRIBUTES.get(use.toUpperCase());
        if (canonical === undefined) throw new ParseError(`Unknown special-use attribute ${use}`);
        specialUse.push(canonical);
      }
    }
  }
  r.end();
  return { mailbox, specialUse };
}

export function parseRename(r: ArgReader): RenameArgs {
  const from = r.astring('mailbox name');
  const to = r.astring('new mailbox name');
  r.end();
  return { from, to };
}

/** A parenthesized list of STATUS items, shared with LIST … RETURN (STATUS (…)) (RFC 5819). */
export function parseStatusItems(r: ArgReader): StatusItem[] {
  const list = r.list('status items');
  const items: StatusItem[] = [];
  while (!list.done) {
    const item = list.word('status item');
    if (!STATUS_ITEM_SET.has(item)) throw new ParseError(`Unknown status item ${item}`);
    if (!items.includes(item as StatusItem)) items.push(item as StatusItem);
  }
  if (items.length === 0) throw new ParseError('Missing status items');
  return items;
}

/** STATUS mailbox (item …) (RFC 3501 §6.3.10). */
export function parseStatus(r: ArgReader): StatusArgs {
  const mailbox = r.astring('mailbox name');
  const items = parseStatusItems(r);
  r.end();
  return { mailbox, items };
}

/** GETQUOTA quota-root (RFC 9208 §4.2). */
export function parseQuotaRoot(r: ArgReader): QuotaRootArgs {
  const root = r.astring('quota root');
  r.end();
  return { root };
}

/** SETQUOTA quota-root (resource limit …) (RFC 9208 §4.4). */
export function parseSetQuota(r: ArgReader): SetQuotaArgs {
  const root = r.astring('quota root');
  const list = r.list('quota limits');
  r.end();
  const limits: SetQuotaArgs['limits'] = [];
  while (!list.done) {
    const resource = list.word('quota resource');
    if (!/^[A-Z0-9-]+$/.test(resource)) throw new ParseError(`Invalid quota resource ${resource}`);
    limits.push({ resource, limit: list.number64('quota limit') });
  }
  return { root, limits };
}
