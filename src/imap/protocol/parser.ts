// The IMAP command parser: one complete command → `{ tag, uid, command, args }`, with `args`
// typed by command. Covers every command of RFC 3501 and RFC 9051 and the extensions the
// server speaks; each command family has its file under parser/.
//
// parseCommand() throws ParseError and nothing else. The error carries the tag when one could
// be read, so the session answers `<tag> BAD <message>` (or `* BAD` without one).

import { ParseError } from './errors.ts';
import type { Segment } from './framer.ts';
import { tokenize, type Token, type TokenizeOptions } from './tokenizer.ts';
import { parseAppend, type AppendArgs } from './parser/append.ts';
import { parseFetch, type FetchArgs } from './parser/fetch.ts';
import { parseList, parseLsub, type ListArgs, type LsubArgs } from './parser/list.ts';
import {
  parseCreate, parseMailboxOnly, parseQuotaRoot, parseRename, parseSelect, parseSetQuota, parseStatus,
  type CreateArgs, type MailboxArgs, type QuotaRootArgs, type RenameArgs, type SelectArgs, type SetQuotaArgs, type StatusArgs,
} from './parser/mailbox.ts';
import { parseCopy, parseExpunge, parseStore, type CopyArgs, type ExpungeArgs, type StoreArgs } from './parser/message.ts';
import { ArgReader, atomText } from './parser/reader.ts';
import { parseSearch, type SearchArgs } from './parser/search.ts';
import {
  parseAuthenticate, parseCompress, parseEnable, parseId, parseLogin, parseNoArgs,
  type AuthenticateArgs, type CompressArgs, type EnableArgs, type IdArgs, type LoginArgs, type NoArgs,
} from './parser/session.ts';
import { parseSort, parseThread, type SortArgs, type ThreadArgs } from './parser/sort-thread.ts';

/** The arguments of each command, by command name. */
export interface CommandArgs {
  // Any state (RFC 3501 §6.1)
  CAPABILITY: NoArgs;
  NOOP: NoArgs;
  LOGOUT: NoArgs;
  ID: IdArgs;
  // Not authenticated (§6.2)
  STARTTLS: NoArgs;
  AUTHENTICATE: AuthenticateArgs;
  LOGIN: LoginArgs;
  // Authenticated (§6.3)
  ENABLE: EnableArgs;
  SELECT: SelectArgs;
  EXAMINE: SelectArgs;
  CREATE: CreateArgs;
  DELETE: MailboxArgs;
  RENAME: RenameArgs;
  SUBSCRIBE: MailboxArgs;
  UNSUBSCRIBE: MailboxArgs;
  LIST: ListArgs;
  LSUB: LsubArgs;
  XLIST: LsubArgs;
  NAMESPACE: NoArgs;
  STATUS: StatusArgs;
  APPEND: AppendArgs;
  IDLE: NoArgs;
  GETQUOTA: QuotaRootArgs;
  GETQUOTAROOT: MailboxArgs;
  SETQUOTA: SetQuotaArgs;
  COMPRESS: CompressArgs;
  // Selected (§6.4)
  CHECK: NoArgs;
  CLOSE: NoArgs;
  UNSELECT: NoArgs;
  EXPUNGE: ExpungeArgs;
  SEARCH: SearchArgs;
  SORT: SortArgs;
  THREAD: ThreadArgs;
  FETCH: FetchArgs;
  STORE: StoreArgs;
  COPY: CopyArgs;
  MOVE: CopyArgs;
}

export type CommandName = keyof CommandArgs;

/** A parsed command; narrowing on `command` types `args`. */
export type Command = {
  [K in CommandName]: { tag: string; uid: boolean; command: K; args: CommandArgs[K] };
}[CommandName];

export type ParseOptions = TokenizeOptions;

type ArgParser<K extends CommandName> = (r: ArgReader, uid: boolean) => CommandArgs[K];

const PARSERS: { [K in CommandName]: ArgParser<K> } = {
  CAPABILITY: parseNoArgs,
  NOOP: parseNoArgs,
  LOGOUT: parseNoArgs,
  ID: parseId,
  STARTTLS: parseNoArgs,
  AUTHENTICATE: parseAuthenticate,
  LOGIN: parseLogin,
  ENABLE: parseEnable,
  SELECT: parseSelect,
  EXAMINE: parseSelect,
  CREATE: parseCreate,
  DELETE: parseMailboxOnly,
  RENAME: parseRename,
  SUBSCRIBE: parseMailboxOnly,
  UNSUBSCRIBE: parseMailboxOnly,
  LIST: parseList,
  LSUB: parseLsub,
  XLIST: parseLsub,
  NAMESPACE: parseNoArgs,
  STATUS: parseStatus,
  APPEND: parseAppend,
  IDLE: parseNoArgs,
  GETQUOTA: parseQuotaRoot,
  GETQUOTAROOT: parseMailboxOnly,
  SETQUOTA: parseSetQuota,
  COMPRESS: parseCompress,
  CHECK: parseNoArgs,
  CLOSE: parseNoArgs,
  UNSELECT: parseNoArgs,
  EXPUNGE: parseExpunge,
  SEARCH: parseSearch,
  SORT: parseSort,
  THREAD: parseThread,
  FETCH: parseFetch,
  STORE: parseStore,
  COPY: parseCopy,
  MOVE: parseCopy,
};

