// The header facts SORT and THREAD compare, read from the stored messages: headerFacts (in
// src/mime/sort-keys.ts, which the store also uses for its sort-key columns) over the first
// bytes of each message. SORT and THREAD read the store's columns; this reads every header
// and is the reference the tests compare those answers with.
import { HEADER_BYTES, headerFacts, type AddressFacts, type MessageFacts } from '../../mime/index.ts';
import type { MailStore, MessageSummary } from '../../store/types.ts';

export type { AddressFacts, MessageFacts };

export async function messageFacts(store: MailStore, summaries: readonly MessageSummary[]): Promise<MessageFacts[]> {
  const out: MessageFacts[] = [];
  for (const m of summaries) out.push(headerFacts(await store.readBlob(m.blobId, { start: 0, end: HEADER_BYTES }), m));
  return out;
}
