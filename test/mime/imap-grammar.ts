// A small reader for the IMAP data the MIME engine produces (RFC 3501 §9 grammar), used by
// the tests to check that every BODYSTRUCTURE, BODY and ENVELOPE is well-formed: quoted
// strings, literals with the right byte counts, balanced parentheses, and the shapes of
// body and envelope.

export type ImapValue = string | number | null | ImapValue[];

export class ImapSyntaxError extends Error {}

/** Parses one value from the UTF-8 bytes of an IMAP string and requires nothing after it. */
export function parseImap(text: string): ImapValue {
  const buf = Buffer.from(text, 'utf8');
  let pos = 0;
  const fail = (why: string): never => {
    throw new ImapSyntaxError(`${why} at byte ${pos}: ${JSON.stringify(buf.toString('utf8', Math.max(0, pos - 30), pos + 30))}`);
  };

  function value(): ImapValue {
    const c = buf[pos];
    if (c === 0x28) {
      pos++;
      const items: ImapValue[] = [];
      for (;;) {
        if (buf[pos] === 0x29) {
          pos++;
          return items;
        }
        if (items.length > 0) {
          // Items are separated by one space, except that bodies of a multipart follow each
          // other directly: ")(" is allowed.
          if (buf[pos] === 0x20) pos++;
          else if (!(buf[pos] === 0x28 && buf[pos - 1] === 0x29)) fail('expected space');
        }
        if (pos >= buf.length) fail('unbalanced parenthesis');
        items.push(value());
      }
    }
    if (c === 0x22) {
      pos++;
      const bytes: number[] = [];
      for (;;) {
        const b = buf[pos++];
        if (b === undefined) fail('unterminated quoted string');
        if (b === 0x22) break;
        if (b === 0x0d || b === 0x0a || b === 0x00) fail('CR, LF or NUL in quoted string');
        if (b === 0x5c) {
          const next = buf[pos++];
          if (next !== 0x22 && next !== 0x5c) fail('bad escape');
          bytes.push(next!);
        } else bytes.push(b!);
      }
      return Buffer.from(bytes).toString('utf8');
    }
    if (c === 0x7b) {
      const close = buf.indexOf(0x7d, pos);
      if (close < 0) fail('unterminated literal length');
      const n = Number(buf.toString('latin1', pos + 1, close));
      if (!Number.isInteger(n) || n < 0) fail('bad literal length');
      if (buf[close + 1] !== 0x0d || buf[close + 2] !== 0x0a) fail('literal length not followed by CRLF');
      const start = close + 3;
      if (start + n > buf.length) fail('literal runs past the end');
      pos = start + n;
      const data = buf.subarray(start, start + n);
      if (data.includes(0)) fail('NUL in literal');
      return data.toString('utf8');
    }
    const m = /^(NIL|\d+)/.exec(buf.toString('latin1', pos, pos + 20));
    if (m === null) return fail('unexpected data');
    pos += m[0].length;
    return m[0] === 'NIL' ? null : Number(m[0]);
  }

  const result = value();
  if (pos !== buf.length) fail('trailing data');
  return result;
}

function isNString(v: ImapValue): boolean {
  return v === null || typeof v === 'string';
}

function check(ok: boolean, why: string): void {
  if (!ok) throw new ImapSyntaxError(why);
}

function checkParams(v: ImapValue | undefined): void {
  if (v === null) return;
  check(Array.isArray(v) && v.length > 0 && v.length % 2 === 0 && v.every((x) => typeof x === 'string'), 'body-fld-param');
}

function checkDisposition(v: ImapValue | undefined): void {
  if (v === null) return;
  check(Array.isArray(v) && v.length === 2 && typeof v[0] === 'string', 'body-fld-dsp');
  checkParams((v as ImapValue[])[1]);
}

function checkLanguage(v: ImapValue | undefined): void {
  if (v === null || typeof v === 'string') return;
  check(Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'), 'body-fld-lang');
}

function checkAddressList(v: ImapValue | undefined): void {
  if (v === null) return;
  check(Array.isArray(v) && v.length > 0, 'address list');
  for (const a of v as ImapValue[]) check(Array.isArray(a) && a.length === 4 && a.every(isNString), 'address');
}

/** RFC 3501 envelope: 10 fields. */
export function checkEnvelope(v: ImapValue): void {
  check(Array.isArray(v) && v.length === 10, 'envelope has 10 fields');
  const e = v as ImapValue[];
  check(isNString(e[0]!) && isNString(e[1]!) && isNString(e[8]!) && isNString(e[9]!), 'envelope strings');
  for (let i = 2; i < 8; i++) checkAddressList(e[i]);
}

/** RFC 3501 body / RFC 9051 body, with or without extension data. */
export function checkBody(v: ImapValue, extended: boolean): void {
  check(Array.isArray(v) && v.length > 0, 'body is a list');
  const items = v as ImapValue[];
  if (Array.isArray(items[0])) {
    let i = 0;
    while (Array.isArray(items[i])) checkBody(items[i++]!, extended);
    check(typeof items[i] === 'string', 'multipart subtype');
    const rest = items.slice(i + 1);
    if (!extended) return check(rest.length === 0, 'BODY multipart has no extension data');
    check(rest.length === 4, 'multipart extension: params dsp lang loc');
    checkParams(rest[0]);
    checkDisposition(rest[1]);
    checkLanguage(rest[2]);
    check(isNString(rest[3]!), 'body-fld-loc');
    return;
  }
  check(typeof items[0] === 'string' && typeof items[1] === 'string', 'media type');
  checkParams(items[2]);
  check(isNString(items[3]!) && isNString(items[4]!), 'id, description');
  check(typeof items[5] === 'string', 'encoding');
  check(typeof items[6] === 'number', 'octets');
  let i = 7;
  const type = (items[0] as string).toLowerCase();
  const subtype = (items[1] as string).toLowerCase();
  if (type === 'message' && (subtype === 'rfc822' || subtype === 'global')) {
    checkEnvelope(items[i++]!);
    checkBody(items[i++]!, extended);
    check(typeof items[i++] === 'number', 'message lines');
  } else if (type === 'text') {
    check(typeof items[i++] === 'number', 'text lines');
  }
  const rest = items.slice(i);
  if (!extended) return check(rest.length === 0, 'BODY has no extension data');
  check(rest.length === 4, 'extension: md5 dsp lang loc');
  check(isNString(rest[0]!), 'md5');
  checkDisposition(rest[1]);
  checkLanguage(rest[2]);
  check(isNString(rest[3]!), 'body-fld-loc');
}
