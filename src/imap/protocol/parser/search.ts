// SEARCH (RFC 3501 §6.4.4, RFC 9051 §6.4.4) with ESEARCH return options (RFC 4731, RFC 5182
// SAVE), CHARSET decoding, and the search-key grammar that SORT and THREAD share.

import { parseSearchDate } from '../date-time.ts';
import { ParseError } from '../errors.ts';
import { searchDecoder, type SearchDecoder } from '../search-charset.ts';
import type { DateOp, SearchKey } from '../search-key.ts';
import { normalizeFlag, type ArgReader } from './reader.ts';

export type SearchReturnOption = 'MIN' | 'MAX' | 'ALL' | 'COUNT' | 'SAVE';

export interface SearchArgs {
  /** The CHARSET argument as sent (upper-cased), or null. Strings are decoded already. */
  charset: string | null;
  criteria: SearchKey;
  /**
   * ESEARCH return options (RFC 4731 §3.1); null for a plain SEARCH, which is answered with
   * `* SEARCH`. `RETURN ()` means `RETURN (ALL)`.
   */
  returnOptions: SearchReturnOption[] | null;
}

/** Search keys may nest (parentheses, NOT, OR) this deep; beyond it is an attack, not a search. */
const MAX_DEPTH = 64;

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};

const DATE_KEYS: Record<string, ['internaldate' | 'sentdate', DateOp]> = {
  BEFORE: ['internaldate', 'before'],
  ON: ['internaldate', 'on'],
  SINCE: ['internaldate', 'since'],
  SENTBEFORE: ['sentdate', 'before'],
  SENTON: ['sentdate', 'on'],
  SENTSINCE: ['sentdate', 'since'],
};

const HEADER_KEYS: Record<string, string> = { FROM: 'from', TO: 'to', CC: 'cc', BCC: 'bcc', SUBJECT: 'subject' };

const RETURN_OPTIONS = new Set<string>(['MIN', 'MAX', 'ALL', 'COUNT', 'SAVE']);

/** One AND of several keys; a single key stands alone. */
function andOf(keys: SearchKey[]): SearchKey {
  return keys.length === 1 ? keys[0]! : { type: 'and', keys };
}

class SearchKeyParser {
  constructor(private readonly decode: SearchDecoder) {}

  /** search-key *(SP search-key): at least one. */
  keys(r: ArgReader, depth: number): SearchKey {
    const keys: SearchKey[] = [];
    do keys.push(this.key(r, depth));
    while (!r.done);
    return andOf(keys);
  }

  private text(r: ArgReader, what: string): string {
    return this.decode(r.astringBytes(what));
  }

  private date(r: ArgReader): string {
    const date = parseSearchDate(r.astring('date'));
    if (date === null) throw new ParseError('Invalid date');
    return date;
  }

  private keyword(r: ArgReader): string {
    const keyword = normalizeFlag(r.atom('keyword'));
    if (keyword === null || keyword.startsWith('\\')) throw new ParseError('Invalid keyword');
    return keyword;
  }

  /** MODSEQ [entry-name entry-type-req] mod-sequence-valzer (RFC 7162 §3.1.5). */
  private modseq(r: ArgReader): SearchKey {
    if (r.peek()?.kind === 'string') {
      const entry = r.string('MODSEQ entry name');
      const type = r.word('MODSEQ entry type');
      if (!entry.toLowerCase().startsWith('/flags/') || !['PRIV', 'SHARED', 'ALL'].includes(type)) {
        throw new ParseError('Invalid MODSEQ entry');
      }
    }
    return { type: 'modseq', modseq: r.number64('mod-sequence value') };
  }

