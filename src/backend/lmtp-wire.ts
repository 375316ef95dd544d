// What both ends of the mail delivery port (LMTP, RFC 2033, on 2525) agree on: the port, the
// Mailroom parameters and the XQUOTA command, the replies, and how a server proves it belongs to
// the organization (direct trust: a TLS certificate the directory holds for one of its servers,
// as Exchange's ExchangeServer authentication trusts the certificates published in AD).
//
// The protocol is LMTP with three additions, spoken only between Mailroom servers:
//   MAIL FROM:<sender> SIZE=<n> [XFOLDER=JUNK] [XENCODING=BASE64]
//     SIZE is the exact length of the message as it is to be stored, and the receiving end
//     checks it. XFOLDER=JUNK stores the copies in Junk Email (DMARC quarantine). Messages
//     that DATA cannot carry octet for octet (a bare CR or LF, which the client side turns into
//     CRLF, or no CRLF at the end) travel base64-encoded with XENCODING=BASE64.
//   XQUOTA <address>
//     250 2.1.5 USAGE=<bytes> PROHIBITSEND=<bytes|unlimited> PROHIBITSENDRECEIVE=<bytes|unlimited>
//     The front end's quota checks (ProhibitSendQuota at MAIL FROM, ProhibitSendReceiveQuota at
//     RCPT and before DATA) for a mailbox on another server. 550 5.1.1 when the mailbox is not
//     in a database mounted on the answering server.
import type { MailboxQuota, QuotaLimit } from '../smtp/delivery.ts';
import { hasBareLineBreak } from '../smtp/message-checks.ts';

/** The back end's mail delivery port (plus MAILROOM_PORT_OFFSET), as Exchange's "Default <server>" connector. */
export const DELIVERY_PORT = 2525;
export const DELIVERY_BINDINGS: readonly string[] = ['[::]:2525', '0.0.0.0:2525'];

/** The service that listens on the port; its Get-Service line gives the port the others connect to. */
export const DELIVERY_SERVICE = 'smtp-backend';

export const FOLDER_PARAM = 'XFOLDER';
export const ENCODING_PARAM = 'XENCODING';
export const QUOTA_COMMAND = 'XQUOTA';

export class LmtpReply {
  constructor(readonly code: number, readonly enhanced: string, readonly text: string) {}
  get line(): string {
    return `${this.enhanced} ${this.text}`;
  }
  /** The form smtp-server's callbacks take. */
  error(): Error & { responseCode: number } {
    return Object.assign(new Error(this.line), { responseCode: this.code });
  }
}

export const LmtpReplies = {
  tlsRequired: () => new LmtpReply(530, '5.7.0', 'Must issue a STARTTLS command first'),
  notTrusted: () => new LmtpReply(535, '5.7.1', 'Not authorized: present the certificate of a server of this organization'),
  lhloFirst: () => new LmtpReply(503, '5.5.1', 'Send LHLO first'),
  mailFirst: () => new LmtpReply(503, '5.5.1', 'Send MAIL FROM first'),
  badFolder: () => new LmtpReply(501, '5.5.4', `${FOLDER_PARAM} must be INBOX or JUNK`),
  badEncoding: () => new LmtpReply(501, '5.5.4', `${ENCODING_PARAM} must be BASE64`),
  tooBig: (limit: number) => new LmtpReply(552, '5.3.4', `Message size exceeds fixed maximum message size (${limit} bytes)`),
  unknown: () => new LmtpReply(550, '5.1.1', 'RESOLVER.ADR.RecipNotFound; not found'),
  notHere: (database: string) =>
    new LmtpReply(451, '4.4.0', `The mailbox database ${database} is not mounted on this server; try again later`),
  full: () => new LmtpReply(452, '4.2.2', 'The recipient\'s mailbox is full (ProhibitSendReceiveQuota); try again later'),
  fullAtAppend: (detail: string) => new LmtpReply(452, '4.2.2', `The recipient's mailbox has no room for this message: ${detail}`),
  storeFailed: (detail: string) => new LmtpReply(451, '4.3.0', `The message could not be stored: ${detail}`),
  damaged: (expected: number, got: number) =>
    new LmtpReply(451, '4.3.0', `The message arrived with ${got} bytes instead of the ${expected} announced in SIZE; send it again`),
  delivered: (address: string, uid: number) => new LmtpReply(250, '2.1.5', `<${address}> delivered UID=${uid}`),
  quota: (q: MailboxQuota) =>
    new LmtpReply(250, '2.1.5', `USAGE=${q.usage} PROHIBITSEND=${q.prohibitSend} PROHIBITSENDRECEIVE=${q.prohibitSendReceive}`),
  quotaSyntax: () => new LmtpReply(501, '5.5.4', `Syntax: ${QUOTA_COMMAND} <address>`),
} as const;

// ── Message framing ──────────────────────────────────────────────────────────

/** Whether DATA carries these bytes unchanged: CRLF line ends only, and a CRLF at the end. */
export function dataSafe(message: Buffer): boolean {
  return message.length >= 2 && message[message.length - 2] === 0x0d && message[message.length - 1] === 0x0a && !hasBareLineBreak(message);
}

/** Base64 in lines of 76 characters, each ending in CRLF. */
export function encodeBase64Lines(message: Buffer): Buffer {
  const b64 = message.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return Buffer.from(lines.map((l) => `${l}\r\n`).join(''), 'ascii');
}

/** Decodes what encodeBase64Lines made; undefined when it is not base64. */
export function decodeBase64Lines(data: Buffer): Buffer | undefined {
  const text = data.toString('ascii').replace(/\r\n/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64');
}

/** The envelope sender recorded in a Return-Path field at the top of the message, if any. */
export function returnPathOf(message: Buffer): string {
  const head = message.subarray(0, 1024).toString('latin1');
  const m = /^Return-Path:\s*<([^<>\r\n]*)>\r\n/i.exec(head);
  return m ? m[1]! : '';
}

// ── XQUOTA ───────────────────────────────────────────────────────────────────

function parseLimit(text: string | undefined): QuotaLimit | undefined {
  if (text === undefined) return undefined;
  if (text.toLowerCase() === 'unlimited') return 'unlimited';
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** Reads an XQUOTA 250 reply line ("250 2.1.5 USAGE=… PROHIBITSEND=… PROHIBITSENDRECEIVE=…"). */
export function parseQuotaReply(line: string): MailboxQuota | undefined {
  const values = new Map<string, string>();
  for (const m of line.matchAll(/\b([A-Z]+)=(\S+)/gi)) values.set(m[1]!.toUpperCase(), m[2]!);
  const usage = values.get('USAGE');
  const prohibitSend = parseLimit(values.get('PROHIBITSEND'));
  const prohibitSendReceive = parseLimit(values.get('PROHIBITSENDRECEIVE'));
  if (usage === undefined || !/^\d+$/.test(usage) || prohibitSend === undefined || prohibitSendReceive === undefined) return undefined;
  return { usage: Number(usage), prohibitSend, prohibitSendReceive };
}

/** The UID a delivered-reply names ("250 2.1.5 <a@b> delivered UID=12"); 0 when it names none. */
export function uidOf(line: string): number {
  const m = /\bUID=(\d+)/.exec(line);
  return m ? Number(m[1]) : 0;
}

// ── Direct trust ─────────────────────────────────────────────────────────────

// Shared with the IMAP4 and POP3 proxy ports: see directory/server-trust.ts.
export { serverOfCertificate, thumbprintOf } from '../directory/server-trust.ts';
