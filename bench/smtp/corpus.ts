// The mail the benchmark sends: small messages (about 2 KB) from one Internet domain,
// fabrikam.example, DKIM-signed with its key (RSA 2048, relaxed/relaxed, as large senders sign),
// from an envelope sender whose SPF record covers 127.0.0.0/8 and whose domain publishes
// DMARC p=reject, so that every check Mailroom runs on inbound mail passes. The DNS answers
// (SPF, DKIM key, DMARC) are returned by dnsRecords() and served to the server by a stub.
//
// A fixed set of signed bodies is reused; each delivery gets a unique X-Bench-Id field put in
// front (outside the signature's h= list, so the signature stays valid). Every stored copy is
// then found again by that id at the end of the run.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { dkimSign } from 'mailauth';
import { dataPayload } from './client.ts';
import { prng } from '../../test/support/random.ts';

export const SENDER_DOMAIN = 'fabrikam.example';
export const ENVELOPE_SENDER = `bounces@${SENDER_DOMAIN}`;
export const SELECTOR = 'bench';

const WORDS = (
  'quarterly report meeting agenda budget review project timeline deliverable customer feedback '
  + 'invoice shipment warehouse schedule update contract renewal proposal summary attached please '
  + 'confirm availability thursday morning afternoon regards team office building parking access '
  + 'training session onboarding handbook policy travel expense approval manager director sales '
  + 'marketing campaign launch product roadmap milestone release notes support ticket escalation'
).split(' ');

function paragraph(random: () => number, bytes: number): string {
  const lines: string[] = [];
  let line = '';
  let size = 0;
  while (size < bytes) {
    const word = WORDS[Math.floor(random() * WORDS.length)]!;
    if (line.length + word.length + 1 > 72) {
      lines.push(line);
      size += line.length + 2;
      line = '';
    }
    line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join('\r\n');
}

export interface Corpus {
  /** Signed messages; the i-th is addressed (To:) to mailbox i mod the mailbox count. */
  messages: Buffer[];
  /** TXT records the server's resolver must answer: `name TYPE` → dns.promises.resolve's shape. */
  dns: Record<string, string[][]>;
  bytes: number;
}

export interface CorpusOptions {
  /** Distinct signed bodies to cycle through. */
  variants: number;
  /** Approximate size of each message, headers included. */
  bytes: number;
  /** Local parts of the recipients (the To: field names one of them). */
  recipients: (i: number) => string;
  sign: boolean;
}

function publicKeyRecord(publicKey: KeyObject): string[] {
  const b64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const record = `v=DKIM1; k=rsa; p=${b64}`;
  // TXT strings are at most 255 bytes each (RFC 1035 §3.3.14); resolvers hand back the pieces.
  const pieces: string[] = [];
  for (let i = 0; i < record.length; i += 255) pieces.push(record.slice(i, i + 255));
  return pieces;
}

export async function buildCorpus(options: CorpusOptions): Promise<Corpus> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const random = prng(20261126);
  const messages: Buffer[] = [];
  for (let i = 0; i < options.variants; i++) {
    const header = [
      `From: Fabrikam Notifications <notifications@${SENDER_DOMAIN}>`,
      `To: ${options.recipients(i)}`,
      `Subject: ${paragraph(random, 30).replace(/\r\n/g, ' ')} #${i + 1}`,
      `Date: Thu, 26 Nov 2026 ${String(8 + (i % 10)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00 +0000`,
      `Message-ID: <bench.${i + 1}.${random().toString(36).slice(2)}@${SENDER_DOMAIN}>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 7bit',
    ].join('\r\n');
    const bodyBytes = Math.max(100, options.bytes - header.length - 700); // the signature takes ~650 bytes
    const unsigned = Buffer.from(`${header}\r\n\r\n${paragraph(random, bodyBytes)}\r\n`, 'latin1');
    if (!options.sign) {
      messages.push(unsigned);
      continue;
    }
    const signed = await dkimSign(unsigned, {
      canonicalization: 'relaxed/relaxed',
      // Without a fixed signing time, mailauth 4.13 reads the clock twice (for the signed copy
      // of the DKIM-Signature field and for the one it returns), and a second boundary between
      // the two leaves a t= that does not match the signature: about 1 message in 3,000 fails.
      signTime: new Date(),
      signatureData: [{ signingDomain: SENDER_DOMAIN, selector: SELECTOR, privateKey: privateKeyPem, algorithm: 'rsa-sha256' }],
    } as never);
    if (signed.errors.length > 0) throw signed.errors[0];
    messages.push(Buffer.concat([Buffer.from(signed.signatures, 'latin1'), unsigned]));
  }
  return {
    messages,
    bytes: Math.round(messages.reduce((n, m) => n + m.length, 0) / messages.length),
    dns: {
      [`${SENDER_DOMAIN} TXT`]: [['v=spf1 ip4:127.0.0.0/8 -all']],
      [`_dmarc.${SENDER_DOMAIN} TXT`]: [['v=DMARC1; p=reject; rua=mailto:dmarc@fabrikam.example']],
      [`${SELECTOR}._domainkey.${SENDER_DOMAIN} TXT`]: [publicKeyRecord(publicKey)],
    },
  };
}

/** The bytes to send for one delivery: the id field in front of a signed variant, dot-stuffed. */
export function deliveryPayload(corpus: Corpus, variant: number, id: string): Buffer {
  return dataPayload(Buffer.concat([Buffer.from(`X-Bench-Id: ${id}\r\n`, 'latin1'), corpus.messages[variant % corpus.messages.length]!]));
}

/** The X-Bench-Id of a stored message (it may sit below fields the receiving servers added). */
export function benchIdOf(raw: Buffer): string | undefined {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.toString('latin1', 0, end < 0 ? Math.min(raw.length, 65536) : end);
  return /^X-Bench-Id: (\S+)/im.exec(head)?.[1];
}
