// Logon names as POP3/IMAP4/SMTP clients type them for Exchange, split into their parts. Pure
// syntax: whether the names exist, and whether the user has Full Access to the target mailbox,
// is for the caller to decide against the directory.
//
// Accepted forms (Exchange 2013 behaviour, see research notes §7 and §6.3):
//   user@contoso.com              UPN or any e-mail address of the mailbox
//   CONTOSO\user                  down-level (NetBIOS domain \ sAMAccountName)
//   user                          bare name, resolved against the default domain by the caller
//   CONTOSO\user\sales            open the mailbox "sales" with user's own password, which needs
//   user@contoso.com\sales        Full Access; Office 365 documents the UPN form, and the alias
//   user@contoso.com\sales@contoso.com   may itself be an address
//
// A forward-slash form (CONTOSO/user/sales) shows up in forum posts, but only the backslash form
// is confirmed for Exchange. "/" is legal in an e-mail local part, so it is not treated as a
// separator: "a/b@contoso.com" is an address.

/** RFC 5321 §4.5.3.1: 64 octets of local part + "@" + 255 of domain. Enforced in characters. */
export const MAX_LOGON_NAME_LENGTH = 320;

export type LogonName =
  | { kind: 'upn'; address: string; localPart: string; domain: string; targetAlias?: string }
  | { kind: 'down-level'; domain: string; user: string; targetAlias?: string }
  | { kind: 'bare'; user: string; targetAlias?: undefined };

export type LogonNameErrorCode =
  | 'empty'
  | 'too-long'
  | 'control-character'
  | 'too-many-backslashes'
  | 'empty-part'
  | 'missing-local-part'
  | 'missing-domain'
  | 'invalid-address'
  | 'invalid-domain'
  | 'invalid-user'
  | 'invalid-alias';

export class LogonNameError extends Error {
  override readonly name = 'LogonNameError';

  constructor(
    readonly code: LogonNameErrorCode,
    message: string,
  ) {
    super(message);
  }
}

// C0/C1 controls, line and paragraph separators, bidi embedding/override/isolate marks and the
// BOM. The bidi marks are here because they make a name display as something else in logs
// and admin tools ("moc.osotnoc@resu" rendered as "user@contoso.com").
const FORBIDDEN = /[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/u;
const WHITESPACE = /\s/u;
// Characters Windows refuses in NetBIOS domain names; "@" is refused so "a@b\c" cannot be
// misread as a domain.
const BAD_DOMAIN_CHARS = /[\s@\\/:*?"<>|]/u;

function fail(code: LogonNameErrorCode, message: string): never {
  throw new LogonNameError(code, message);
}

/** A DNS domain in an address: dot-separated, no empty labels, no whitespace. IDNs allowed. */
function checkAddressDomain(domain: string): void {
  if (domain.length === 0) fail('missing-domain', 'the address has no domain after "@"');
  if (BAD_DOMAIN_CHARS.test(domain) || domain.split('.').some((label) => label.length === 0)) {
    fail('invalid-domain', `"${domain}" is not a valid domain`);
  }
}

function parseAddress(text: string): { address: string; localPart: string; domain: string } {
  const at = text.indexOf('@');
  if (text.indexOf('@', at + 1) >= 0) fail('invalid-address', 'more than one "@" in the address');
  if (WHITESPACE.test(text)) fail('invalid-address', 'whitespace in the address');
  const localPart = text.slice(0, at);
  const domain = text.slice(at + 1);
  if (localPart.length === 0) fail('missing-local-part', 'the address has nothing before "@"');
  checkAddressDomain(domain);
  return { address: text, localPart, domain };
}

function checkAlias(alias: string): string {
  if (alias.includes('@')) return parseAddress(alias).address;
  // Exchange aliases cannot contain spaces.
  if (WHITESPACE.test(alias)) fail('invalid-alias', 'the mailbox alias contains whitespace');
  return alias;
}

function checkDownLevelDomain(domain: string): void {
  if (BAD_DOMAIN_CHARS.test(domain)) fail('invalid-domain', `"${domain}" is not a valid domain name`);
}

function checkUser(user: string): void {
  // sAMAccountName may contain spaces ("John Smith") but never "@"; "CONTOSO\john@contoso.com"
  // mixes two forms and would be ambiguous.
  if (user.includes('@')) fail('invalid-user', 'a down-level name cannot contain "@"');
}

function countCodePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * Parses a logon name; throws LogonNameError for anything malformed. Whitespace around the
 * name and around each "\"-separated part is trimmed (phones pad fields), and the result is in
 * Unicode NFC so that "José" typed on different keyboards compares equal downstream. Case is
 * preserved; the directory compares case-insensitively.
 */
export function parseLogonName(text: string): LogonName {
  if (typeof text !== 'string') fail('empty', 'no logon name');
  const trimmed = text.trim();
  if (trimmed.length === 0) fail('empty', 'the logon name is empty');
  // Cheap guard before normalising: no valid name is four times the limit in UTF-16 units.
  if (trimmed.length > 4 * MAX_LOGON_NAME_LENGTH) fail('too-long', `logon names are at most ${MAX_LOGON_NAME_LENGTH} characters`);
  if (FORBIDDEN.test(trimmed)) fail('control-character', 'the logon name contains control characters');
  const name = trimmed.normalize('NFC');
  if (countCodePoints(name) > MAX_LOGON_NAME_LENGTH) fail('too-long', `logon names are at most ${MAX_LOGON_NAME_LENGTH} characters`);

  const parts = name.split('\\').map((p) => p.trim());
  if (parts.length > 3) fail('too-many-backslashes', 'at most two "\\" are allowed (DOMAIN\\user\\alias)');
  if (parts.some((p) => p.length === 0)) fail('empty-part', 'empty part between "\\" separators');
  const [first, second, third] = parts as [string, string | undefined, string | undefined];

  if (first.includes('@')) {
    // user@domain or user@domain\alias
    if (third !== undefined) fail('too-many-backslashes', 'an address can be followed by one "\\alias" only');
    const upn = parseAddress(first);
    return second === undefined ? { kind: 'upn', ...upn } : { kind: 'upn', ...upn, targetAlias: checkAlias(second) };
  }
  if (second === undefined) return { kind: 'bare', user: first };

  // DOMAIN\user or DOMAIN\user\alias
  checkDownLevelDomain(first);
  checkUser(second);
  const downLevel = { kind: 'down-level' as const, domain: first, user: second };
  return third === undefined ? downLevel : { ...downLevel, targetAlias: checkAlias(third) };
}

export type LogonNameResult = { ok: true; name: LogonName } | { ok: false; error: LogonNameError };

/** parseLogonName() without exceptions, for callers that branch on the outcome. */
export function tryParseLogonName(text: string): LogonNameResult {
  try {
    return { ok: true, name: parseLogonName(text) };
  } catch (err) {
    if (err instanceof LogonNameError) return { ok: false, error: err };
    return { ok: false, error: new LogonNameError('invalid-user', String(err)) };
  }
}

/** The name in its canonical text form, e.g. for logs and the per-user throttle key. */
export function formatLogonName(name: LogonName, options: { includeAlias?: boolean } = {}): string {
  const base = name.kind === 'upn' ? name.address : name.kind === 'down-level' ? `${name.domain}\\${name.user}` : name.user;
  const alias = options.includeAlias !== false ? name.targetAlias : undefined;
  return alias === undefined ? base : `${base}\\${alias}`;
}
