// Delivery status notifications (RFC 3464 in the multipart/report of RFC 6522), worded like
// Exchange's reports: "Undeliverable:" when mail could not be delivered, "Delivery delayed:" while
// it is still queued, "Delivered:" when it reached a mailbox here and "Relayed:" when it left for
// a server that does not send DSNs itself (the last three only when the sender asked, RFC 3461).
import { randomBytes } from 'node:crypto';
import { fieldValue, findField } from '../../mime/index.ts';
import { readHeader } from '../message-checks.ts';
import { rfc5322Date } from '../trace-headers.ts';

/** RFC 3464 §2.3.3 actions (expanded is not used). */
export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed';

export interface DsnRecipient {
  address: string;
  /** Default: failed. */
  action?: DsnAction;
  /** The reply that ended (or, for delayed, last stopped) the attempts, or why there was none. */
  diagnostic?: string;
  remoteMta?: string;
  /** The RCPT's ORCPT parameter (addr-type;address), for Original-Recipient. */
  orcpt?: string | null;
  /** Overrides the status taken from the diagnostic (4.4.7 when the message expired). */
  status?: string;
  /** For delayed: when the queue gives up (RFC 3464 §2.3.9). */
  willRetryUntil?: Date;
}

/** A recipient the message could not be delivered to. */
export interface DsnFailure extends DsnRecipient {
  diagnostic: string;
}

export interface DsnInput {
  reportingMta: string;
  postmaster: string;
  /** The envelope sender of the original message: the report's recipient. */
  recipient: string;
  recipients: DsnRecipient[];
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
  const basic = /^([245])\d\d\b/.exec(diagnostic);
  return basic ? `${basic[1]}.0.0` : '4.0.0';
}

/** Status of a recipient that is still queued: always class 4; 4.4.1 when no host answered. */
export function delayStatusOf(lastError: string | null): string {
  if (lastError === null) return '4.4.7';
  if (/^connection:/.test(lastError)) return '4.4.1';
  return `4${statusOf(lastError).slice(1)}`;
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

const actionOf = (r: DsnRecipient): DsnAction => r.action ?? 'failed';

function statusFor(r: DsnRecipient): string {
  if (r.status) return r.status;
  switch (actionOf(r)) {
    case 'delivered':
    case 'relayed':
      return '2.0.0';
    case 'delayed':
      return delayStatusOf(r.diagnostic ?? null);
    case 'failed':
      return statusOf(r.diagnostic ?? '550 5.0.0');
  }
}

/** The report's kind: a failure outweighs a delay, which outweighs a success. */
function kindOf(recipients: DsnRecipient[]): DsnAction {
  for (const action of ['failed', 'delayed', 'delivered'] as const) {
    if (recipients.some((r) => actionOf(r) === action)) return action;
  }
  return 'relayed';
}

const SUBJECT_PREFIX: Record<DsnAction, string> = {
  failed: 'Undeliverable',
  delayed: 'Delivery delayed',
  delivered: 'Delivered',
  relayed: 'Relayed',
};

function humanPart(input: DsnInput, kind: DsnAction, subject: string): string {
  const listed = (action: DsnAction, withDiagnostic: boolean) => input.recipients
    .filter((r) => actionOf(r) === action)
    .flatMap((r) => [r.address, ...(withDiagnostic && r.diagnostic ? [`    ${oneLine(r.diagnostic)}`] : []), '']);
  const lines: string[] = [];
  if (kind === 'failed') {
    const expired = input.recipients.some((r) => actionOf(r) === 'failed' && statusFor(r).startsWith('4.4.7'));
    lines.push('Delivery has failed to these recipients or groups:', '', ...listed('failed', true),
      `The message could not be delivered. ${expired ? 'The destination did not accept it within the time the message could stay queued.' : 'The receiving side refused it, or it could not be reached.'}`, '');
  }
  if (kind === 'delayed' || input.recipients.some((r) => actionOf(r) === 'delayed')) {
    const until = input.recipients.find((r) => actionOf(r) === 'delayed' && r.willRetryUntil)?.willRetryUntil;
    lines.push('Delivery is delayed to these recipients or groups:', '', ...listed('delayed', true),
      `Subject: ${oneLine(subject)}`, '',
      'This message hasn\'t been delivered yet. Delivery will continue to be attempted.', '',
      ...(until ? [`The server will keep trying to deliver this message until ${rfc5322Date(until)}. You'll be notified if the message can't be delivered by that time.`, ''] : []));
  }
  if (input.recipients.some((r) => actionOf(r) === 'delivered')) {
    lines.push('Your message has been delivered to the following recipients:', '', ...listed('delivered', false), `Subject: ${oneLine(subject)}`, '');
  }
  if (input.recipients.some((r) => actionOf(r) === 'relayed')) {
    lines.push('Delivery to these recipients or groups is complete, but no delivery notification was sent by the destination server:', '',
      ...listed('relayed', false), `Subject: ${oneLine(subject)}`, '');
  }
  lines.push('Diagnostic information for administrators:', `Generating server: ${input.reportingMta}`, '');
  return lines.join('\r\n');
}

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
  const kind = kindOf(input.recipients);
  const perMessage = [
    `Reporting-MTA: dns; ${input.reportingMta}`,
    ...(input.envid ? [`Original-Envelope-Id: ${oneLine(input.envid)}`] : []),
    `Arrival-Date: ${rfc5322Date(input.arrivalDate)}`,
  ];
  // RFC 3464 §2.3: the per-recipient fields in the order the RFC lists them.
  const perRecipient = input.recipients.map((r) => [
    ...(r.orcpt ? [`Original-Recipient: ${oneLine(r.orcpt)}`] : []),
    `Final-Recipient: rfc822; ${r.address}`,
    `Action: ${actionOf(r)}`,
    `Status: ${statusFor(r)}`,
    ...(r.remoteMta ? [`Remote-MTA: dns; ${oneLine(r.remoteMta)}`] : []),
    ...(r.diagnostic ? [`Diagnostic-Code: smtp; ${oneLine(r.diagnostic)}`] : []),
    ...(actionOf(r) === 'delayed' && r.willRetryUntil ? [`Will-Retry-Until: ${rfc5322Date(r.willRetryUntil)}`] : []),
  ].join('\r\n'));
  // RFC 3461 §4.3: RET decides only for reports of failures; any other report returns the header.
  const headersOnly = kind !== 'failed' || (input.ret ?? '').toUpperCase() === 'HDRS';
  const returned = headersOnly ? input.original.subarray(0, header.size) : input.original;
  const head = [
    `From: Mail Delivery System <${input.postmaster}>`,
    `To: <${input.recipient}>`,
    `Subject: ${SUBJECT_PREFIX[kind]}: ${oneLine(subject)}`,
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
    humanPart(input, kind, subject),
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
