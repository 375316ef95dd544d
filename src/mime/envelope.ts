// IMAP ENVELOPE (RFC 3501 §7.4.2, RFC 9051 §7.5.2): the addressing header fields of a
// message (the root, or the message inside a message/rfc822 part), unparsed beyond what
// the structure needs. Clients decode encoded words themselves, so subjects and display
// names are sent as written.
import { decodeHeaderBinary } from './charset.ts';
import { decodeEncodedWords, headerValue, isGroup, parseAddressList } from './headers.ts';
import type { AddressItem, MailAddress } from './headers.ts';
import { imapString } from './imap-format.ts';
import { charsetHint } from './scan.ts';
import type { MessagePart } from './scan.ts';

export interface Envelope {
  date: string | null;
  subject: string | null;
  from: AddressItem[] | null;
  sender: AddressItem[] | null;
  replyTo: AddressItem[] | null;
  to: AddressItem[] | null;
  cc: AddressItem[] | null;
  bcc: AddressItem[] | null;
  inReplyTo: string | null;
  messageId: string | null;
}

/**
 * Placeholders for a missing local part or domain. A NIL host would read as the start of a
 * group (RFC 3501 §7.4.2), so an address such as "To: undisclosed-recipients" gets a host
 * that says what is wrong instead.
 */
export const MISSING_MAILBOX = 'MISSING_MAILBOX';
export const MISSING_DOMAIN = 'MISSING_DOMAIN';

function addresses(raw: Buffer, part: MessagePart, name: string, hint: string | null): AddressItem[] | null {
  const value = headerValue(raw, part.fields, name);
  if (value === null) return null;
  const list = parseAddressList(decodeHeaderBinary(value, hint));
  return list.length === 0 ? null : list;
}

/** The envelope fields of a message node (the root part, or a message part's child). */
export function readEnvelope(raw: Buffer, part: MessagePart): Envelope {
  const hint = charsetHint(part);
  const text = (name: string): string | null => {
    const value = headerValue(raw, part.fields, name);
    return value === null ? null : decodeHeaderBinary(value, hint);
  };
  const from = addresses(raw, part, 'from', hint);
  return {
    date: text('date'),
    subject: text('subject'),
    from,
    // RFC 3501 §7.4.2: absent or empty Sender and Reply-To take the value of From.
    sender: addresses(raw, part, 'sender', hint) ?? from,
    replyTo: addresses(raw, part, 'reply-to', hint) ?? from,
    to: addresses(raw, part, 'to', hint),
    cc: addresses(raw, part, 'cc', hint),
    bcc: addresses(raw, part, 'bcc', hint),
    inReplyTo: text('in-reply-to'),
    messageId: text('message-id'),
  };
}

/**
 * RFC 2047 "B" encoding of a whole text as UTF-8 encoded words, each at most 75 characters
 * (§2) and never splitting a character. Decoders drop the blanks between adjacent encoded
 * words (§6.2), so the text comes back exactly.
 */
export function encodeWordsUtf8(text: string): string {
  const words: string[] = [];
  let chunk = '';
  let size = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (size + n > 45 && chunk !== '') {
      words.push(chunk);
      chunk = '';
      size = 0;
    }
    chunk += ch;
    size += n;
  }
  if (chunk !== '') words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(' ');
}

function hasNonAscii(s: string): boolean {
  return /[^\x00-\x7f]/.test(s);
}

/**
 * Human-readable text (subject, display names) that arrived as raw 8-bit: a client without
 * UTF8=ACCEPT expects 7-bit header text and decodes encoded words, so it gets the decoded
 * text re-encoded as RFC 2047 UTF-8 words (which also settles the charset guess for it); a
 * UTF8=ACCEPT client gets UTF-8. Encoded words already in such text are decoded first, so
 * that the client's single decoding pass yields the whole text.
 */
function phrase(value: string | null, utf8Allowed: boolean): string {
  if (value === null || utf8Allowed || !hasNonAscii(value)) return imapString(value, utf8Allowed);
  return imapString(encodeWordsUtf8(decodeEncodedWords(value)), false);
}

function formatAddress(a: MailAddress, utf8Allowed: boolean): string {
  return `(${phrase(a.name, utf8Allowed)} ${imapString(a.route, utf8Allowed)} ${imapString(a.mailbox ?? MISSING_MAILBOX, utf8Allowed)} ${imapString(a.host ?? MISSING_DOMAIN, utf8Allowed)})`;
}

/** RFC 3501 §7.4.2: a group is (NIL NIL "name" NIL), its members, then (NIL NIL NIL NIL). */
function formatAddressList(list: AddressItem[] | null, utf8Allowed: boolean): string {
  if (list === null) return 'NIL';
  let out = '';
  for (const item of list) {
    if (isGroup(item)) {
      out += `(NIL NIL ${phrase(item.group, utf8Allowed)} NIL)`;
      for (const m of item.members) out += formatAddress(m, utf8Allowed);
      out += '(NIL NIL NIL NIL)';
    } else out += formatAddress(item, utf8Allowed);
  }
  return `(${out})`;
}

/** ENVELOPE wire form of already read fields. */
export function formatEnvelope(env: Envelope, utf8Allowed = false): string {
  const s = (v: string | null) => imapString(v, utf8Allowed);
  return (
    `(${s(env.date)} ${phrase(env.subject, utf8Allowed)} ${formatAddressList(env.from, utf8Allowed)} ` +
    `${formatAddressList(env.sender, utf8Allowed)} ${formatAddressList(env.replyTo, utf8Allowed)} ` +
    `${formatAddressList(env.to, utf8Allowed)} ${formatAddressList(env.cc, utf8Allowed)} ` +
    `${formatAddressList(env.bcc, utf8Allowed)} ${s(env.inReplyTo)} ${s(env.messageId)})`
  );
}

/** ENVELOPE of a message node as the IMAP wire string. */
export function envelope(raw: Buffer, part: MessagePart, utf8Allowed = false): string {
  return formatEnvelope(readEnvelope(raw, part), utf8Allowed);
}
