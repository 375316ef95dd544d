// The i;unicode-casemap collation (RFC 5051) that SORT and THREAD compare strings with
// (RFC 5256 §5 asks for at least i;ascii-casemap; this is its Unicode form, as Dovecot uses):
// every character is mapped to its titlecase form, the result is decomposed (NFKD), and keys
// are compared code point by code point. Punctuation therefore sorts by its code point ("_"
// after letters, "[" between "Z" and "_"), not by a locale's rules.

// Simple titlecase mappings that differ from the simple uppercase one: the Latin digraphs and
// the Greek letters with ypogegrammeni. Everywhere else titlecase is uppercase.
const TITLECASE_EXCEPTIONS = new Map<number, number>([
  [0x01c4, 0x01c5], [0x01c5, 0x01c5], [0x01c6, 0x01c5],
  [0x01c7, 0x01c8], [0x01c8, 0x01c8], [0x01c9, 0x01c8],
  [0x01ca, 0x01cb], [0x01cb, 0x01cb], [0x01cc, 0x01cb],
  [0x01f1, 0x01f2], [0x01f2, 0x01f2], [0x01f3, 0x01f2],
  [0x1fb3, 0x1fbc], [0x1fc3, 0x1fcc], [0x1ff3, 0x1ffc],
]);

function titlecase(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x80) return cp >= 0x61 && cp <= 0x7a ? String.fromCharCode(cp - 0x20) : ch;
  const exception = TITLECASE_EXCEPTIONS.get(cp);
  if (exception !== undefined) return String.fromCodePoint(exception);
  // U+1F80–U+1FAF: each block of eight lower-case forms titlecases to the next eight.
  if (cp >= 0x1f80 && cp <= 0x1faf) return String.fromCodePoint(cp | 0x08);
  const upper = ch.toUpperCase();
  // A full mapping to several characters ("ß" → "SS") is not a simple mapping: keep the letter.
  return [...upper].length === 1 ? upper : ch;
}

/**
 * The comparison key of a string: titlecased, then NFKD. Compare keys with compareKeys, or as
 * UTF-8 bytes (SQLite's BINARY collation): both are code point order. A lone surrogate (which
 * has no UTF-8 form) becomes U+FFFD, so a key stored as UTF-8 compares as it does here.
 */
export function casemapKey(text: string): string {
  let ascii = true;
  for (let i = 0; i < text.length && ascii; i++) ascii = text.charCodeAt(i) < 0x80;
  if (ascii) return text.toUpperCase();
  let out = '';
  for (const ch of text) out += titlecase(ch);
  return (out.normalize('NFKD') as string & { toWellFormed(): string }).toWellFormed();
}

/**
 * Code point order. JavaScript's `<` compares UTF-16 code units, which puts U+10000 and above
 * (surrogate pairs) before U+E000–U+FFFF; code point order puts them after.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) return fixup(x) - fixup(y);
    return x - y;
  }
  return a.length - b.length;
}

// Surrogates (D800–DFFF) move above E000–FFFF, which moves down below them.
function fixup(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}
