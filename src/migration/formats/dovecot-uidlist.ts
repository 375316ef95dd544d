// Dovecot's dovecot-uidlist (https://doc.dovecot.org/admin_manual/mailbox_formats/maildir/):
// the folder's UIDVALIDITY and next UID, and each message's UID by its file's base name.
//   version 3:  `3 V1700000000 N43 G<guid>` then `<uid> [<ext>...] :<filename>`
//               with extension fields such as `W1260` (virtual size), `S1234`, `P<pop3 uidl>`,
//               `O<pop3 order>`, `G<guid>`
//   version 1:  `1 <uidvalidity> <next uid>` then `<uid> <filename>`
// Pure; a line that cannot be read is reported, not fatal.

export interface UidlistEntry {
  uid: number;
  /** The file's base name (before `:2,`), which is how Dovecot finds the message. */
  base: string;
  /** `P`: the POP3 UIDL Dovecot keeps for a message migrated into it from elsewhere. */
  pop3Uidl?: string;
  /** `W`: the size with CRLF line ends. */
  virtualSize?: number;
  /** `G`: the message's GUID. */
  guid?: string;
}

export interface Uidlist {
  version: number;
  uidValidity: number;
  nextUid: number;
  entries: UidlistEntry[];
  /** Line numbers (1-based) and why each could not be read. */
  problems: { line: number; reason: string }[];
}

function positiveInt(text: string, max = 0xffffffff): number | undefined {
  if (text.length === 0 || text.length > 10) return undefined;
  for (const c of text) if (c < '0' || c > '9') return undefined;
  const n = Number(text);
  return n >= 1 && n <= max ? n : undefined;
}

function baseOf(filename: string): string {
  const at = Math.max(filename.lastIndexOf(':2,'), filename.lastIndexOf('!2,'), filename.lastIndexOf(';2,'));
  return at >= 0 ? filename.slice(0, at) : filename;
}

/** Reads a dovecot-uidlist; null when its header is not one Dovecot writes. */
export function parseUidlist(text: string): Uidlist | null {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').replace('\r', '').split(' ');
  const version = positiveInt(header[0] ?? '', 9);
  let uidValidity: number | undefined;
  let nextUid: number | undefined;
  if (version === 1) {
    uidValidity = positiveInt(header[1] ?? '');
    nextUid = positiveInt(header[2] ?? '');
  } else if (version === 3) {
    for (const field of header.slice(1)) {
      if (field.startsWith('V')) uidValidity = positiveInt(field.slice(1));
      else if (field.startsWith('N')) nextUid = positiveInt(field.slice(1));
    }
  } else return null;
  if (uidValidity === undefined || nextUid === undefined) return null;
  const list: Uidlist = { version, uidValidity, nextUid, entries: [], problems: [] };
  let lastUid = 0;
  for (let i = 1; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length === 0) continue;
    const space = line.indexOf(' ');
    const uid = space > 0 ? positiveInt(line.slice(0, space)) : undefined;
    if (uid === undefined) {
      list.problems.push({ line: i + 1, reason: 'no UID at the start of the line' });
      continue;
    }
    if (uid <= lastUid) {
      list.problems.push({ line: i + 1, reason: `UID ${uid} is not above the previous ${lastUid}` });
      continue;
    }
    const rest = line.slice(space + 1);
    const entry: UidlistEntry = { uid, base: '' };
    if (version === 1) entry.base = baseOf(rest);
    else {
      const colon = rest.indexOf(':');
      if (colon < 0) {
        list.problems.push({ line: i + 1, reason: 'no ":<filename>" on the line' });
        continue;
      }
      for (const field of rest.slice(0, colon).split(' ')) {
        if (field.length < 2) continue;
        const value = field.slice(1);
        if (field[0] === 'P') entry.pop3Uidl = value;
        else if (field[0] === 'W') {
          const w = positiveInt(value, Number.MAX_SAFE_INTEGER);
          if (w !== undefined) entry.virtualSize = w;
        } else if (field[0] === 'G') entry.guid = value;
      }
      entry.base = baseOf(rest.slice(colon + 1));
    }
    if (entry.base.length === 0) {
      list.problems.push({ line: i + 1, reason: 'empty file name' });
      continue;
    }
    lastUid = uid;
    list.entries.push(entry);
  }
  return list;
}

/** Writes a version 3 uidlist (for exports and tests); parseUidlist reads it back. */
export function formatUidlist(list: { uidValidity: number; nextUid: number; entries: UidlistEntry[] }): string {
  const lines = [`3 V${list.uidValidity} N${list.nextUid}`];
  for (const e of list.entries) {
    const ext = [e.pop3Uidl !== undefined ? `P${e.pop3Uidl}` : '', e.virtualSize !== undefined ? `W${e.virtualSize}` : '', e.guid !== undefined ? `G${e.guid}` : ''].filter((x) => x.length > 0);
    lines.push(`${e.uid} ${[...ext, `:${e.base}`].join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Dovecot's pop3_uidl_format for one message. The variables Mailroom can compute from what an
 * import keeps: %u (UID), %v (UIDVALIDITY), %g (GUID, when the uidlist has it) and %f (the
 * file's base name), with Dovecot's modifiers `08X` (zero-padded hex) or `X`; Dovecot writes the hex in lower case. Returns
 * null for a format with other variables (%m, the header's MD5, needs Dovecot's own hashing).
 */
export function formatPop3Uidl(format: string, values: { uid: number; uidValidity: number; guid?: string; base?: string }): string | null {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    let j = i + 1;
    let width = '';
    while (j < format.length && format[j]! >= '0' && format[j]! <= '9') width += format[j++];
    let radix: 'X' | 'x' | '' = '';
    if (format[j] === 'X' || format[j] === 'x') radix = format[j++] as 'X' | 'x';
    const variable = format[j];
    let value: string;
    if (variable === '%') value = '%';
    else if (variable === 'u' || variable === 'v') {
      const n = variable === 'u' ? values.uid : values.uidValidity;
      // Dovecot's X modifier writes lower-case hex (var_expand), whatever the letter's case.
      value = radix !== '' ? n.toString(16) : String(n);
    } else if (variable === 'g' && values.guid !== undefined) value = values.guid;
    else if (variable === 'f' && values.base !== undefined) value = values.base;
    else return null;
    const pad = width.length > 0 ? Number(width) : 0;
    if (pad > 0 && value.length < pad) value = (width.startsWith('0') ? '0' : ' ').repeat(pad - value.length) + value;
    out += value;
    i = j;
  }
  return out;
}

/** Dovecot's default pop3_uidl_format. */
export const DOVECOT_POP3_UIDL_FORMAT = '%08Xu%08Xv';
