// The header facts SORT and THREAD compare (RFC 5256, DISPLAYFROM/DISPLAYTO of RFC 5957), read
// from the first bytes of a message: decoded subject, first From/To/Cc address and display
// name, the Date field (else INTERNALDATE), Message-ID and References. sortKeys turns them into
// the keys that are compared: strings in i;unicode-casemap form (collation.ts), which compare
// by code point, so the store can keep them in columns and let SQLite's BINARY order sort them.
// Pure functions: the IMAP server's reference sort and the store's columns use the same code.
import { extractBaseSubject } from './base-subject.ts';
import { charsetHint, scanMessage } from './scan.ts';
import { decodeEncodedWords, decodeHeaderText, headerValue, isGroup, parseAddressList, type AddressItem } from './headers.ts';
import { decodeHeaderBinary } from './charset.ts';
import { casemapKey } from './collation.ts';

/** What SORT compares for one address field. */
export interface AddressFacts {
  /**
   * RFC 5256 §3 FROM/TO/CC: the local part of the first address. When the field starts with a
   * group ("undisclosed-recipients:;") that is the group's name, as in Dovecot: a group is the
   * first thing in the field, and its members are not.
   */
  mailbox: string;
  /**
   * RFC 5957 DISPLAYFROM/DISPLAYTO: the first address's decoded display name, else its
   * addr-spec ("local@domain", or the local part alone when there is no domain).
   */
  display: string;
}

export interface MessageFacts {
  uid: number;
  size: number;
  arrival: number;
  /** Date header, or arrival when it is missing or unreadable (RFC 5256 §2.2). */
  sent: number;
  /** Decoded Subject ("" when there is none). */
  subject: string;
  from: AddressFacts;
  to: AddressFacts;
  cc: AddressFacts;
  messageId: string | null;
  references: string[];
}

/** How much of a message headerFacts reads: the header, cut off at 64 KB. */
export const HEADER_BYTES = 64 * 1024;

const NO_ADDRESS: AddressFacts = { mailbox: '', display: '' };

/** The keys of the first item of an address list parsed from text (8-bit bytes decoded already). */
export function firstAddress(items: readonly AddressItem[]): AddressFacts {
  const first = items[0];
  if (!first) return NO_ADDRESS;
  // Only encoded words are left to decode: decoding the bytes again would garble raw UTF-8.
  if (isGroup(first)) {
    const name = decodeEncodedWords(first.group);
    return { mailbox: name, display: name };
  }
  const mailbox = first.mailbox ?? '';
  const name = first.name ? decodeEncodedWords(first.name).trim() : '';
  const spec = first.host ? `${mailbox}@${first.host}` : mailbox;
  return { mailbox, display: name || spec };
}

/** Message ids ("<…>") in a References or In-Reply-To value; the scan is linear. */
export function messageIds(text: string | null): string[] {
  return text ? [...text.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]) : [];
}

/** "Fri, 22 Feb 2008 00:00:00 +0200 (EET)" without the "(EET)" that Date.parse refuses. */
function withoutTrailingComment(value: string): string {
  const v = value.trimEnd();
  if (!v.endsWith(')')) return v;
  const open = v.lastIndexOf('(');
  return open < 0 ? v : v.slice(0, open);
}

/** The facts of one message from the first bytes of its header (HEADER_BYTES are enough). */
export function headerFacts(head: Buffer, message: { uid: number; size: number; internalDate: Date }): MessageFacts {
  // The first 64 KB hold the header; a body cut short there does not disturb the scanner.
  const root = scanMessage(head);
  const fields = root.fields;
  const hint = charsetHint(root);
  const get = (name: string) => headerValue(head, fields, name);
  const addresses = (name: string) => firstAddress(parseAddressList(decodeHeaderBinary(get(name) ?? '', hint)));
  const date = Date.parse(withoutTrailingComment(get('date') ?? ''));
  const references = messageIds(get('references'));
  const arrival = message.internalDate.getTime();
  return {
    uid: message.uid,
    size: message.size,
    arrival,
    sent: Number.isNaN(date) ? arrival : date,
    subject: decodeHeaderText(get('subject') ?? '', hint),
    from: addresses('from'),
    to: addresses('to'),
    cc: addresses('cc'),
    messageId: messageIds(get('message-id'))[0] ?? null,
    // RFC 5256 §2.2: References, else the first id of In-Reply-To.
    references: references.length > 0 ? references : messageIds(get('in-reply-to')).slice(0, 1),
  };
}

/**
 * References beyond the last ones are ignored by THREAD REFERENCES. MUAs shorten long
 * References headers themselves (RFC 5322 §3.6.4), so nothing real is lost, and a header of
 * thousands of ids cannot make linking quadratic (nor a stored row large).
 */
export const MAX_REFERENCES = 100;

/** SORT SUBJECT's key and what THREAD compares subjects by: the base subject, casemapped. */
export function subjectKey(subject: string): { key: string; replyOrForward: boolean } {
  const base = extractBaseSubject(subject);
  return { key: casemapKey(base.text), replyOrForward: base.replyOrForward };
}

/** Every key SORT and THREAD compare, as the store keeps them with the message. */
export interface SortKeys {
  /** DATE: the Date field in ms since 1970, else INTERNALDATE. */
  sent: number;
  /** SUBJECT: the base subject (RFC 5256 §2.1), casemapped. */
  subject: string;
  /** A reply or forward marker was taken off the subject (THREAD REFERENCES step 5). */
  replyOrForward: boolean;
  /** FROM, TO, CC: the first address's local part, casemapped. */
  from: string;
  to: string;
  cc: string;
  /** DISPLAYFROM, DISPLAYTO: the first address's display name or addr-spec, casemapped. */
  displayFrom: string;
  displayTo: string;
  messageId: string | null;
  /** The last MAX_REFERENCES of References (else In-Reply-To's first id), oldest first. */
  references: string[];
}

export function sortKeys(f: MessageFacts): SortKeys {
  const subject = subjectKey(f.subject);
  return {
    sent: f.sent,
    subject: subject.key,
    replyOrForward: subject.replyOrForward,
    from: casemapKey(f.from.mailbox),
    to: casemapKey(f.to.mailbox),
    cc: casemapKey(f.cc.mailbox),
    displayFrom: casemapKey(f.from.display),
    displayTo: casemapKey(f.to.display),
    messageId: f.messageId,
    references: f.references.slice(-MAX_REFERENCES),
  };
}

/** The keys of a whole message (its first HEADER_BYTES are read) that arrived at `internalDate`. */
export function messageSortKeys(raw: Buffer, internalDate: Date): SortKeys {
  const head = raw.length > HEADER_BYTES ? raw.subarray(0, HEADER_BYTES) : raw;
  return sortKeys(headerFacts(head, { uid: 0, size: raw.length, internalDate }));
}