  key(r: ArgReader, depth: number): SearchKey {
    if (depth > MAX_DEPTH) throw new ParseError('Search criteria nested too deeply');
    const token = r.peek();
    if (token === undefined) throw new ParseError('Missing search key');
    if (token.kind === 'list') return this.keys(r.list('search keys'), depth + 1);
    if (token.kind === 'number' || token.kind === 'sequence') {
      const set = r.sequenceSet('sequence set');
      return set === '$' ? { type: 'saved' } : { type: 'seq', set };
    }
    const name = r.word('search key');
    const flag = FLAG_KEYS[name];
    if (flag !== undefined) return { type: 'flag', flag: flag[0], present: flag[1] };
    const date = DATE_KEYS[name];
    if (date !== undefined) return { type: date[0], op: date[1], date: this.date(r) };
    const field = HEADER_KEYS[name];
    if (field !== undefined) return { type: 'header', field, value: this.text(r, 'search string') };
    return this.otherKey(name, r, depth);
  }

  private otherKey(name: string, r: ArgReader, depth: number): SearchKey {
    switch (name) {
      case 'ALL':
        return { type: 'all' };
      case 'RECENT':
        return { type: 'recent', present: true };
      case 'OLD':
        return { type: 'recent', present: false };
      case 'NEW': // RFC 3501: "equivalent to (RECENT UNSEEN)"
        return { type: 'and', keys: [{ type: 'recent', present: true }, { type: 'flag', flag: '\\Seen', present: false }] };
      case 'KEYWORD':
        return { type: 'flag', flag: this.keyword(r), present: true };
      case 'UNKEYWORD':
        return { type: 'flag', flag: this.keyword(r), present: false };
      case 'LARGER':
        return { type: 'size', op: 'larger', bytes: r.number64('size') };
      case 'SMALLER':
        return { type: 'size', op: 'smaller', bytes: r.number64('size') };
      case 'BODY':
        return { type: 'body', value: this.text(r, 'search string') };
      case 'TEXT':
        return { type: 'text', value: this.text(r, 'search string') };
      case 'HEADER': {
        const field = r.astring('header field name').toLowerCase();
        if (!/^[\x21-\x39\x3b-\x7e]+$/.test(field)) throw new ParseError('Invalid header field name');
        return { type: 'header', field, value: this.text(r, 'search string') };
      }
      case 'UID': {
        const set = r.sequenceSet('UID set');
        return set === '$' ? { type: 'saved' } : { type: 'uid', ranges: set.ranges };
      }
      case 'MODSEQ':
        return this.modseq(r);
      case 'OLDER':
        return { type: 'age', op: 'older', seconds: r.nzNumber('interval') };
      case 'YOUNGER':
        return { type: 'age', op: 'younger', seconds: r.nzNumber('interval') };
      case 'NOT':
        return { type: 'not', key: this.key(r, depth + 1) };
      case 'OR': {
        const left = this.key(r, depth + 1);
        return { type: 'or', left, right: this.key(r, depth + 1) };
      }
      default:
        throw new ParseError(`Unknown search key ${name}`);
    }
  }
}

/** search-key *(SP search-key) with strings decoded from `charset` (null: UTF-8). */
export function parseSearchKeys(r: ArgReader, charset: string | null): SearchKey {
  return new SearchKeyParser(searchDecoder(charset)).keys(r, 0);
}

/** RETURN (option …) (RFC 4731 §3.1, RFC 5182 §2). */
export function parseSearchReturn(r: ArgReader): SearchReturnOption[] {
  const list = r.list('search return options');
  const options: SearchReturnOption[] = [];
  while (!list.done) {
    const option = list.word('search return option');
    if (!RETURN_OPTIONS.has(option)) throw new ParseError(`Unknown search return option ${option}`);
    if (!options.includes(option as SearchReturnOption)) options.push(option as SearchReturnOption);
  }
  return options.length === 0 ? ['ALL'] : options;
}

/** SEARCH [RETURN (…)] [CHARSET charset] search-key *(SP search-key). */
export function parseSearch(r: ArgReader): SearchArgs {
  const returnOptions = r.accept('RETURN') ? parseSearchReturn(r) : null;
  const charset = r.accept('CHARSET') ? r.astring('charset').toUpperCase() : null;
  const criteria = parseSearchKeys(r, charset);
  return { charset, criteria, returnOptions };
}
