// SEARCH CHARSET (RFC 3501 §6.4.4): the strings of a SEARCH, SORT or THREAD command are in the
// charset the client names, and are turned into Unicode here so that the store only ever sees
// Unicode. UTF-8 and US-ASCII are required; the CJK sets are what clients in Taiwan, Hong Kong
// and mainland China send, and iconv-lite decodes them.

import iconv from 'iconv-lite';
import { ParseError } from './errors.ts';

export type SearchDecoder = (bytes: Buffer) => string;

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer): string {
  try {
    return utf8Strict.decode(bytes);
  } catch {
    throw new ParseError('Invalid UTF-8 in search string');
  }
}

function decodeAscii(bytes: Buffer): string {
  if (bytes.some((b) => b >= 0x80)) throw new ParseError('8-bit data in a US-ASCII search string');
  return bytes.toString('latin1');
}

function iconvDecoder(encoding: string): SearchDecoder {
  return (bytes) => iconv.decode(bytes, encoding);
}

/**
 * Supported charsets, by the name announced in [BADCHARSET (…)]. GB2312 and GBK text is read
 * as GB18030, its superset, because text labelled GB2312 routinely uses GBK characters.
 */
const DECODERS = new Map<string, SearchDecoder>([
  ['UTF-8', decodeUtf8],
  ['US-ASCII', decodeAscii],
  ['ISO-8859-1', iconvDecoder('iso-8859-1')],
  ['WINDOWS-1252', iconvDecoder('windows-1252')],
  ['BIG5', iconvDecoder('big5')],
  ['GB2312', iconvDecoder('gb18030')],
  ['GBK', iconvDecoder('gb18030')],
  ['GB18030', iconvDecoder('gb18030')],
  ['SHIFT_JIS', iconvDecoder('shift_jis')],
  ['EUC-JP', iconvDecoder('euc-jp')],
  ['EUC-KR', iconvDecoder('euc-kr')],
  ['KOI8-R', iconvDecoder('koi8-r')],
]);

const ALIASES = new Map<string, string>([
  ['UTF8', 'UTF-8'],
  ['ASCII', 'US-ASCII'],
  ['LATIN1', 'ISO-8859-1'],
  ['CP1252', 'WINDOWS-1252'],
  ['BIG-5', 'BIG5'],
  ['CP950', 'BIG5'],
  ['CP936', 'GBK'],
  ['SJIS', 'SHIFT_JIS'],
  ['SHIFT-JIS', 'SHIFT_JIS'],
]);

/** The charsets SEARCH accepts, for CAPABILITY-free discovery and the BADCHARSET code. */
export const SEARCH_CHARSETS: readonly string[] = [...DECODERS.keys()];

/** The response code for an unsupported charset (RFC 3501 §7.1). */
export const BADCHARSET_CODE = `BADCHARSET (${SEARCH_CHARSETS.join(' ')})`;

/**
 * The decoder for a CHARSET argument (any case, common aliases); null (no CHARSET) means
 * UTF-8, which covers RFC 3501's US-ASCII default and RFC 9051's UTF-8. An unknown charset is
 * a tagged NO [BADCHARSET (…)], not a BAD (RFC 3501 §6.4.4).
 */
export function searchDecoder(charset: string | null): SearchDecoder {
  if (charset === null) return decodeUtf8;
  const upper = charset.toUpperCase();
  const decoder = DECODERS.get(ALIASES.get(upper) ?? upper);
  if (decoder === undefined) throw new ParseError(`Unsupported charset ${charset}`, { status: 'NO', code: BADCHARSET_CODE });
  return decoder;
}
