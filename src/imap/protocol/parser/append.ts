// APPEND (RFC 3501 §6.3.11), with several messages in one command (MULTIAPPEND, RFC 3502),
// literal8 message data (BINARY, RFC 3516 §4.4) and RFC 6855's `UTF8 (~{n}…)` form.

import { parseDateTime, type ImapDateTime } from '../date-time.ts';
import { ParseError } from '../errors.ts';
import type { ArgReader } from './reader.ts';

export interface AppendMessage {
  flags: string[];
  /** The date-time argument; null when the server should use the time of the append. */
  date: ImapDateTime | null;
  data: Buffer;
  /** Sent as literal8 (`~{n}`): may hold NUL and binary content (RFC 3516). */
  binary: boolean;
  /** Sent as `UTF8 (~{n})`: the message has UTF-8 headers (RFC 6855 §4). */
  utf8: boolean;
}

export interface AppendArgs {
  mailbox: string;
  messages: AppendMessage[];
}

/** append-data: literal / literal8 / "UTF8" SP "(" literal8 ")". */
function parseAppendData(r: ArgReader): Pick<AppendMessage, 'data' | 'binary' | 'utf8'> {
  if (r.accept('UTF8')) {
    const inner = r.list('UTF8 message data');
    const token = inner.next('message literal');
    inner.end();
    if (token.kind !== 'string' || !token.binary) throw new ParseError('UTF8 message data must be a literal8');
    return { data: token.value, binary: true, utf8: true };
  }
  const token = r.next('message literal');
  if (token.kind !== 'string' || token.form !== 'literal') throw new ParseError('Message data must be a literal');
  return { data: token.value, binary: token.binary, utf8: false };
}

/** One append-message: [flag-list] [date-time] append-data. */
function parseAppendMessage(r: ArgReader): AppendMessage {
  const flags = r.peek()?.kind === 'list' ? r.flagList() : [];
  let date: ImapDateTime | null = null;
  const next = r.peek();
  if (next?.kind === 'string' && next.form === 'quoted') {
    date = parseDateTime(r.string('date-time'));
    if (date === null) throw new ParseError('Invalid date-time');
  }
  return { flags, date, ...parseAppendData(r) };
}

/** APPEND mailbox append-message *(append-message). */
export function parseAppend(r: ArgReader): AppendArgs {
  const mailbox = r.astring('mailbox name');
  const messages: AppendMessage[] = [];
  do messages.push(parseAppendMessage(r));
  while (!r.done);
  return { mailbox, messages };
}
