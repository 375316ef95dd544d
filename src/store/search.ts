// SEARCH as the store evaluates it. The IMAP layer parses the command into this tree (with
// sequence numbers already turned into UIDs); the store answers with UIDs. Text keys use the
// full-text index; everything else is checked on the message rows.

export type DateOp = 'before' | 'on' | 'since';

export type SearchKey =
  | { type: 'all' }
  | { type: 'flag'; flag: string; present: boolean }
  | { type: 'recent'; present: boolean }
  | { type: 'uid'; ranges: [number, number][] }
  | { type: 'internaldate'; op: DateOp; date: string }
  | { type: 'sentdate'; op: DateOp; date: string }
  | { type: 'size'; op: 'larger' | 'smaller'; bytes: number }
  /** FROM, TO, CC, BCC, SUBJECT and HEADER <field> <text>: substring of the decoded field, any case. */
  | { type: 'header'; field: string; value: string }
  | { type: 'body'; value: string }
  | { type: 'text'; value: string }
  | { type: 'modseq'; modseq: number }
  /** WITHIN (RFC 5032): OLDER / YOUNGER than this many seconds. */
  | { type: 'age'; op: 'older' | 'younger'; seconds: number }
  | { type: 'not'; key: SearchKey }
  | { type: 'or'; left: SearchKey; right: SearchKey }
  | { type: 'and'; keys: SearchKey[] };

/**
 * A key that tests flags alone (UNSEEN, FLAGGED, UNSEEN UNDELETED, KEYWORD $Later, their NOT and
 * OR): it can be answered from each distinct flag list once, without the message rows.
 */
export function testsFlagsOnly(key: SearchKey): boolean {
  switch (key.type) {
    case 'flag': return true;
    case 'not': return testsFlagsOnly(key.key);
    case 'or': return testsFlagsOnly(key.left) && testsFlagsOnly(key.right);
    case 'and': return key.keys.every(testsFlagsOnly);
    default: return false;
  }
}

/** Whether a message with `flags` matches a key of testsFlagsOnly(); flags compare without regard to case (RFC 3501 §2.3.2). */
export function flagsMatch(key: SearchKey, flags: readonly string[]): boolean {
  switch (key.type) {
    case 'flag': {
      const wanted = key.flag.toLowerCase();
      return flags.some((f) => f.toLowerCase() === wanted) === key.present;
    }
    case 'not': return !flagsMatch(key.key, flags);
    case 'or': return flagsMatch(key.left, flags) || flagsMatch(key.right, flags);
    case 'and': return key.keys.every((k) => flagsMatch(k, flags));
    default: throw new Error(`${key.type} is not a flag key`);
  }
}

/** What the store indexes for each message at append time. */
export interface IndexedText {
  subject: string;
  from: string;
  to: string;
  cc: string;
  bcc: string;
  /** Every header field, decoded, as "Name: value" lines. */
  headers: string;
  body: string;
  /** A piece of `body` that is the message's own bytes (SearchText.verbatim in src/mime). */
  verbatim: { offset: number; length: number; start: number; end: number } | null;
}

/** Folds case the way IMAP SEARCH compares (RFC 3501 §6.4.4: case-insensitive substring). */
export function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}
