// LIST (RFC 3501 §6.3.8 with RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE, RFC 5819
// LIST-STATUS), LSUB (RFC 3501 §6.3.9) and XLIST (the pre-RFC 6154 Gmail command that
// Outlook 2013/2016 still send).

import { ParseError } from '../errors.ts';
import { parseStatusItems, type StatusItem } from './mailbox.ts';
import type { ArgReader } from './reader.ts';

export interface ListSelection {
  subscribed: boolean;
  remote: boolean;
  recursiveMatch: boolean;
  specialUse: boolean;
}

export interface ListReturn {
  subscribed: boolean;
  children: boolean;
  specialUse: boolean;
  /** RETURN (STATUS (…)) (RFC 5819); null when not asked for. */
  status: StatusItem[] | null;
  /** RETURN (MYRIGHTS) (RFC 8440). */
  myRights: boolean;
}

export interface ListArgs {
  reference: string;
  /** One or more list-mailbox patterns, as sent (wildcards `*` and `%` included). */
  patterns: string[];
  selection: ListSelection;
  returns: ListReturn;
  /**
   * The command used RFC 5258 syntax (selection options, several patterns or RETURN), so the
   * reply may carry extended data such as CHILDINFO.
   */
  extended: boolean;
}

export interface LsubArgs {
  reference: string;
  pattern: string;
}

/** list-select-opts (RFC 5258 §3, RFC 6154 §3). */
function parseSelection(r: ArgReader): ListSelection {
  const options = r.list('LIST selection options');
  const selection: ListSelection = { subscribed: false, remote: false, recursiveMatch: false, specialUse: false };
  while (!options.done) {
    const option = options.word('LIST selection option');
    if (option === 'SUBSCRIBED') selection.subscribed = true;
    else if (option === 'REMOTE') selection.remote = true;
    else if (option === 'RECURSIVEMATCH') selection.recursiveMatch = true;
    else if (option === 'SPECIAL-USE') selection.specialUse = true;
    else throw new ParseError(`Unknown LIST selection option ${option}`);
  }
  // RFC 5258 §3: RECURSIVEMATCH alone (or with REMOTE only) is a BAD.
  if (selection.recursiveMatch && !selection.subscribed && !selection.specialUse) {
    throw new ParseError('RECURSIVEMATCH needs another selection option');
  }
  return selection;
}

/** list-return-opts (RFC 5258 §3, RFC 5819 §2, RFC 6154 §2, RFC 8440 §3). */
function parseReturn(r: ArgReader): ListReturn {
  const options = r.list('LIST return options');
  const returns: ListReturn = { subscribed: false, children: false, specialUse: false, status: null, myRights: false };
  while (!options.done) {
    const option = options.word('LIST return option');
    if (option === 'SUBSCRIBED') returns.subscribed = true;
    else if (option === 'CHILDREN') returns.children = true;
    else if (option === 'SPECIAL-USE') returns.specialUse = true;
    else if (option === 'MYRIGHTS') returns.myRights = true;
    else if (option === 'STATUS' && returns.status === null) returns.status = parseStatusItems(options);
    else throw new ParseError(`Unknown LIST return option ${option}`);
  }
  return returns;
}

/** mbox-or-pat = list-mailbox / patterns (RFC 5258 §6). */
function parsePatterns(r: ArgReader): string[] {
  if (r.peek()?.kind !== 'list') return [r.astring('mailbox pattern')];
  const list = r.list('mailbox patterns');
  const patterns: string[] = [];
  do patterns.push(list.astring('mailbox pattern'));
  while (!list.done);
  return patterns;
}

/** LIST [(selection)] reference patterns [RETURN (options)]. */
export function parseList(r: ArgReader): ListArgs {
  const hasSelection = r.peek()?.kind === 'list';
  const selection = hasSelection
    ? parseSelection(r)
    : { subscribed: false, remote: false, recursiveMatch: false, specialUse: false };
  const reference = r.astring('reference name');
  const several = r.peek()?.kind === 'list';
  const patterns = parsePatterns(r);
  const hasReturn = r.accept('RETURN');
  const returns = hasReturn
    ? parseReturn(r)
    : { subscribed: false, children: false, specialUse: false, status: null, myRights: false };
  r.end();
  return { reference, patterns, selection, returns, extended: hasSelection || several || hasReturn };
}

/** LSUB / XLIST reference pattern. */
export function parseLsub(r: ArgReader): LsubArgs {
  const reference = r.astring('reference name');
  const pattern = r.astring('mailbox pattern');
  r.end();
  return { reference, pattern };
}
