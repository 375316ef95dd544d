// Header fields the full-text index stores without tokenizing (index.db's `signatures` column):
// cryptographic signatures, long base64 values that SEARCH TEXT has no use for. SEARCH HEADER
// still finds them, by reading the stored column.
export const SIGNATURE_FIELDS = new Set(['dkim-signature', 'arc-seal', 'arc-message-signature']);

/** Splits decoded "Name: value" lines into the indexed ones and the signature fields. */
export function splitSignatures(headers: string): { indexed: string; signatures: string } {
  const indexed: string[] = [];
  const signatures: string[] = [];
  for (const line of headers.split('\n')) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : '';
    (SIGNATURE_FIELDS.has(name) ? signatures : indexed).push(line);
  }
  return { indexed: indexed.join('\n'), signatures: signatures.join('\n') };
}
