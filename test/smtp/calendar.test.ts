// Meeting requests for POP3/IMAP4 users: iCalendar passes through byte-exact by default; the link
// modes replace the meeting-request part with a link, unless a protocol the user may use wants
// iCalendar (server setting, or the user's Force* flag).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { defaultsOf } from '../../src/config/model.ts';
import { IMAP_SETTINGS, POP_SETTINGS } from '../../src/config/pop-imap.ts';
import type { Mailbox } from '../../src/directory/directory.ts';
import { calendarLinkBase, icalProperties, meetingUrl, rewriteCalendarParts, type CalendarSettings } from '../../src/smtp/calendar.ts';
import { findMeeting } from '../../src/smtp/meetings.ts';
import { eventually } from '../helpers.ts';
import { PASSWORDS, startSmtpServer, withoutPrependedHeaders, type SmtpTestServer } from './harness.ts';

const ctx = { serverName: 'MAIL01', fqdn: 'mail01.contoso.com' };
const ICS = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'METHOD:REQUEST', 'PRODID:-//Test//EN', 'BEGIN:VEVENT', 'UID:meeting-42@contoso.com',
  'SUMMARY:Quarterly review', 'DTSTART:20261201T090000Z', 'DTEND:20261201T100000Z', 'LOCATION:Room 1', 'ORGANIZER:mailto:alice@contoso.com',
  'END:VEVENT', 'END:VCALENDAR', '',
].join('\r\n');

const multipartRequest = (boundary = 'b1') => Buffer.from([
  'From: alice@contoso.com', 'To: bob@contoso.com', 'Subject: Invitation: Quarterly review', 'MIME-Version: 1.0',
  `Content-Type: multipart/alternative; boundary="${boundary}"`, '',
  `--${boundary}`, 'Content-Type: text/plain; charset=utf-8', '', 'Please come.',
  `--${boundary}`, 'Content-Type: text/calendar; charset=utf-8; method=REQUEST', 'Content-Transfer-Encoding: base64', '',
  Buffer.from(ICS).toString('base64'),
  `--${boundary}--`, '',
].join('\r\n'));

function settings(option: string, extra: Record<string, unknown> = {}): CalendarSettings {
  return {
    popSettings: { ...defaultsOf(POP_SETTINGS, ctx), CalendarItemRetrievalOption: option, ...extra },
    imapSettings: { ...defaultsOf(IMAP_SETTINGS, ctx), CalendarItemRetrievalOption: option, ...extra },
    serverFqdn: 'mail01.contoso.com',
  };
}
const user = (s: Record<string, unknown> = {}) => ({ settings: { PopEnabled: true, ImapEnabled: true, ...s } }) as unknown as Mailbox;

describe('choosing', () => {
  test('iCalendar keeps the part; link modes give their base URL', () => {
    assert.equal(calendarLinkBase(settings('iCalendar'), user()), undefined);
    assert.equal(calendarLinkBase(settings('IntranetUrl'), user()), 'https://mail01.contoso.com');
    assert.equal(calendarLinkBase(settings('InternetUrl', { ExternalConnectionSettings: ['mail.contoso.com:993:SSL'] }), user()), 'https://mail.contoso.com');
    assert.equal(calendarLinkBase(settings('Custom', { OwaServerUrl: 'https://OwaServer01/' }), user()), 'https://OwaServer01');
  });

  test('IntranetUrl and InternetUrl lead to the OWA virtual directory\'s InternalUrl and ExternalUrl when set', () => {
    const owa = { InternalUrl: 'https://mail01.corp.contoso.com/owa/', ExternalUrl: 'https://mail.contoso.com/owa' };
    assert.equal(calendarLinkBase({ ...settings('IntranetUrl'), owaVirtualDirectory: owa }, user()), 'https://mail01.corp.contoso.com/owa');
    assert.equal(calendarLinkBase({ ...settings('InternetUrl'), owaVirtualDirectory: owa }, user()), 'https://mail.contoso.com/owa');
    const noExternal = { ...settings('InternetUrl', { ExternalConnectionSettings: ['imap.contoso.com:993:SSL'] }), owaVirtualDirectory: { ...owa, ExternalUrl: null } };
    assert.equal(calendarLinkBase(noExternal, user()), 'https://imap.contoso.com', 'no ExternalUrl: the published host');
    assert.equal(meetingUrl(calendarLinkBase({ ...settings('IntranetUrl'), owaVirtualDirectory: owa }, user())!, 'u1'), 'https://mail01.corp.contoso.com/owa/calendar/meeting?uid=u1');
  });

  test('any enabled protocol that wants iCalendar keeps it; Force* counts only without protocol defaults', () => {
    const mixed = { ...settings('Custom', { OwaServerUrl: 'https://owa.contoso.com' }) };
    mixed.popSettings = { ...mixed.popSettings, CalendarItemRetrievalOption: 'iCalendar' };
    assert.equal(calendarLinkBase(mixed, user()), undefined, 'POP says iCalendar');
    assert.equal(calendarLinkBase(mixed, user({ PopEnabled: false })), 'https://owa.contoso.com', 'only IMAP is usable, and IMAP says Custom');
    const custom = settings('Custom', { OwaServerUrl: 'https://owa.contoso.com' });
    assert.equal(calendarLinkBase(custom, user({ ImapForceICalForCalendarRetrievalOption: true })), 'https://owa.contoso.com', 'ignored under protocol defaults');
    assert.equal(calendarLinkBase(custom, user({ ImapUseProtocolDefaults: false, ImapForceICalForCalendarRetrievalOption: true })), undefined);
    assert.equal(calendarLinkBase(custom, user({ PopEnabled: false, ImapEnabled: false })), undefined);
  });

  test('iCalendar properties and the meeting URL', () => {
    const props = icalProperties(ICS.replace('SUMMARY:Quarterly review', 'SUMMARY:Quarterly\r\n  review\\, Q4'));
    assert.equal(props.get('SUMMARY'), 'Quarterly review, Q4');
    assert.equal(props.get('UID'), 'meeting-42@contoso.com');
    assert.equal(props.get('METHOD'), 'REQUEST');
    assert.equal(meetingUrl('https://owa.contoso.com/owa', 'a b@c'), 'https://owa.contoso.com/owa/calendar/meeting?uid=a%20b%40c');
    assert.equal(meetingUrl('https://owa.contoso.com', 'x'), 'https://owa.contoso.com/owa/calendar/meeting?uid=x');
  });
});

