// The header facts SORT and THREAD need, read from the stored messages: decoded subject, first
// From/To/Cc address and display name, the Date header, Message-ID and References.
// headerFacts is pure (bytes in, facts out); messageFacts reads the headers from the store.
import { charsetHint, decodeEncodedWords, decodeHeaderBinary, decodeHeaderText, headerValue, isGroup, parseAddressList, scanMessage, type AddressItem } from '../../mime/index.ts';
import type { MailStore, MessageSummary } from '../../store/types.ts';

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

const HEADER_BYTES = 64 * 1024;

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

/** The facts of one message from the first bytes of its header. */
export function headerFacts(head: Buffer, message: Pick<MessageSummary, 'uid' | 'size' | 'internalDate'>): MessageFacts {
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

const NO_REFERENCES: string[] = [];

/**
 * Facts from the message's row alone, what ARRIVAL and SIZE compare: the other facts are empty,
 * and no message is read.
 */
export function rowFacts(m: { uid: number; size: number; arrival: number }): MessageFacts {
  return { uid: m.uid, size: m.size, arrival: m.arrival, sent: m.arrival, subject: '', from: NO_ADDRESS, to: NO_ADDRESS, cc: NO_ADDRESS, messageId: null, references: NO_REFERENCES };
}

export async function messageFacts(store: MailStore, summaries: readonly MessageSummary[]): Promise<MessageFacts[]> {
  const out: MessageFacts[] = [];
  for (const m of summaries) out.push(headerFacts(await store.readBlob(m.blobId, { start: 0, end: HEADER_BYTES }), m));
  return out;
}
