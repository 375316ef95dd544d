// DKIM signing of outbound mail (RFC 6376), with the key of the domain in the From field (which
// is what DMARC aligns with, RFC 7489 §3.1.1). Messages from domains without a key leave unsigned.
import { dkimSign } from 'mailauth';
import type { Directory } from '../../directory/directory.ts';
import { originatorAddresses, readHeader } from '../message-checks.ts';
import { splitAddress } from '../recipients.ts';
import { signingKey } from './dkim-keys.ts';

/** The domain whose key should sign: the first From address's, else the envelope sender's. */
export function signingDomainOf(message: Buffer, sender: string): string | undefined {
  const from = originatorAddresses(message, readHeader(message)).from[0] ?? sender;
  const domain = splitAddress(from).domain;
  return domain === '' ? undefined : domain;
}

/** The message with a DKIM-Signature field prepended, or unchanged when there is no key. */
export async function dkimSignMessage(directory: Directory, message: Buffer, sender: string): Promise<Buffer> {
  const domain = signingDomainOf(message, sender);
  if (!domain) return message;
  const key = await signingKey(directory, domain);
  if (!key) return message;
  const result = await dkimSign(message, {
    // mailauth 4.13 reads the clock twice for t= unless given the time: a second boundary
    // between the two reads made about one signature in a few thousand invalid.
    signTime: new Date(),
    signatureData: [{ signingDomain: key.domain, selector: key.selector, privateKey: key.privateKeyPem }],
  } as never);
  if (result.errors.length > 0 || result.signatures.trim() === '') throw result.errors[0] ?? new Error('DKIM signing produced no signature');
  return Buffer.concat([Buffer.from(result.signatures, 'utf8'), message]);
}
