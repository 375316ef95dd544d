// Modified UTF-7 mailbox names (RFC 3501 §5.1.3, RFC 9051 §5.1.3 for compatibility).
//
// Printable US-ASCII stands for itself, "&" is written "&-", and every other run of characters
// is "&" + base64 of its UTF-16BE code units (with "," instead of "/", no padding) + "-".
//
// Decoding is strict in the way Dovecot's imap-utf7.c is, so that one name has one spelling and
// two clients cannot create "the same" folder twice: printable ASCII must not be encoded, NUL
// must not appear, runs must not touch ("&AOQ-&AOU-" is "&AOQA5Q-"), surrogates must pair, and
// the base64 must be the shortest with zero padding bits.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const VALUE = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));
const REPLACEMENT = 0xfffd;

function isDirect(unit: number): boolean {
  return unit >= 0x20 && unit <= 0x7e;
}

/** The UTF-16 code units of a run, with any lone surrogate replaced so the result decodes. */
function wellFormedUnits(run: string): number[] {
  const units: number[] = [];
  for (let i = 0; i < run.length; i++) {
    const u = run.charCodeAt(i);
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = run.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        units.push(u, next);
        i++;
        continue;
      }
      units.push(REPLACEMENT);
    } else if (u >= 0xdc00 && u <= 0xdfff) {
      units.push(REPLACEMENT);
    } else {
      units.push(u);
    }
  }
  return units;
}

function base64Run(units: readonly number[]): string {
  let out = '';
  let bits = 0;
  let buffer = 0;
  for (const unit of units) {
    buffer = (buffer << 16) | unit;
    bits += 16;
    while (bits >= 6) {
      bits -= 6;
      out += ALPHABET[(buffer >> bits) & 0x3f];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (6 - bits)) & 0x3f];
  return out;
}

/** A Unicode mailbox name in modified UTF-7. */
export function encodeMailboxUtf7(name: string): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const unit = name.charCodeAt(i);
    if (isDirect(unit)) {
      out += unit === 0x26 ? '&-' : name[i];
      i++;
      continue;
    }
    let end = i + 1;
    while (end < name.length && !isDirect(name.charCodeAt(end))) end++;
    out += `&${base64Run(wellFormedUnits(name.slice(i, end)))}-`;
    i = end;
  }
  return out;
}

/** The code units of one base64 run, or null when it is not the shortest valid encoding. */
function decodeRun(run: string): number[] | null {
  const units: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const c of run) {
    const v = VALUE.get(c);
    if (v === undefined) return null;
    buffer = ((buffer << 6) | v) & 0x3fffff;
    bits += 6;
    if (bits >= 16) {
      bits -= 16;
      units.push((buffer >> bits) & 0xffff);
    }
  }
  // Leftover bits must be padding: fewer than a base64 digit, and all zero.
  if (bits >= 6 || (buffer & ((1 << bits) - 1)) !== 0) return null;
  return units;
}

/** Turns code units into text, rejecting what must not be encoded and unpaired surrogates. */
function unitsToText(units: readonly number[]): string | null {
  let out = '';
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (u === 0 || isDirect(u)) return null;
    if (u >= 0xdc00 && u <= 0xdfff) return null;
    if (u >= 0xd800 && u <= 0xdbff) {
      const low = units[i + 1];
      if (low === undefined || low < 0xdc00 || low > 0xdfff) return null;
      out += String.fromCharCode(u, low);
      i++;
      continue;
    }
    out += String.fromCharCode(u);
  }
  return out;
}

/** The Unicode name for a modified UTF-7 one, or null when it is not valid (strict, see above). */
export function decodeMailboxUtf7(wire: string): string | null {
  let out = '';
  let previousWasRun = false;
  let i = 0;
  while (i < wire.length) {
    const unit = wire.charCodeAt(i);
    if (!isDirect(unit)) return null;
    if (unit !== 0x26) {
      out += wire[i];
      previousWasRun = false;
      i++;
      continue;
    }
    const dash = wire.indexOf('-', i + 1);
    if (dash < 0) return null;
    if (dash === i + 1) {
      out += '&';
      previousWasRun = false;
    } else {
      if (previousWasRun) return null;
      const units = decodeRun(wire.slice(i + 1, dash));
      const text = units === null ? null : unitsToText(units);
      if (text === null) return null;
      out += text;
      previousWasRun = true;
    }
    i = dash + 1;
  }
  return out;
}

/** True when a wire name is valid modified UTF-7. */
export function isValidMailboxUtf7(wire: string): boolean {
  return decodeMailboxUtf7(wire) !== null;
}

/**
 * A mailbox name (or LIST pattern) as the client sent it → the Unicode name, or null when it is
 * not a valid name in the client's mode.
 *
 * After ENABLE UTF8=ACCEPT (RFC 6855 §3) or in IMAP4rev2, names travel as UTF-8 and "&" is an
 * ordinary character; they are normalized to NFC, as Net-Unicode requires (RFC 5198). Otherwise
 * they are modified UTF-7, decoded strictly. Control characters are never part of a name.
 */
export function mailboxNameFromWire(raw: string, utf8Enabled: boolean): string | null {
  if (!utf8Enabled) return decodeMailboxUtf7(raw);
  if (/[\u0000-\u001f\u007f]/.test(raw)) return null;
  return raw.normalize('NFC');
}

/** A Unicode mailbox name as it goes to a client in the given mode (see mailboxNameFromWire). */
export function mailboxNameToWire(name: string, utf8Enabled: boolean): string {
  return utf8Enabled ? name : encodeMailboxUtf7(name);
}
