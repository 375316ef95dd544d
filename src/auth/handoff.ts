// The hand-off from a front end to a back end on another server (or in another process): what
// the front end tells the back end's proxy port (ImapSettings/PopSettings ProxyTargetPort, 1993
// and 1995) after a logon succeeded, as plain data and one line of text each way. No live object
// crosses it; the back end re-reads the user and the mailbox from the directory.
//
// The conversation, over TLS with both servers' certificates (see backend/proxy-listener.ts):
//
//   F: MAILROOM-HANDOFF/1 <base64 of the JSON of a Handoff>
//   B: ACCEPT                      the back end opened the mailbox (lock and counts taken)
//   B: REFUSE <reply line>         or not: the line the client gets (`a1 NO [UNAVAILABLE] …`,
//                                  `-ERR [IN-USE] …`); the back end then closes
//   F: START TLS|PLAIN [<base64>]  sent when the front end lets go of the client connection:
//                                  whether the client's connection is TLS, and the bytes it
//                                  pipelined after its logon command (a HandoffStart)
//   …  from here the back end's session answers the logon command, and both sides relay bytes
//
// Every line is bounded (HANDOFF_LINE_LIMIT, START_LINE_LIMIT) and checked field by field; a
// line that is not exactly right is refused as a whole, and an unknown version names itself.
// This module is pure: no I/O.

export const HANDOFF_VERSION = 1;
const PREFIX = `MAILROOM-HANDOFF/`;
const START = 'START ';
const ACCEPT = 'ACCEPT';
const REFUSE = 'REFUSE ';

/** The longest hand-off line, CRLF excluded. */
export const HANDOFF_LINE_LIMIT = 8 * 1024;
/** Pipelined bytes one START line may carry; more goes after it, ahead of the relayed bytes. */
export const PENDING_LIMIT = 192 * 1024;
/** The longest START line, CRLF excluded: PENDING_LIMIT in base64 and the words before it. */
export const START_LINE_LIMIT = Math.ceil(PENDING_LIMIT / 3) * 4 + 16;
/** The longest answer line (ACCEPT or REFUSE and the client's reply), CRLF excluded. */
export const ANSWER_LINE_LIMIT = 1024;

export type HandoffProtocol = 'imap' | 'pop';

export interface Handoff {
  protocol: HandoffProtocol;
  /** The protocol log's session id: front-end and back-end lines of a session share it. */
  sessionId: string;
  /** Who logged on: the directory id and the user principal name. */
  user: { id: string; upn: string };
  /** The mailbox to open: the user's own, or one it has FullAccess to (`user@domain\alias`). */
  mailbox: { id: string; address: string };
  /** The logon name as the logs show it (`alice@contoso.com\sales`); never a credential. */
  logonName: string;
  /** The client's address and port, as the front end saw them. */
  client: { address: string; port: number };
  /** The front end's server name. */
  frontEnd: string;
  /** IMAP4: the tag of the LOGIN or AUTHENTICATE command, which the back end answers. */
  tag?: string;
}

export interface HandoffStart {
  /** Whether the client's connection to the front end is TLS (implicit or STARTTLS). */
  tls: boolean;
  /** Bytes the client pipelined after its logon command (at most PENDING_LIMIT). */
  pending: Buffer;
}

export type HandoffAnswer = { accepted: true } | { accepted: false; response: string };

export class HandoffError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HandoffError';
  }
}

// ── Field checks ─────────────────────────────────────────────────────────────

