// Meeting requests for POP3/IMAP4 users (CalendarItemRetrievalOption, research notes §4.2).
// iCalendar, the default, delivers text/calendar parts unchanged. IntranetUrl, InternetUrl and
// Custom replace each meeting-request part with a short text/plain part that names the meeting
// and links to its web view, unless the recipient's Pop/ImapForceICalForCalendarRetrievalOption
// asks for iCalendar.
//
// Exchange converts at retrieval time, per protocol; Mailroom stores one copy of a message that
// either protocol may read, so it decides at delivery: the part stays iCalendar when any protocol
// the mailbox may use wants iCalendar (its server setting, or the user's Force* flag where
// Pop/ImapUseProtocolDefaults is $false), and is replaced only when every enabled protocol asks
// for a link. The link comes from ImapSettings when IMAP4 is enabled, else PopSettings; its base
// is the OWA virtual directory's InternalUrl (IntranetUrl) or ExternalUrl (InternetUrl), as in
// Exchange, or OwaServerUrl (Custom).
import type { SettingsDocument } from '../config/model.ts';
import type { Mailbox } from '../directory/directory.ts';
import { decodeCharset, decodeTransferEncoding, paramValue, scanMessage, type MessagePart } from '../mime/index.ts';
import { parseConnectionSetting } from '../config/endpoints.ts';

export interface CalendarSettings {
  popSettings: SettingsDocument;
  imapSettings: SettingsDocument;
  /** This server's FQDN: the host of IntranetUrl links when the OWA virtual directory has no InternalUrl. */
  serverFqdn: string;
  /** InternalUrl (IntranetUrl links) and ExternalUrl (InternetUrl links) of Set-OwaVirtualDirectory. */
  owaVirtualDirectory?: SettingsDocument;
}

type Protocol = 'Pop' | 'Imap';

function wantsICalendar(protocol: Protocol, settings: SettingsDocument, mailbox: Mailbox): boolean {
  if (settings.CalendarItemRetrievalOption === 'iCalendar') return true;
  return mailbox.settings[`${protocol}UseProtocolDefaults`] === false && mailbox.settings[`${protocol}ForceICalForCalendarRetrievalOption`] === true;
}

/** `url` without its trailing slashes, by index (`\/+$` was quadratic on a run of inner slashes). */
function withoutTrailingSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url[end - 1] === '/') end--;
  return url.slice(0, end);
}

/** The web base URL a link mode names, or undefined when the part stays iCalendar. */
export function calendarLinkBase(settings: CalendarSettings, mailbox: Mailbox): string | undefined {
  const enabled = (['Imap', 'Pop'] as const).filter((p) => mailbox.settings[`${p}Enabled`] !== false);
  if (enabled.length === 0) return undefined;
  const docs = { Imap: settings.imapSettings, Pop: settings.popSettings };
  if (enabled.some((p) => wantsICalendar(p, docs[p], mailbox))) return undefined;
  const doc = docs[enabled[0]!];
  switch (doc.CalendarItemRetrievalOption) {
    case 'Custom':
      return typeof doc.OwaServerUrl === 'string' ? withoutTrailingSlashes(doc.OwaServerUrl) : undefined;
    case 'InternetUrl': {
      // Exchange links to the OWA virtual directory's ExternalUrl. Without one, the name users
      // reach from outside: the published host of the protocol, as the web pages show it.
      const external = settings.owaVirtualDirectory?.ExternalUrl;
      if (typeof external === 'string' && external !== '') return withoutTrailingSlashes(external);
      const published = ((doc.ExternalConnectionSettings as string[] | undefined) ?? []).map((s) => parseConnectionSetting(s)).find((s) => s !== undefined);
      return `https://${published?.host ?? settings.serverFqdn}`;
    }
    case 'IntranetUrl': {
      const internal = settings.owaVirtualDirectory?.InternalUrl;
      if (typeof internal === 'string' && internal !== '') return withoutTrailingSlashes(internal);
      return `https://${settings.serverFqdn}`;
    }
    default:
      return undefined;
  }
}

