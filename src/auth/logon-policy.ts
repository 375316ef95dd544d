// Which ways of authenticating a connection may use, from Set-PopSettings/Set-ImapSettings
// -LoginType and whether the connection is already TLS. Pure rules; the protocol layers turn
// the results into CAPABILITY/CAPA/EHLO lines and replies.

import { canonicalMechanismName, isPlainTextMechanism, SASL_MECHANISMS, type SaslMechanismName } from './sasl/index.ts';
import { parseLogonName, type LogonName } from './login-name.ts';

/**
 * Exchange's LoginOptions enum (research notes §2.1). SecureLogin is Exchange's default.
 *   PlainTextLogin           clear-text credentials allowed without TLS
 *   PlainTextAuthentication  clear-text credentials only over TLS; mechanisms that never reveal
 *                            the password still work in the clear (Exchange: NTLM/GSSAPI; here
 *                            SCRAM-SHA-256)
 *   SecureLogin              no authentication at all until STARTTLS/STLS (or implicit TLS)
 */
export type LoginType = 'PlainTextLogin' | 'PlainTextAuthentication' | 'SecureLogin';
export const LOGIN_TYPES: readonly LoginType[] = ['PlainTextLogin', 'PlainTextAuthentication', 'SecureLogin'];
export const DEFAULT_LOGIN_TYPE: LoginType = 'SecureLogin';

/**
 * How the client wants to authenticate: IMAP LOGIN, POP3 USER/PASS, or a SASL mechanism name
 * (IMAP AUTHENTICATE, POP3 AUTH, SMTP AUTH).
 */
export type AuthMethod = 'LOGIN-COMMAND' | 'USER-PASS' | SaslMechanismName | (string & {});

export type AuthDecision =
  | { allowed: true }
  | {
      allowed: false;
      /**
       * 'tls-required': allowed once the connection is TLS; IMAP answers [PRIVACYREQUIRED]
       * (RFC 5530), SMTP 538 5.7.11 (RFC 4954 §6). 'unsupported': no such mechanism.
       */
      code: 'tls-required' | 'unsupported';
      /** Reply text, e.g. "NO [PRIVACYREQUIRED] <reason>" or "-ERR <reason>". */
      reason: string;
    };

const ALLOWED: AuthDecision = Object.freeze({ allowed: true });

const REASON_SECURE_LOGIN = 'Authentication is allowed only after TLS has been negotiated.';
const REASON_PLAINTEXT = 'Plain-text credentials are allowed only over TLS; use STARTTLS first or a mechanism that does not send the password.';

/** Whether the password itself may cross this connection (IMAP LOGIN, POP3 PASS, PLAIN, LOGIN). */
export function plainTextCredentialsAllowed(loginType: LoginType, connectionIsTls: boolean): boolean {
  return loginType === 'PlainTextLogin' || connectionIsTls;
}

function sendsPassword(method: AuthMethod): boolean {
  return method === 'LOGIN-COMMAND' || method === 'USER-PASS' || isPlainTextMechanism(method);
}

function knownMethod(method: AuthMethod): boolean {
  return method === 'LOGIN-COMMAND' || method === 'USER-PASS' || canonicalMechanismName(method) !== null;
}

/** The rule for one attempt; SASL names are matched case-insensitively. */
export function authenticationAllowed(loginType: LoginType, connectionIsTls: boolean, method: AuthMethod): AuthDecision {
  if (!knownMethod(method)) {
    return { allowed: false, code: 'unsupported', reason: 'Unrecognized authentication mechanism.' };
  }
  if (connectionIsTls || loginType === 'PlainTextLogin') return ALLOWED;
  if (loginType === 'SecureLogin') return { allowed: false, code: 'tls-required', reason: REASON_SECURE_LOGIN };
  // PlainTextAuthentication without TLS: only what never reveals the password.
  return sendsPassword(method) ? { allowed: false, code: 'tls-required', reason: REASON_PLAINTEXT } : ALLOWED;
}

/**
 * SASL names to list in IMAP CAPABILITY (AUTH=...), POP3 CAPA (SASL ...) and SMTP EHLO (AUTH ...),
 * in the order of `offered`. Only what would be accepted right now is listed, so a client never
 * picks a mechanism and sends a password that the server then refuses to take in the clear.
 */
export function advertisedMechanisms(
  loginType: LoginType,
  connectionIsTls: boolean,
  offered: readonly string[] = SASL_MECHANISMS,
): string[] {
  return offered.filter((name) => authenticationAllowed(loginType, connectionIsTls, name).allowed);
}

/** RFC 3501 §6.2.3: advertise LOGINDISABLED when the LOGIN command would be refused. */
export function imapLoginDisabled(loginType: LoginType, connectionIsTls: boolean): boolean {
  return !plainTextCredentialsAllowed(loginType, connectionIsTls);
}

// Exchange refuses the built-in Anonymous and Guest accounts over POP3/IMAP4 (research notes
// §1.4). "ANONYMOUS LOGON" is how Windows names the anonymous principal (NT AUTHORITY\...).
const BLOCKED_ACCOUNTS = new Set(['anonymous', 'anonymous logon', 'guest']);

function accountPart(name: LogonName): string {
  return name.kind === 'upn' ? name.localPart : name.user;
}

function roughAccountPart(text: string): string {
  const local = text.split('@')[0] ?? '';
  return (local.split('\\').pop() ?? '').trim().toLowerCase();
}

/**
 * True when a logon name (or its \alias target) names a built-in account that may never log on:
 * Anonymous or Guest, as a bare name, DOMAIN\Guest or guest@anything, case-insensitively. The
 * Administrator mailbox is refused by a directory flag, not by name, because renaming the
 * account is standard hardening.
 */
export function isBlockedAccountName(name: string | LogonName): boolean {
  let parsed: LogonName | null;
  if (typeof name === 'string') {
    try {
      parsed = parseLogonName(name);
    } catch {
      parsed = null;
    }
    // Unparsable names never log on anyway, but answer sensibly for logs: the account part is
    // what precedes "@" and follows the last "\" ("NT AUTHORITY\ANONYMOUS LOGON", "guest@").
    if (parsed === null) return BLOCKED_ACCOUNTS.has(roughAccountPart(name));
  } else {
    parsed = name;
  }
  const candidates = [accountPart(parsed)];
  if (parsed.targetAlias !== undefined) {
    const alias = parsed.targetAlias;
    candidates.push(alias.includes('@') ? alias.slice(0, alias.indexOf('@')) : alias);
  }
  return candidates.some((c) => BLOCKED_ACCOUNTS.has(c.toLowerCase()));
}
