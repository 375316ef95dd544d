// The meeting web view that CalendarItemRetrievalOption links point to: what the meeting is,
// who organizes it, when (with its time zone), where, who is invited, and the .ics to add it to
// a calendar.
import { html } from '../html.ts';
import type { Viewer } from '../request.ts';
import { renderPage } from './layout.ts';
import { MY_ACCOUNT_PATH, optionsNav } from './options-nav.ts';

export const MEETING_PATH = '/owa/calendar/meeting';

export interface MeetingView {
  summary: string;
  organizer: string;
  start: string;
  end: string;
  location: string;
  attendees: string[];
  cancelled: boolean;
}

function unescape(value: string): string {
  return value.replace(/\\n/gi, '\n').replace(/\\([,;\\])/g, '$1');
}

/** 20261203T100000 with TZID=Asia/Taipei → "2026-12-03 10:00 (Asia/Taipei)"; a Z time is UTC. */
function when(value: string | undefined, tzid: string | undefined): string {
  if (!value) return '';
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})\d{2}(Z?))?$/.exec(value);
  if (!m) return value;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  if (!m[4]) return date;
  const zone = m[6] === 'Z' ? 'UTC' : tzid ?? '';
  return `${date} ${m[4]}:${m[5]}${zone ? ` (${zone})` : ''}`;
}

/** The first VEVENT of an iCalendar text (RFC 5545 §3.1 unfolding, parameters kept). */
export function readMeeting(ics: string): MeetingView {
  const lines = ics.replace(/\r?\n[ \t]/g, '').split(/\r?\n/);
  const props = new Map<string, { params: Map<string, string>; value: string }[]>();
  let method = '';
  let inEvent = false;
  for (const line of lines) {
    const upper = line.toUpperCase();
    if (upper === 'BEGIN:VEVENT') inEvent = true;
    else if (upper === 'END:VEVENT') break;
    const m = /^([A-Za-z-]+)((?:;[^:]*)?):(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.toUpperCase();
    if (name === 'METHOD') method = m[3]!.toUpperCase();
    if (!inEvent) continue;
    const params = new Map<string, string>();
    for (const p of m[2]!.split(';').slice(1)) {
      const [k, ...v] = p.split('=');
      params.set(k!.toUpperCase(), v.join('=').replace(/^"|"$/g, ''));
    }
    props.set(name, [...(props.get(name) ?? []), { params, value: m[3]! }]);
  }
  const first = (name: string) => props.get(name)?.[0];
  const person = (p: { params: Map<string, string>; value: string } | undefined) => {
    if (!p) return '';
    const address = p.value.replace(/^mailto:/i, '');
    const cn = p.params.get('CN');
    return cn ? `${cn} <${address}>` : address;
  };
  return {
    summary: unescape(first('SUMMARY')?.value ?? ''),
    organizer: person(first('ORGANIZER')),
    start: when(first('DTSTART')?.value, first('DTSTART')?.params.get('TZID')),
    end: when(first('DTEND')?.value, first('DTEND')?.params.get('TZID')),
    location: unescape(first('LOCATION')?.value ?? ''),
    attendees: (props.get('ATTENDEE') ?? []).map(person),
    cancelled: method === 'CANCEL' || first('STATUS')?.value.toUpperCase() === 'CANCELLED',
  };
}

export function meetingPage(viewer: Viewer, uid: string, meeting: MeetingView): string {
  const { t } = viewer;
  const row = (key: string, value: string) => (value ? html`<dt>${t.t(key)}</dt><dd>${value}</dd>` : '');
  const body = html`<h1>${meeting.summary || t.t('meeting.untitled')}</h1>
  ${meeting.cancelled ? html`<p class="status off">${t.t('meeting.cancelled')}</p>` : ''}
  <section class="card"><dl class="settings">
    ${row('meeting.organizer', meeting.organizer)}
    ${row('meeting.start', meeting.start)}
    ${row('meeting.end', meeting.end)}
    ${row('meeting.location', meeting.location)}
    ${meeting.attendees.length ? html`<dt>${t.t('meeting.attendees')}</dt><dd><ul>${meeting.attendees.map((a) => html`<li>${a}</li>`)}</ul></dd>` : ''}
  </dl>
  <p><a class="button" href="${MEETING_PATH}?uid=${encodeURIComponent(uid)}&amp;download=1">${t.t('meeting.download')}</a></p></section>`;
  return renderPage({
    t, title: meeting.summary || t.t('meeting.untitled'), area: 'options', viewer, nav: optionsNav(t, MY_ACCOUNT_PATH), body,
    csrf: viewer.session.csrf, path: MEETING_PATH,
  });
}