export const COMMAND_NAMES = Object.keys(PARSERS) as CommandName[];

/** Commands that take the UID prefix (RFC 3501 §6.4.8, RFC 4315, RFC 5256, RFC 6851). */
export const UID_COMMANDS: ReadonlySet<CommandName> = new Set<CommandName>([
  'FETCH', 'STORE', 'COPY', 'MOVE', 'SEARCH', 'SORT', 'THREAD', 'EXPUNGE',
]);

// RFC 3501 §9: tag = 1*<any ASTRING-CHAR except "+">.
const TAG = /^[\x21\x23\x24\x26\x27\x2c-\x5b\x5d-\x7a\x7c-\x7e]+$/;
const SP = 0x20;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(PARSERS, name);
}

/** The tag at the start of a command's bytes, or null when there is no valid one. */
export function readTag(input: Buffer | readonly Segment[]): string | null {
  const first = Buffer.isBuffer(input) ? input : input[0]?.text;
  if (first === undefined) return null;
  let end = 0;
  while (end < first.length && end < 256 && first[end] !== SP && first[end] !== 0x0d && first[end] !== 0x0a) end++;
  const tag = first.toString('latin1', 0, end);
  return TAG.test(tag) ? tag : null;
}

function commandFromTokens(tokens: readonly Token[]): Command {
  const tagText = atomText(tokens[0]);
  if (tagText === null || !TAG.test(tagText)) throw new ParseError(tokens.length === 0 ? 'Empty command' : 'Invalid tag');
  const tag = tagText;
  const r = new ArgReader(tokens.slice(1));
  try {
    let name = r.word('command name');
    const uid = name === 'UID';
    if (uid) name = r.word('UID command');
    if (!isCommandName(name) || (uid && !UID_COMMANDS.has(name))) {
      throw new ParseError(uid ? `Unknown UID command ${name}` : `Unknown command ${name}`);
    }
    const parse = PARSERS[name] as ArgParser<CommandName>;
    return { tag, uid, command: name, args: parse(r, uid) } as Command;
  } catch (error) {
    throw error instanceof ParseError ? error.withTag(tag) : error;
  }
}

/**
 * Parses one complete command: its segments as the session collected them (each line with the
 * literal it announced), or the whole command as one buffer with `{n}\r\n` markers.
 */
export function parseCommand(input: Buffer | readonly Segment[], options: ParseOptions = {}): Command {
  const first = Buffer.isBuffer(input) ? input[0] : input[0]?.text[0];
  // Spaces between arguments are forgiven, but a command starts with its tag (RFC 3501 §2.2.1).
  if (first === SP) throw new ParseError('Invalid tag');
  try {
    return commandFromTokens(tokenize(input, options));
  } catch (error) {
    const tag = error instanceof ParseError && error.tag !== null ? error.tag : readTag(input);
    if (error instanceof ParseError) throw error.withTag(tag);
    // A defect here must cost the client one BAD, not the session.
    throw new ParseError('Command could not be parsed', { tag });
  }
}

/** IDLE ends with a line "DONE" (RFC 2177 §3; any case, trailing spaces tolerated). */
export function isIdleDone(line: Buffer | string): boolean {
  const text = typeof line === 'string' ? line : line.toString('latin1');
  return text.trimEnd().toUpperCase() === 'DONE';
}

/**
 * A client line during AUTHENTICATE (RFC 3501 §6.2.2): "*" cancels the exchange, anything else
 * must be base64 (possibly empty). Throws ParseError for anything else.
 */
export function readAuthenticateResponse(line: Buffer | string): { cancelled: true } | { cancelled: false; base64: string } {
  const text = (typeof line === 'string' ? line : line.toString('latin1')).trimEnd();
  if (text === '*') return { cancelled: true };
  if (!BASE64.test(text)) throw new ParseError('Invalid base64 in authentication response');
  return { cancelled: false, base64: text };
}