/** The meeting web view: <base>/owa/calendar/meeting?uid=… (the web service serves this path). */
export function meetingUrl(base: string, uid: string): string {
  const root = /\/owa$/i.test(base) ? base : `${base}/owa`;
  return `${root}/calendar/meeting?uid=${encodeURIComponent(uid)}`;
}

/** Properties of the first VEVENT (RFC 5545 §3.1 unfolding; parameters dropped). */
export function icalProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  const lines = text.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  let inEvent = false;
  for (const line of lines) {
    const upper = line.toUpperCase();
    if (upper === 'BEGIN:VEVENT') inEvent = true;
    else if (upper === 'END:VEVENT') break;
    const m = /^([A-Za-z-]+)(?:;[^:]*)?:(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.toUpperCase();
    if (name === 'METHOD' || (inEvent && !props.has(name))) props.set(name, m[2]!.replace(/\\n/gi, ' ').replace(/\\([,;\\])/g, '$1'));
  }
  return props;
}

function replacementText(props: Map<string, string>, url: string): string {
  const lines = [
    props.get('METHOD')?.toUpperCase() === 'CANCEL' ? 'This meeting was cancelled.' : 'You have a meeting request.',
    '',
    ...(props.get('SUMMARY') ? [`Subject: ${props.get('SUMMARY')}`] : []),
    ...(props.get('DTSTART') ? [`When: ${props.get('DTSTART')}`] : []),
    ...(props.get('LOCATION') ? [`Where: ${props.get('LOCATION')}`] : []),
    ...(props.get('ORGANIZER') ? [`Organizer: ${props.get('ORGANIZER')!.replace(/^mailto:/i, '')}`] : []),
    '',
    'Open it in your calendar on the web to see the details and respond:',
    url,
  ];
  return lines.join('\r\n');
}

/** Meeting-request parts: text/calendar that is not an attached .ics file, outside attached messages. */
function calendarParts(root: MessagePart): MessagePart[] {
  const out: MessagePart[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const part = todo.shift()!;
    if (part.kind === 'multipart') todo.push(...part.children);
    else if (part.kind === 'leaf' && part.contentType.type === 'text' && part.contentType.subtype === 'calendar' && part.disposition?.type !== 'attachment') out.push(part);
  }
  return out;
}

const NEW_HEADERS = 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n';

/** The message for one recipient: unchanged, or with its meeting-request parts replaced by links. */
export function rewriteCalendarParts(
  message: Buffer, mailbox: Mailbox, settings: CalendarSettings,
  /** Hears each replaced meeting request, so the web view can show it later. */
  onReplaced?: (uid: string, ical: string) => void,
): Buffer {
  // Cheap test first: most mail has no calendar part at all.
  if (!/text\/calendar/i.test(message.toString('latin1'))) return message;
  const base = calendarLinkBase(settings, mailbox);
  if (base === undefined) return message;
  const root = scanMessage(message);
  const parts = calendarParts(root);
  if (parts.length === 0) return message;
  const pieces: Buffer[] = [];
  let pos = 0;
  for (const part of parts) {
    const ical = decodeCharset(decodeTransferEncoding(message.subarray(part.bodyStart, part.bodyEnd), part.encoding), paramValue(part.contentType.params, 'charset') ?? 'utf-8');
    const props = icalProperties(ical);
    if (props.get('UID')) onReplaced?.(props.get('UID')!, ical);
    const text = Buffer.from(replacementText(props, meetingUrl(base, props.get('UID') ?? '')), 'utf8');
    if (part === root) {
      // A message that is only the calendar: its own Content-Type and transfer encoding change.
      const kept = part.fields.filter((f) => !/^content-(type|transfer-encoding)$/i.test(f.name)).map((f) => message.subarray(f.start, f.end));
      pieces.push(...kept, Buffer.from(`${NEW_HEADERS}\r\n`), text, Buffer.from('\r\n'));
      pos = message.length;
      break;
    }
    pieces.push(message.subarray(pos, part.headerStart), Buffer.from(`${NEW_HEADERS}\r\n`), text);
    pos = part.bodyEnd;
  }
  pieces.push(message.subarray(pos));
  return Buffer.concat(pieces);
}
