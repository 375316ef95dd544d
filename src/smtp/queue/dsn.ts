// Delivery status notifications (RFC 3464 in the multipart/report of RFC 6522): what the sender
// gets when mail cannot be delivered, worded like Exchange's "Undeliverable:" reports.
import { randomBytes } from 'node:crypto';
import { fieldValue, findField } from '../../mime/index.ts';
import { readHeader } from '../message-checks.ts';
import { rfc5322Date } from '../trace-headers.ts';

export interface DsnFailure {
  address: string;
  /** The reply that ended the attempts, or why there was none. */
  diagnostic: string;
  remoteMta?: string;
  orcpt?: string | null;
  /** Overrides the status taken from the diagnostic (4.4.7 when the message expired). */
  status?: string;
}

export interface DsnInput {
  reportingMta: string;
  postmaster: string;
  /** The envelope sender of the failed message: the report's recipient. */
  recipient: string;
  failures: DsnFailure[];
  original: Buffer;
  /** RFC 3461 RET: HDRS returns only the header; FULL (or nothing) the whole message. */
  ret: string | null;
  envid: string | null;
  arrivalDate: Date;
  now?: Date;
}

/** RFC 3463 status from a reply: its enhanced code, else the class of its basic code. */
export function statusOf(diagnostic: string): string {
  const enhanced = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(diagnostic);
  if (enhanced) return `${enhanced[1]}.${enhanced[2]}.${enhanced[3]}`;
  const basic = /^([45])\d\d\b/.exec(diagnostic);
  return basic ? `${basic[1]}.0.0` : '4.0.0';
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

export function buildDsn(input: DsnInput): Buffer {
  const boundary = `=_mailroom_${randomBytes(12).toString('hex')}`;
  const header = readHeader(input.original);
  const subjectField = findField(header.fields, 'subject');
  const subject = subjectField ? fieldValue(input.original, subjectField) : '';
  const originalId = (() => {
    const f = findField(header.fields, 'message-id');
    return f ? fieldValue(input.original, f) : '';
  })();
  const now = input.now ?? new Date();
  const reportingDomain = input.reportingMta;
  const human = [
    'Delivery has failed to these recipients or groups:',
    '',
    ...input.failures.flatMap((f) => [f.address, `    ${oneLine(f.diagnostic)}`, '']),
    `The message could not be delivered. ${input.failures.some((f) => statusOf(f.status ?? f.diagnostic).startsWith('4.4.7')) ? 'The destination did not accept it within the time the message could stay queued.' : 'The receiving side refused it, or it could not be reached.'}`,
    '',
    `Diagnostic information for administrators:`,
    `Generating server: ${input.reportingMta}`,
    '',
  ].join('\r\n');
  const perMessage = [
    `Reporting-MTA: dns; ${reportingDomain}`,
    ...(input.envid ? [`Original-Envelope-Id: ${oneLine(input.envid)}`] : []),
    `Arrival-Date: ${rfc5322Date(input.arrivalDate)}`,
  ];
  const perRecipient = input.failures.map((f) => [
    ...(f.orcpt ? [`Original-Recipient: ${oneLine(f.orcpt)}`] : []),
    `Final-Recipient: rfc822; ${f.address}`,
    'Action: failed',
    `Status: ${f.status ?? statusOf(f.diagnostic)}`,
    ...(f.remoteMta ? [`Remote-MTA: dns; ${oneLine(f.remoteMta)}`] : []),
    `Diagnostic-Code: smtp; ${oneLine(f.diagnostic)}`,
  ].join('\r\n'));
  const headersOnly = (input.ret ?? '').toUpperCase() === 'HDRS';
  const returned = headersOnly ? input.original.subarray(0, header.size) : input.original;
  const head = [
    `From: Mail Delivery System <${input.postmaster}>`,
    `To: <${input.recipient}>`,
    `Subject: Undeliverable: ${oneLine(subject)}`,
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <${randomBytes(12).toString('hex')}@${input.reportingMta}>`,
    ...(originalId ? [`In-Reply-To: ${oneLine(originalId)}`, `References: ${oneLine(originalId)}`] : []),
    // RFC 3834 §5: automatic replies must not trigger further automatic replies.
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    `Content-Type: multipart/report; report-type=delivery-status; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    human,
    `--${boundary}`,
    'Content-Type: message/delivery-status',
    '',
    [perMessage.join('\r\n'), ...perRecipient].join('\r\n\r\n'),
    '',
    `--${boundary}`,
    `Content-Type: ${headersOnly ? 'text/rfc822-headers' : 'message/rfc822'}`,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'utf8'), returned, Buffer.from(`${returned.subarray(-2).toString() === '\r\n' ? '' : '\r\n'}--${boundary}--\r\n`)]);
}
