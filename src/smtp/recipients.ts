// RCPT TO resolution through the directory: any address or alias of a mailbox in an accepted
// domain is local; another domain is remote (relay, for authenticated users only).
import { domainToASCII } from 'node:url';
import type { Directory, Mailbox } from '../directory/directory.ts';

export type Resolution =
  | { kind: 'local'; address: string; mailbox: Mailbox }
  | { kind: 'remote'; address: string; domain: string }
  /** In an accepted domain, but nobody has the address. */
  | { kind: 'unknown'; address: string };

export function splitAddress(address: string): { local: string; domain: string } {
  const at = address.lastIndexOf('@');
  return at < 0 ? { local: address, domain: '' } : { local: address.slice(0, at), domain: address.slice(at + 1).toLowerCase() };
}

/** The ASCII (A-label) form of a domain; smtp-server hands IDNs over in Unicode. */
export function asciiDomain(domain: string): string {
  return domainToASCII(domain) || domain.toLowerCase();
}

export async function resolveRecipient(directory: Directory, rawAddress: string): Promise<Resolution> {
  // RFC 5321 §4.1.1.3: the domainless "postmaster" must be accepted; it means ours.
  const address = rawAddress.toLowerCase() === 'postmaster' ? `postmaster@${await directory.defaultDomain()}` : rawAddress;
  const { local, domain } = splitAddress(address);
  const ascii = asciiDomain(domain);
  const accepted = (await directory.isAcceptedDomain(domain)) || (ascii !== domain && (await directory.isAcceptedDomain(ascii)));
  if (!accepted) return { kind: 'remote', address, domain: ascii };
  const mailbox = (await directory.mailboxByAddress(address)) ?? (ascii !== domain ? await directory.mailboxByAddress(`${local}@${ascii}`) : undefined);
  if (mailbox && mailbox.builtin !== 'Anonymous' && mailbox.builtin !== 'Guest') return { kind: 'local', address, mailbox };
  // RFC 5321 §4.5.1: every domain has a postmaster. Without a mailbox of that name, the
  // organization's Administrator receives it.
  if (!mailbox && local.toLowerCase() === 'postmaster') {
    const admin = (await directory.mailboxes()).find((m) => m.builtin === 'Administrator');
    if (admin) return { kind: 'local', address, mailbox: admin };
  }
  return { kind: 'unknown', address };
}
