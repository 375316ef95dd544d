// Commands that change messages: STORE (RFC 3501 §6.4.6 with RFC 7162 UNCHANGEDSINCE),
// COPY (§6.4.7), MOVE (RFC 6851) and EXPUNGE / UID EXPUNGE (RFC 4315 §2.1).

import { ParseError } from '../errors.ts';
import type { SavedSet, SequenceSet } from '../sequence-set.ts';
import type { ArgReader } from './reader.ts';

export type StoreOperation = 'replace' | 'add' | 'remove';

export interface StoreArgs {
  set: SequenceSet | SavedSet;
  /** FLAGS replaces, +FLAGS adds, -FLAGS removes. */
  operation: StoreOperation;
  /** .SILENT: no untagged FETCH for this command's own changes. */
  silent: boolean;
  flags: string[];
  /** UNCHANGEDSINCE modseq (RFC 7162 §3.1.3); 0 is allowed and always fails the test. */
  unchangedSince: number | null;
}

export interface CopyArgs {
  set: SequenceSet | SavedSet;
  mailbox: string;
}

export interface ExpungeArgs {
  /** UID EXPUNGE's UID set; null for EXPUNGE. */
  set: SequenceSet | SavedSet | null;
}

const STORE_ITEM = /^([+-]?)FLAGS(\.SILENT)?$/;

/** store-modifiers = "(" store-modifier *(SP store-modifier) ")" (RFC 4466 §2.5). */
function parseStoreModifiers(r: ArgReader): number | null {
  const list = r.list('STORE modifiers');
  let unchangedSince: number | null = null;
  while (!list.done) {
    const name = list.word('STORE modifier');
    if (name !== 'UNCHANGEDSINCE') throw new ParseError(`Unknown STORE modifier ${name}`);
    if (unchangedSince !== null) throw new ParseError('UNCHANGEDSINCE given twice');
    unchangedSince = list.number64('mod-sequence value');
  }
  return unchangedSince;
}

/** STORE sequence-set [(modifiers)] [+-]FLAGS[.SILENT] (flag-list / flag *(SP flag)). */
export function parseStore(r: ArgReader): StoreArgs {
  const set = r.sequenceSet('sequence set');
  const unchangedSince = r.peek()?.kind === 'list' ? parseStoreModifiers(r) : null;
  const item = STORE_ITEM.exec(r.word('STORE data item'));
  if (item === null) throw new ParseError('Invalid STORE data item');
  const operation: StoreOperation = item[1] === '+' ? 'add' : item[1] === '-' ? 'remove' : 'replace';
  let flags: string[];
  if (r.peek()?.kind === 'list') {
    flags = r.flagList();
  } else {
    flags = [];
    do flags.push(r.flag());
    while (!r.done);
  }
  r.end();
  return { set, operation, silent: item[2] !== undefined, flags, unchangedSince };
}

/** COPY / MOVE sequence-set mailbox. */
export function parseCopy(r: ArgReader): CopyArgs {
  const set = r.sequenceSet('sequence set');
  const mailbox = r.astring('mailbox name');
  r.end();
  return { set, mailbox };
}

/** EXPUNGE, or UID EXPUNGE sequence-set (RFC 4315 §2.1). */
export function parseExpunge(r: ArgReader, uid: boolean): ExpungeArgs {
  const set = uid ? r.sequenceSet('UID set') : null;
  r.end();
  return { set };
}
