// SORT and THREAD (RFC 5256), with SORT=DISPLAY's keys (RFC 5957) and ESORT's return
// options (RFC 5267 §3). Unlike SEARCH, both take a mandatory charset without the CHARSET word.

import { ParseError } from '../errors.ts';
import type { SearchKey } from '../search-key.ts';
import type { ArgReader } from './reader.ts';
import { parseSearchKeys, parseSearchReturn, type SearchReturnOption } from './search.ts';

export const SORT_KEYS = ['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface SortCriterion {
  key: SortKey;
  reverse: boolean;
}

export interface SortArgs {
  criteria: SortCriterion[];
  charset: string;
  search: SearchKey;
  /** ESORT return options (RFC 5267); null for a plain SORT answered with `* SORT`. */
  returnOptions: SearchReturnOption[] | null;
}

export const THREAD_ALGORITHMS = ['ORDEREDSUBJECT', 'REFERENCES', 'REFS'] as const;
export type ThreadAlgorithm = (typeof THREAD_ALGORITHMS)[number];

export interface ThreadArgs {
  algorithm: ThreadAlgorithm;
  charset: string;
  search: SearchKey;
}

const SORT_KEY_SET = new Set<string>(SORT_KEYS);
const THREAD_ALGORITHM_SET = new Set<string>(THREAD_ALGORITHMS);

/** sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"; sort-criterion = ["REVERSE" SP] sort-key. */
function parseSortCriteria(r: ArgReader): SortCriterion[] {
  const list = r.list('sort criteria');
  const criteria: SortCriterion[] = [];
  do {
    const reverse = list.accept('REVERSE');
    const key = list.word('sort key');
    if (!SORT_KEY_SET.has(key)) throw new ParseError(`Unknown sort key ${key}`);
    criteria.push({ key: key as SortKey, reverse });
  } while (!list.done);
  return criteria;
}

/** SORT [RETURN (…)] (criteria) charset search-key…. */
export function parseSort(r: ArgReader): SortArgs {
  const returnOptions = r.accept('RETURN') ? parseSearchReturn(r) : null;
  const criteria = parseSortCriteria(r);
  const charset = r.astring('charset').toUpperCase();
  const search = parseSearchKeys(r, charset);
  return { criteria, charset, search, returnOptions };
}

/** THREAD algorithm charset search-key…. */
export function parseThread(r: ArgReader): ThreadArgs {
  const algorithm = r.word('threading algorithm');
  if (!THREAD_ALGORITHM_SET.has(algorithm)) throw new ParseError(`Unknown threading algorithm ${algorithm}`);
  const charset = r.astring('charset').toUpperCase();
  const search = parseSearchKeys(r, charset);
  return { algorithm: algorithm as ThreadAlgorithm, charset, search };
}
