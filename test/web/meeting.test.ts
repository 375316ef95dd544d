// The meeting web view that CalendarItemRetrievalOption link modes point to: the recipient sees
// the meeting with its time zone and can download the .ics; nobody else can.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { saveMeeting } from '../../src/smtp/meetings.ts';
import { readMeeting } from '../../src/web/pages/meeting.ts';
import { Browser } from './client.ts';
import { ALICE_PW, BOB_PW, startWebHarness, type WebHarness } from './harness.ts';
import { pageText } from './page.ts';

const ICS = [
  'BEGIN:VCALENDAR', 'METHOD:REQUEST', 'BEGIN:VEVENT', 'UID:q4-review@contoso.com',
  'SUMMARY:Q4 預算審查', 'ORGANIZER;CN=Boss:mailto:boss@contoso.com',
  'DTSTART;TZID=Asia/Taipei:20261203T100000', 'DTEND;TZID=Asia/Taipei:20261203T113000',
  'LOCATION:台北 101 會議室\\, 5F', 'ATTENDEE;CN=Alice Wong:mailto:alice@contoso.com',
  'ATTENDEE:mailto:xiaoming@contoso.com', 'END:VEVENT', 'END:VCALENDAR', '',
].join('\r\n');

let h: WebHarness;
before(async () => {
  h = await startWebHarness('mailroom-meeting-');
  const alice = await h.dir.requireMailbox('alice');
  await saveMeeting(h.dir, alice.id, 'q4-review@contoso.com', ICS);
});
after(async () => h.close());

test('iCalendar is read with parameters, escapes and time zones', () => {
  assert.deepEqual(readMeeting(ICS), {
    summary: 'Q4 預算審查', organizer: 'Boss <boss@contoso.com>', start: '2026-12-03 10:00 (Asia/Taipei)', end: '2026-12-03 11:30 (Asia/Taipei)',
    location: '台北 101 會議室, 5F', attendees: ['Alice Wong <alice@contoso.com>', 'xiaoming@contoso.com'], cancelled: false,
  });
  assert.equal(readMeeting('BEGIN:VEVENT\r\nDTSTART:20261203T020000Z\r\nEND:VEVENT').start, '2026-12-03 02:00 (UTC)');
  assert.equal(readMeeting('METHOD:CANCEL\r\nBEGIN:VEVENT\r\nEND:VEVENT').cancelled, true);
});

test('the recipient sees the meeting and can download the .ics', async () => {
  const alice = new Browser(h.https);
  await alice.signIn('alice@contoso.com', ALICE_PW);
  const page = await alice.request('/owa/calendar/meeting?uid=q4-review%40contoso.com');
  assert.equal(page.status, 200);
  const text = pageText(page.body);
  for (const part of ['Q4 預算審查', 'Boss <boss@contoso.com>', '2026-12-03 10:00 (Asia/Taipei)', '台北 101 會議室, 5F', 'Alice Wong <alice@contoso.com>']) {
    assert.ok(text.includes(part), `${part} in ${text}`);
  }
  const ics = await alice.request('/owa/calendar/meeting?uid=q4-review%40contoso.com&download=1');
  assert.equal(ics.status, 200);
  assert.match(String(ics.headers['content-type']), /^text\/calendar/);
  assert.equal(ics.body, ICS);
});

test('another mailbox, an unknown meeting and a signed-out visitor get nothing', async () => {
  const other = new Browser(h.https);
  await other.signIn('xiaoming@contoso.com', BOB_PW);
  assert.equal((await other.request('/owa/calendar/meeting?uid=q4-review%40contoso.com')).status, 404);
  assert.equal((await other.request('/owa/calendar/meeting?uid=nothing')).status, 404);
  const anonymous = new Browser(h.https);
  const r = await anonymous.request('/owa/calendar/meeting?uid=q4-review%40contoso.com');
  assert.equal(r.status, 303);
  assert.match(String(r.headers.location), /^\/signin\?return=/);
});