describe('rewriting', () => {
  const custom = settings('Custom', { OwaServerUrl: 'https://owa.contoso.com' });

  test('the text/calendar part of a multipart message becomes a text/plain link; the rest is untouched', () => {
    const original = multipartRequest();
    const out = rewriteCalendarParts(original, user(), custom).toString();
    assert.ok(out.startsWith(original.toString().slice(0, original.indexOf('--b1\r\nContent-Type: text/calendar'))));
    assert.match(out, /--b1\r\nContent-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nYou have a meeting request\.\r\n\r\nSubject: Quarterly review\r\nWhen: 20261201T090000Z\r\nWhere: Room 1\r\nOrganizer: alice@contoso\.com\r\n\r\nOpen it in your calendar on the web to see the details and respond:\r\nhttps:\/\/owa\.contoso\.com\/owa\/calendar\/meeting\?uid=meeting-42%40contoso\.com\r\n--b1--\r\n$/);
    assert.doesNotMatch(out, /text\/calendar/);
  });

  test('a message that is only a calendar gets new content headers', () => {
    const raw = Buffer.from(`Subject: Invite\r\nContent-Type: text/calendar; method=REQUEST\r\nContent-Transfer-Encoding: 7bit\r\n\r\n${ICS}`);
    const out = rewriteCalendarParts(raw, user(), custom).toString();
    assert.match(out, /^Subject: Invite\r\nContent-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nYou have a meeting request\./);
  });

  test('attached .ics files and forwarded messages stay as they are', () => {
    const attached = Buffer.from([
      'Subject: x', 'Content-Type: multipart/mixed; boundary="m"', '', '--m', 'Content-Type: text/plain', '', 'see attached',
      '--m', 'Content-Type: text/calendar', 'Content-Disposition: attachment; filename="event.ics"', '', ICS, '--m--', '',
    ].join('\r\n'));
    assert.equal(rewriteCalendarParts(attached, user(), custom), attached);
    const forwarded = Buffer.from([
      'Subject: Fwd', 'Content-Type: multipart/mixed; boundary="f"', '', '--f', 'Content-Type: message/rfc822', '',
      'Subject: inner', 'Content-Type: text/calendar', '', ICS, '--f--', '',
    ].join('\r\n'));
    assert.equal(rewriteCalendarParts(forwarded, user(), custom), forwarded);
  });
});

describe('delivery', () => {
  let s: SmtpTestServer;
  before(async () => {
    s = await startSmtpServer();
  });
  after(async () => {
    await s.stop();
  });
  const send = (raw: Buffer) => nodemailer.createTransport({
    host: '127.0.0.1', port: s.ports.secure, secure: true, auth: { user: 'alice@contoso.com', pass: PASSWORDS.alice }, tls: { rejectUnauthorized: false },
  }).sendMail({ envelope: { from: 'alice@contoso.com', to: ['bob@contoso.com'] }, raw });

  test('by default (iCalendar) the meeting request is stored byte-exact', async () => {
    const raw = multipartRequest();
    await send(raw);
    assert.deepEqual(withoutPrependedHeaders((await s.messages('bob')).at(-1)!.raw, raw), raw);
  });

  test('with Custom on both protocols the recipient gets the link; the change applies without a restart', async () => {
    for (const name of ['PopSettings', 'ImapSettings'] as const) {
      await s.dir.updateSettings(name, { CalendarItemRetrievalOption: 'Custom', OwaServerUrl: 'https://owa.contoso.com' }, 'MAIL01');
    }
    await s.reload();
    await send(multipartRequest('b2'));
    const stored = (await s.messages('bob')).at(-1)!.raw.toString();
    assert.match(stored, /https:\/\/owa\.contoso\.com\/owa\/calendar\/meeting\?uid=meeting-42%40contoso\.com/);
    assert.doesNotMatch(stored, /text\/calendar/);
    // The original request is kept for the meeting web view, for bob's mailbox only.
    const bob = await s.dir.requireMailbox('bob');
    const alice = await s.dir.requireMailbox('alice');
    // Kept after the message is stored, without holding up the reply.
    await eventually(async () => (await findMeeting(s.dir, bob.id, 'meeting-42@contoso.com')) !== undefined, 5000);
    assert.match((await findMeeting(s.dir, bob.id, 'meeting-42@contoso.com'))!, /BEGIN:VEVENT/);
    assert.equal(await findMeeting(s.dir, alice.id, 'meeting-42@contoso.com'), undefined);
    // bob asks for iCalendar over IMAP: his copy keeps it.
    await s.dir.updateMailbox('bob', { settings: { ImapUseProtocolDefaults: false, ImapForceICalForCalendarRetrievalOption: true } });
    const raw = multipartRequest('b3');
    await send(raw);
    assert.deepEqual(withoutPrependedHeaders((await s.messages('bob')).at(-1)!.raw, raw), raw);
  });
});