const SESSION_ID = /^[0-9A-F]{16}$/;
/** Directory ids (UUIDs, and the fixed ids of built-in mailboxes). */
const ID = /^[A-Za-z0-9._-]{1,128}$/;
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** RFC 3501 tag: ASTRING-CHAR except "+", i.e. printable ASCII but ( ) { SP % * " \ +. */
const IMAP_TAG = /^[\x21\x23\x24\x26\x27\x2c-\x5b\x5d-\x7a\x7c-\x7e]{1,1024}$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^[0-9A-Fa-f:.]{2,45}$/;
/** No control characters (C0, DEL, C1), no line or paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isAddress(text: string): boolean {
  return IPV4.test(text) || (IPV6.test(text) && text.includes(':') && (text.match(/::/g) ?? []).length <= 1);
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max || CONTROL.test(value) || value.trim() !== value) {
    throw new HandoffError(`${field}: a non-empty text of at most ${max} characters without control characters`);
  }
  return value;
}

function matching(value: unknown, field: string, pattern: RegExp): string {
  if (typeof value !== 'string' || !pattern.test(value)) throw new HandoffError(`${field}: not in the expected form`);
  return value;
}

function object(value: unknown, field: string, keys: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HandoffError(`${field}: an object is expected`);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!keys.includes(key) && !optional.includes(key)) throw new HandoffError(`${field}: unknown field ${JSON.stringify(key.slice(0, 40))}`);
  }
  for (const key of keys) if (!(key in record)) throw new HandoffError(`${field}: ${key} is missing`);
  return record;
}

/** Checks a hand-off field by field; the value returned holds only what was checked. */
export function validateHandoff(value: unknown): Handoff {
  const r = object(value, 'hand-off', ['protocol', 'sessionId', 'user', 'mailbox', 'logonName', 'client', 'frontEnd'], ['tag']);
  if (r.protocol !== 'imap' && r.protocol !== 'pop') throw new HandoffError('protocol: imap or pop');
  const user = object(r.user, 'user', ['id', 'upn']);
  const mailbox = object(r.mailbox, 'mailbox', ['id', 'address']);
  const client = object(r.client, 'client', ['address', 'port']);
  if (typeof client.address !== 'string' || !isAddress(client.address)) throw new HandoffError('client.address: an IPv4 or IPv6 address');
  if (typeof client.port !== 'number' || !Number.isInteger(client.port) || client.port < 0 || client.port > 65535) throw new HandoffError('client.port: 0 to 65535');
  const handoff: Handoff = {
    protocol: r.protocol,
    sessionId: matching(r.sessionId, 'sessionId', SESSION_ID),
    user: { id: matching(user.id, 'user.id', ID), upn: text(user.upn, 'user.upn', 320) },
    mailbox: { id: matching(mailbox.id, 'mailbox.id', ID), address: text(mailbox.address, 'mailbox.address', 320) },
    logonName: text(r.logonName, 'logonName', 700),
    client: { address: client.address, port: client.port },
    frontEnd: matching(r.frontEnd, 'frontEnd', SERVER_NAME),
  };
  if (r.protocol === 'imap') {
    handoff.tag = matching(r.tag, 'tag', IMAP_TAG);
  } else if (r.tag !== undefined) {
    throw new HandoffError('tag: only IMAP4 logons have one');
  }
  return handoff;
}

// ── Lines ────────────────────────────────────────────────────────────────────

function base64Json(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
}

function parseBase64Json(payload: string, what: string): unknown {
  if (payload.length === 0 || !BASE64.test(payload)) throw new HandoffError(`${what}: not base64`);
  const bytes = Buffer.from(payload, 'base64');
  const json = bytes.toString('utf8');
  // Invalid UTF-8 comes back with U+FFFD; the round trip catches it.
  if (!Buffer.from(json, 'utf8').equals(bytes)) throw new HandoffError(`${what}: not UTF-8`);
  try {
    return JSON.parse(json);
  } catch {
    throw new HandoffError(`${what}: not JSON`);
  }
}

/** Strips one CRLF (or LF) and checks the length and the characters: printable ASCII only. */
function lineOf(line: Buffer | string, limit: number, what: string): string {
  const raw = typeof line === 'string' ? Buffer.from(line, 'latin1') : line;
  let end = raw.length;
  if (end > 0 && raw[end - 1] === 0x0a) end -= end > 1 && raw[end - 2] === 0x0d ? 2 : 1;
  if (end > limit) throw new HandoffError(`${what}: longer than ${limit} bytes`);
  const body = raw.subarray(0, end);
  for (const byte of body) if (byte < 0x20 || byte > 0x7e) throw new HandoffError(`${what}: a byte outside printable ASCII`);
  return body.toString('latin1');
}

/** The hand-off line, CRLF included. Throws HandoffError when the data would not pass the other side's checks. */
export function encodeHandoff(handoff: Handoff): string {
  const checked = validateHandoff(handoff);
  const line = `${PREFIX}${HANDOFF_VERSION} ${base64Json(checked)}`;
  if (line.length > HANDOFF_LINE_LIMIT) throw new HandoffError(`hand-off: longer than ${HANDOFF_LINE_LIMIT} bytes`);
  return `${line}\r\n`;
}

export function decodeHandoff(line: Buffer | string): Handoff {
  const text = lineOf(line, HANDOFF_LINE_LIMIT, 'hand-off');
  const m = /^MAILROOM-HANDOFF\/(\d{1,6}) (.*)$/s.exec(text);
  if (!m) throw new HandoffError('hand-off: the line does not start with MAILROOM-HANDOFF/<version>');
  if (Number(m[1]) !== HANDOFF_VERSION) throw new HandoffError(`hand-off: version ${m[1]} is not understood (this server speaks version ${HANDOFF_VERSION})`);
  return validateHandoff(parseBase64Json(m[2]!, 'hand-off'));
}

/** The START line, CRLF included; `pending` must be at most PENDING_LIMIT bytes. */
export function encodeStart(start: HandoffStart): string {
  if (start.pending.length > PENDING_LIMIT) throw new HandoffError(`START: more than ${PENDING_LIMIT} pipelined bytes`);
  const pending = start.pending.length > 0 ? ` ${start.pending.toString('base64')}` : '';
  return `${START}${start.tls ? 'TLS' : 'PLAIN'}${pending}\r\n`;
}

export function decodeStart(line: Buffer | string): HandoffStart {
  const text = lineOf(line, START_LINE_LIMIT, 'START');
  const m = /^START (TLS|PLAIN)(?: ([A-Za-z0-9+/=]+))?$/.exec(text);
  if (!m) throw new HandoffError('START: not START TLS|PLAIN [<base64>]');
  if (m[2] !== undefined && !BASE64.test(m[2])) throw new HandoffError('START pending: not base64');
  const pending = m[2] === undefined ? Buffer.alloc(0) : Buffer.from(m[2], 'base64');
  if (pending.length === 0 && m[2] !== undefined) throw new HandoffError('START pending: empty base64 is left out');
  if (pending.length > PENDING_LIMIT) throw new HandoffError(`START pending: more than ${PENDING_LIMIT} bytes`);
  return { tls: m[1] === 'TLS', pending };
}

/** The back end's answer line, CRLF included. A refusal's reply must be one printable line. */
export function encodeAnswer(answer: HandoffAnswer): string {
  if (answer.accepted) return `${ACCEPT}\r\n`;
  const line = `${REFUSE}${answer.response}`;
  lineOf(line, ANSWER_LINE_LIMIT, 'REFUSE');
  if (answer.response.length === 0) throw new HandoffError('REFUSE: the reply is empty');
  return `${line}\r\n`;
}

export function decodeAnswer(line: Buffer | string): HandoffAnswer {
  const text = lineOf(line, ANSWER_LINE_LIMIT, 'answer');
  if (text === ACCEPT) return { accepted: true };
  if (text.startsWith(REFUSE) && text.length > REFUSE.length) return { accepted: false, response: text.slice(REFUSE.length) };
  throw new HandoffError('answer: neither ACCEPT nor REFUSE <reply>');
}

/** A refusal's reply reduced to what an answer line may carry (printable ASCII, bounded). */
export function answerSafe(response: string): string {
  const clean = response.replace(/[^\x20-\x7e]/g, '?');
  return clean.slice(0, ANSWER_LINE_LIMIT - REFUSE.length);
}
