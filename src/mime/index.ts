// MIME engine: pure functions over raw message bytes for the IMAP server and the store.
export { scanMessage, walkParts, mimeType, charsetHint, MAX_DEPTH, MAX_PARTS } from './scan.ts';
export type { MessagePart, PartKind, ContentType, ContentDisposition } from './scan.ts';
export {
  FieldCollector,
  parseHeaderFields,
  isBlankLine,
  unfold,
  trimBlanks,
  fieldValue,
  findField,
  headerValue,
  decodeEncodedWords,
  decodeHeaderText,
  parseStructured,
  paramValue,
  decodeParamText,
  parseLanguageList,
  parseToken,
  parseAddressList,
  isGroup,
  addressSpec,
  formatAddressesDecoded,
  decodedMailboxes,
} from './headers.ts';
export type { HeaderField, HeaderParam, StructuredValue, MailAddress, AddressGroup, AddressItem } from './headers.ts';
export {
  decodeCharset,
  decodeHeaderBytes,
  decodeHeaderBinary,
  normalizeCharset,
  charsetKnown,
  isAscii,
  isValidUtf8,
} from './charset.ts';
export { bodyStructure, bodyBasic, formatParams, encodeRfc2231 } from './bodystructure.ts';
export type { StructureOptions } from './bodystructure.ts';
export { envelope, readEnvelope, formatEnvelope, encodeWordsUtf8, MISSING_MAILBOX, MISSING_DOMAIN } from './envelope.ts';
export type { Envelope } from './envelope.ts';
export { isWholeMessage, parseSection, sectionRange, sectionBytes, sectionPart, partialWindow, partNumbers } from './sections.ts';
export type { SectionSpec, SectionResult, SectionText } from './sections.ts';
export { storeBinaryParts } from './binary-parts.ts';
export type { BinaryStorage } from './binary-parts.ts';
export {
  extractSearchText,
  partText,
  htmlToText,
  decodeEntities,
  decodeBase64,
  decodeQuotedPrintable,
  decodeTransferEncoding,
  MAX_SEARCH_TEXT,
} from './text.ts';
export type { SearchText } from './text.ts';
export { imapString, imapList, MAX_QUOTED_LENGTH } from './imap-format.ts';
export { parseMessageDate, dayNumber } from './date.ts';
export type { MessageDate } from './date.ts';
export { extractBaseSubject, baseSubject } from './base-subject.ts';
export type { BaseSubject } from './base-subject.ts';
export { casemapKey, compareKeys } from './collation.ts';
export { headerFacts, firstAddress, messageIds, subjectKey, sortKeys, messageSortKeys, HEADER_BYTES, MAX_REFERENCES } from './sort-keys.ts';
export type { AddressFacts, MessageFacts, SortKeys } from './sort-keys.ts';
