// The SASL mechanisms Mailroom offers, and the one entry point the protocol layers use.

import { LoginExchange } from './login.ts';
import { PlainExchange } from './plain.ts';
import { ScramSha256Exchange } from './scram-sha-256.ts';
import type { SaslExchange, SaslHooks } from './types.ts';

export * from './types.ts';
export { PLAIN_MAX_FIELD_OCTETS, parsePlainMessage, PlainExchange, type PlainMessage } from './plain.ts';
export { LOGIN_PASSWORD_CHALLENGE, LOGIN_USERNAME_CHALLENGE, LoginExchange, parseLoginField, type LoginField } from './login.ts';
export {
  decodeSaslname,
  encodeSaslname,
  fakeScramCredentials,
  parseClientFinalMessage,
  parseClientFirstMessage,
  ScramSha256Exchange,
  type ClientFinalMessage,
  type ClientFirstMessage,
} from './scram-sha-256.ts';

/**
 * Every mechanism implemented, in canonical spelling. Exchange 2013 offers PLAIN, NTLM and
 * GSSAPI; NTLM/GSSAPI need a Windows domain, and SCRAM-SHA-256 takes their place as the
 * mechanism that never reveals the password.
 */
export const SASL_MECHANISMS = ['PLAIN', 'LOGIN', 'SCRAM-SHA-256'] as const;
export type SaslMechanismName = (typeof SASL_MECHANISMS)[number];

/**
 * Canonical name for a client-supplied one, or null if we do not implement it. Matching is
 * case-insensitive: RFC 4422 §3.1 registers names in upper case, but IMAP's auth-type is an
 * atom compared case-insensitively, and clients do send "AUTHENTICATE plain".
 */
export function canonicalMechanismName(name: string): SaslMechanismName | null {
  if (typeof name !== 'string') return null;
  const upper = name.toUpperCase();
  return SASL_MECHANISMS.find((m) => m === upper) ?? null;
}

/**
 * True for mechanisms that put the password itself on the wire (PLAIN, LOGIN). Names we do not
 * know count as plain text too: anything not known to be safe waits for TLS.
 */
export function isPlainTextMechanism(name: string): boolean {
  return canonicalMechanismName(name) !== 'SCRAM-SHA-256';
}

/**
 * Starts a server-side exchange. Returns null when the mechanism is not implemented or the
 * hook it needs is missing (PLAIN and LOGIN need verifyPassword, SCRAM needs lookupScram), so
 * the caller answers "unsupported mechanism" in both cases.
 */
export function createSaslExchange(mechanism: string, hooks: SaslHooks): SaslExchange | null {
  switch (canonicalMechanismName(mechanism)) {
    case 'PLAIN':
      return hooks.verifyPassword ? new PlainExchange(hooks.verifyPassword) : null;
    case 'LOGIN':
      return hooks.verifyPassword ? new LoginExchange(hooks.verifyPassword) : null;
    case 'SCRAM-SHA-256':
      return hooks.lookupScram ? new ScramSha256Exchange(hooks.lookupScram, hooks) : null;
    default:
      return null;
  }
}
