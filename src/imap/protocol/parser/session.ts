// Commands about the connection rather than a mailbox: logon (RFC 3501 §6.2, RFC 4959
// SASL-IR), ENABLE (RFC 5161), ID (RFC 2971) and COMPRESS (RFC 4978).

import { ParseError } from '../errors.ts';
import type { ArgReader } from './reader.ts';

/** CAPABILITY, NOOP, LOGOUT, STARTTLS, IDLE, CHECK, CLOSE, UNSELECT, NAMESPACE. */
export type NoArgs = Record<string, never>;

export interface AuthenticateArgs {
  /** Upper-cased: PLAIN, LOGIN, SCRAM-SHA-256, XOAUTH2 … */
  mechanism: string;
  /** SASL-IR initial response as sent (base64); "=" stands for an empty one (RFC 4959 §3). */
  initialResponse: string | null;
}

export interface LoginArgs {
  username: string;
  password: string;
}

export interface EnableArgs {
  /** Upper-cased capability names, e.g. CONDSTORE, QRESYNC, UTF8=ACCEPT, IMAP4REV2. */
  capabilities: string[];
}

export interface IdArgs {
  /** Field/value pairs in the order sent; null for `ID NIL`. */
  params: [string, string | null][] | null;
}

export interface CompressArgs {
  mechanism: 'DEFLATE';
}

// RFC 2971 §3.3: fields at most 30 octets, values at most 1024, at most 30 pairs.
const ID_MAX_PAIRS = 30;
const ID_MAX_FIELD = 30;
const ID_MAX_VALUE = 1024;
const SASL_MECHANISM = /^[A-Z0-9_-]{1,20}$/;

/**
 * The longest ID command RFC 2971 §3.3 allows: 30 pairs of a 30-octet field and a 1024-octet
 * value, each quoted with every octet escaped, and room for the tag. About 62 KB, more than any
 * MaxCommandSize (at most 16 KB) allows, so an ID line and its literals get this bound instead.
 */
export const ID_COMMAND_MAX = 128 + ID_MAX_PAIRS * (2 * ID_MAX_FIELD + 2 + 1 + 2 * ID_MAX_VALUE + 2 + 1);
// tag SP "ID" SP: the tag's characters exclude SP, so this cannot backtrack.
const ID_COMMAND_START = /^[\x21\x23\x24\x26\x27\x2c-\x5b\x5d-\x7a\x7c-\x7e]+ ID /i;

/**
 * The limit of a command line that begins with `head` (its first bytes) when the command's own
 * grammar bounds it above MaxCommandSize: ID_COMMAND_MAX for ID, else 0 (MaxCommandSize holds).
 */
export function commandLineLimit(head: Buffer): number {
  return ID_COMMAND_START.test(head.toString('latin1', 0, Math.min(head.length, 64))) ? ID_COMMAND_MAX : 0;
}

export function parseNoArgs(r: ArgReader): NoArgs {
  r.end();
  return {};
}

/** AUTHENTICATE mechanism [initial-response] (RFC 3501 §6.2.2, RFC 4959 §3). */
export function parseAuthenticate(r: ArgReader): AuthenticateArgs {
  const mechanism = r.word('authentication mechanism');
  if (!SASL_MECHANISM.test(mechanism)) throw new ParseError('Invalid authentication mechanism');
  let initialResponse: string | null = null;
  if (!r.done) {
    initialResponse = r.atom('initial response');
    if (!/^(?:[A-Za-z0-9+/]*={0,2})$/.test(initialResponse)) throw new ParseError('Invalid initial response');
  }
  r.end();
  return { mechanism, initialResponse };
}

/** LOGIN userid password (RFC 3501 §6.2.3). */
export function parseLogin(r: ArgReader): LoginArgs {
  const username = r.astring('user name');
  const password = r.astring('password');
  r.end();
  return { username, password };
}

/** ENABLE capability *(SP capability) (RFC 5161 §3.1). */
export function parseEnable(r: ArgReader): EnableArgs {
  const capabilities: string[] = [];
  do capabilities.push(r.word('capability'));
  while (!r.done);
  return { capabilities };
}

/**
 * ID ( "(" field value *(SP field value) ")" / NIL ) (RFC 2971 §4). Fields and values may be
 * atoms too (sloppy clients), values may be NIL, and `ID ()` is accepted although the grammar
 * wants at least one pair (Exchange rejects it and clients trip over that).
 */
export function parseId(r: ArgReader): IdArgs {
  if (r.peek()?.kind === 'nil') {
    r.next('ID parameters');
    r.end();
    return { params: null };
  }
  const list = r.list('ID parameters');
  r.end();
  const params: [string, string | null][] = [];
  while (!list.done) {
    const field = list.astring('ID field');
    const value = list.peek()?.kind === 'nil' ? null : list.astring('ID value');
    if (value === null) list.next('ID value');
    if (Buffer.byteLength(field) > ID_MAX_FIELD) throw new ParseError('ID field name too long');
    if (value !== null && Buffer.byteLength(value) > ID_MAX_VALUE) throw new ParseError('ID value too long');
    params.push([field, value]);
    if (params.length > ID_MAX_PAIRS) throw new ParseError('Too many ID parameters');
  }
  return { params };
}

/** COMPRESS DEFLATE (RFC 4978 §3): any other mechanism is a BAD. */
export function parseCompress(r: ArgReader): CompressArgs {
  const mechanism = r.word('compression mechanism');
  r.end();
  if (mechanism !== 'DEFLATE') throw new ParseError(`Unknown compression mechanism ${mechanism}`);
  return { mechanism };
}
