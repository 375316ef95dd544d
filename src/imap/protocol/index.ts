// The pure IMAP protocol layer: no sockets, no store, no clock. Bytes of one command in, a
// typed command out; response pieces out of plain values.

export { ParseError } from './errors.ts';
export type { ErrorStatus, ParseErrorOptions } from './errors.ts';

export { frameCommand, literalAnnouncement, splitCommand, LITERAL_MINUS_MAX } from './framer.ts';
export type { Frame, LiteralAnnouncement, Segment } from './framer.ts';

export { tokenize } from './tokenizer.ts';
export type { PartialRange, SectionName, Token, TokenizeOptions } from './tokenizer.ts';

export {
  parseCommand, readTag, isIdleDone, readAuthenticateResponse, COMMAND_NAMES, UID_COMMANDS,
} from './parser.ts';
export type { Command, CommandArgs, CommandName, ParseOptions } from './parser.ts';
export type { AppendArgs, AppendMessage } from './parser/append.ts';
export { FETCH_ATTRIBUTES } from './parser/fetch.ts';
export type { BodySection, FetchArgs, FetchAttribute, FetchItem, FetchMacro, SectionText } from './parser/fetch.ts';
export type { ListArgs, ListReturn, ListSelection, LsubArgs } from './parser/list.ts';
export { STATUS_ITEMS } from './parser/mailbox.ts';
export type {
  CreateArgs, MailboxArgs, QresyncParams, QuotaRootArgs, RenameArgs, SelectArgs, SetQuotaArgs, StatusArgs, StatusItem,
} from './parser/mailbox.ts';
export type { CopyArgs, ExpungeArgs, StoreArgs, StoreOperation } from './parser/message.ts';
export type { SearchArgs, SearchReturnOption } from './parser/search.ts';
export { commandLineLimit, ID_COMMAND_MAX } from './parser/session.ts';
export type { AuthenticateArgs, CompressArgs, EnableArgs, IdArgs, LoginArgs, NoArgs } from './parser/session.ts';
export { SORT_KEYS, THREAD_ALGORITHMS } from './parser/sort-thread.ts';
export type { SortArgs, SortCriterion, SortKey, ThreadAlgorithm, ThreadArgs } from './parser/sort-thread.ts';

export { resolveSearchKey } from './search-key.ts';
export type { DateOp, SearchKey, SearchResolver, UidSearchKey } from './search-key.ts';
export { searchDecoder, SEARCH_CHARSETS, BADCHARSET_CODE } from './search-charset.ts';
export type { SearchDecoder } from './search-charset.ts';

export {
  STAR, MAX_NUMBER, parseSequenceSet, formatSequenceSet, resolveSequenceSet, normalizeRanges, usesStar,
  highestNumber, rangesCount, rangesContain, iterateRanges, rangesFromNumbers, formatRanges, compressNumbers,
  setFromRanges,
} from './sequence-set.ts';
export type { NumberRanges, SavedSet, SeqRange, SequenceSet } from './sequence-set.ts';

export {
  encodeMailboxUtf7, decodeMailboxUtf7, isValidMailboxUtf7, mailboxNameFromWire, mailboxNameToWire,
} from './utf7.ts';

export { parseSearchDate } from './date-time.ts';
export {
  quoted, literal, imapString, astring, nstring, mailboxName, isAtom, join, list, flagList, untagged,
  untaggedStatus, tagged, continuation, fetchItemLabel, esearch, orderedSet, vanished, codes, formatDateTime, parseDateTime,
  numberListLine, ByteLines, CRLF, MAX_QUOTED_LENGTH,
} from './writer.ts';
export type { EsearchResult, ImapDateTime, Status, StringOptions, UntaggedStatus, Wire } from './writer.ts';
