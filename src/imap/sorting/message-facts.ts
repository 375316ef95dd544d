// The header facts SORT and THREAD compare, read from the stored messages: headerFacts (in
// src/mime/sort-keys.ts, which the store also uses for its sort-key columns) over the first
// bytes of each message. SORT and THREAD read the store's columns; this reads every header
// and is the reference the tests compare those answers with.
import { HEADER_BYTES, headerFacts, type AddressFacts, type MessageFacts } from '../../mime/index.ts';
import type { MailStore, MessageSummary } from '../../store/types.ts';

export type { AddressFacts, MessageFacts };

const NO_ADDRESS: AddressFacts = { mailbox: '', display: '' };
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
