// Trace and origin fields Mailroom adds to a message: Received (RFC 5321 §4.4), Return-Path at
// final delivery, and Message-ID/Date for submissions that lack them (RFC 6409 §8.3, §8.4).
import { randomBytes, randomUUID } from 'node:crypto';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 §3.3 date-time in the server's local time zone: `Thu, 26 Nov 2026 20:01:00 +0100`. */
export function rfc5322Date(d: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${DAYS[d.getDay()]}, ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

export interface ReceivedInfo {
  /** What the client said in EHLO/HELO. */
  helo: string;
  clientAddress: string;
  /** The receiving server's name (the connector's Fqdn). */
  by: string;
  /** RFC 3848 protocol: ESMTP, ESMTPS, ESMTPA, ESMTPSA, UTF8SMTPSA, … */
  protocol: string;
  /** TLS version and cipher, when the connection was encrypted. */
  tls?: { version: string; cipher: string };
  /** The authenticated user's address, for submissions. */
  authenticatedAs?: string;
  id: string;
  /** Given only for a single recipient: naming all of them would disclose Bcc recipients. */
  recipient?: string;
  date?: Date;
}

/** An RFC 3848 "with" keyword from what the session did. */
export function withProtocol(opts: { ehlo: boolean; tls: boolean; authenticated: boolean; utf8: boolean }): string {
  if (!opts.ehlo) return 'SMTP';
  return `${opts.utf8 ? 'UTF8SMTP' : 'ESMTP'}${opts.tls ? 'S' : ''}${opts.authenticated ? 'A' : ''}`;
}

const clean = (s: string) => s.replace(/[\x00-\x1f\x7f()\\]/g, '');

export function receivedHeader(info: ReceivedInfo): string {
  const address = info.clientAddress.includes(':') ? `IPv6:${info.clientAddress}` : info.clientAddress;
  const lines = [`Received: from ${clean(info.helo) || 'unknown'} ([${address}])`, ` by ${info.by} (Mailroom) with ${info.protocol}`];
  if (info.tls) lines.push(` (version=${clean(info.tls.version)} cipher=${clean(info.tls.cipher)})`);
  if (info.authenticatedAs) lines.push(` (authenticated as ${clean(info.authenticatedAs)})`);
  lines.push(` id ${info.id}${info.recipient ? ` for <${clean(info.recipient)}>` : ''};`, ` ${rfc5322Date(info.date)}`);
  return `${lines.join('\r\n')}\r\n`;
}

export function returnPathHeader(sender: string): string {
  return `Return-Path: <${clean(sender)}>\r\n`;
}

/** A queue/message id: 12 hex digits, unique enough per server and safe in any header. */
export function newMessageId(): string {
  // randomUUID draws from a cached pool of random bytes; randomBytes asks OpenSSL every time.
  return randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase();
}

/** A new RFC 5322 msg-id, angle brackets included. */
export function newMsgId(fqdn: string): string {
  return `<${randomBytes(12).toString('hex')}@${fqdn}>`;
}

export function dateHeader(d: Date = new Date()): string {
  return `Date: ${rfc5322Date(d)}\r\n`;
}
