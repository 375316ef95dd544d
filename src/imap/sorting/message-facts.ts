// The header facts SORT and THREAD need, read from the stored messages: decoded subject, first
// From/To/Cc address and display name, the Date header, Message-ID and References.
import { charsetHint, decodeHeaderBinary, decodeHeaderText, headerValue, isGroup, parseAddressList, scanMessage, type AddressItem } from '../../mime/index.ts';
import type { MailStore, MessageSummary } from '../../store/types.ts';

export interface MessageFacts {
  uid: number;
  size: number;
  arrival: number;
  /** Date header, or arrival when it is missing or unreadable (RFC 5256 §2.2). */
  sent: number;
  subject: string;
  from: { mailbox: string; display: string };
  to: { mailbox: string; display: string };
  cc: { mailbox: string; display: string };
  messageId: string | null;
  references: string[];
}

const HEADER_BYTES = 64 * 1024;

function firstAddress(items: AddressItem[]): { mailbox: string; display: string } {
  for (const item of items) {
    const a = isGroup(item) ? item.members[0] : item;
    if (!a) continue;
    const mailbox = (a.mailbox ?? '').toLowerCase();
    const name = a.name ? decodeHeaderText(a.name) : '';
    // RFC 5957: DISPLAYFROM uses the display name, else the address.
    return { mailbox, display: (name || `${a.mailbox ?? ''}@${a.host ?? ''}`).toLowerCase() };
  }
  return { mailbox: '', display: '' };
}

function ids(text: string | null): string[] {
  return text ? [...text.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]) : [];
}

export async function messageFacts(store: MailStore, summaries: MessageSummary[]): Promise<MessageFacts[]> {
  const out: MessageFacts[] = [];
  for (const m of summaries) {
    const head = await store.readBlob(m.blobId, { start: 0, end: HEADER_BYTES });
    // The first 64 KB hold the header; a body cut short there does not disturb the scanner.
    const root = scanMessage(head);
    const fields = root.fields;
    const hint = charsetHint(root);
    const get = (name: string) => headerValue(head, fields, name);
    const addresses = (name: string) => firstAddress(parseAddressList(decodeHeaderBinary(get(name) ?? '', hint)));
    const date = Date.parse((get('date') ?? '').replace(/\s*\([^)]*\)\s*$/, ''));
    const references = ids(get('references'));
    const inReplyTo = ids(get('in-reply-to'));
    out.push({
      uid: m.uid,
      size: m.size,
      arrival: m.internalDate.getTime(),
      sent: Number.isNaN(date) ? m.internalDate.getTime() : date,
      subject: decodeHeaderText(get('subject') ?? '', hint),
      from: addresses('from'),
      to: addresses('to'),
      cc: addresses('cc'),
      messageId: ids(get('message-id'))[0] ?? null,
      // RFC 5256 §3 step 1.A: References, else the first id of In-Reply-To.
      references: references.length > 0 ? references : inReplyTo.slice(0, 1),
    });
  }
  return out;
}
