// IMAP wire encoding of the strings inside BODYSTRUCTURE, BODY and ENVELOPE (RFC 3501 §4.3,
// §9 "string"; RFC 9051 for UTF-8).

/** Strings longer than this go out as literals: quoted strings are meant to be short. */
export const MAX_QUOTED_LENGTH = 1000;

/**
 * A quoted string, a literal when quoting is not possible, or NIL for null.
 *
 * RFC 3501 §4.3: a quoted string holds 7-bit characters except CR and LF, with "\" and '"'
 * escaped; anything else (line breaks, 8-bit text for a client that has not enabled
 * UTF8=ACCEPT, very long text) is sent as a literal "{n}\r\n" + bytes, n counting UTF-8 bytes.
 * With UTF8=ACCEPT (RFC 6855 §3, RFC 9051) UTF-8 is allowed inside quoted strings. NUL can be
 * in neither form, so it is dropped.
 */
export function imapString(value: string | null, utf8Allowed: boolean): string {
  if (value === null) return 'NIL';
  const text = value.includes('\0') ? value.replace(/\0/g, '') : value;
  if (needsLiteral(text, utf8Allowed)) return `{${Buffer.byteLength(text, 'utf8')}}\r\n${text}`;
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

function needsLiteral(text: string, utf8Allowed: boolean): boolean {
  if (text.length > MAX_QUOTED_LENGTH) return true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0d || c === 0x0a) return true;
    if (c >= 0x80 && !utf8Allowed) return true;
  }
  return false;
}

/** A parenthesized list, or NIL when empty (IMAP has no empty lists in these structures). */
export function imapList(items: readonly string[]): string {
  return items.length === 0 ? 'NIL' : `(${items.join(' ')})`;
}
