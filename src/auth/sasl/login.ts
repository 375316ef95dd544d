// SASL LOGIN (draft-murchison-sasl-login-00, never an RFC). Obsolete, but Outlook and many
// phones still use it for SMTP AUTH, so Exchange and every submission server accept it.
//   S: "Username:"   C: user name   S: "Password:"   C: password
// A client may send the user name as the initial response (SMTP "AUTH LOGIN dXNlcg==").

import {
  BaseExchange,
  decodeUtf8,
  failure,
  runVerifier,
  type PasswordVerifier,
  type SaslStep,
} from './types.ts';
import { PLAIN_MAX_FIELD_OCTETS } from './plain.ts';

// The draft says the prompts are informational; these exact strings are what clients expect.
export const LOGIN_USERNAME_CHALLENGE = Buffer.from('Username:', 'ascii');
export const LOGIN_PASSWORD_CHALLENGE = Buffer.from('Password:', 'ascii');

export type LoginField = { ok: true; value: string } | { ok: false; reason: string };

// C0 and C1 controls and DEL never belong in a user name; a password may hold anything but NUL.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Validates one LOGIN response. The draft defines no limits; PLAIN's (RFC 4616: 1 to 255 octets
 * of UTF-8, no NUL) are used so that both mechanisms accept exactly the same credentials.
 */
export function parseLoginField(data: Uint8Array, what: 'user name' | 'password'): LoginField {
  if (data.length === 0) return { ok: false, reason: `${what} is empty` };
  if (data.length > PLAIN_MAX_FIELD_OCTETS) return { ok: false, reason: `${what} longer than ${PLAIN_MAX_FIELD_OCTETS} octets` };
  if (data.includes(0)) return { ok: false, reason: `${what} contains NUL` };
  const value = decodeUtf8(data);
  if (value === null) return { ok: false, reason: `${what} is not valid UTF-8` };
  if (what === 'user name' && CONTROL.test(value)) return { ok: false, reason: 'user name contains control characters' };
  return { ok: true, value };
}

export class LoginExchange extends BaseExchange {
  readonly mechanism = 'LOGIN';
  private state: 'start' | 'username' | 'password' = 'start';
  private username = '';

  constructor(private readonly verify: PasswordVerifier) {
    super();
  }

  protected async next(response: Buffer | null): Promise<SaslStep> {
    switch (this.state) {
      case 'start':
        if (response === null) {
          this.state = 'username';
          return { type: 'challenge', data: Buffer.from(LOGIN_USERNAME_CHALLENGE) };
        }
        return this.takeUsername(response);
      case 'username':
        return response === null ? failure('malformed', 'expected a user name') : this.takeUsername(response);
      case 'password': {
        if (response === null) return failure('malformed', 'expected a password', this.username);
        const password = parseLoginField(response, 'password');
        if (!password.ok) return failure('malformed', password.reason, this.username);
        return runVerifier(this.verify, this.username, password.value, undefined);
      }
    }
  }

  private takeUsername(response: Buffer): SaslStep {
    const username = parseLoginField(response, 'user name');
    if (!username.ok) return failure('malformed', username.reason);
    this.username = username.value;
    this.state = 'password';
    return { type: 'challenge', data: Buffer.from(LOGIN_PASSWORD_CHALLENGE) };
  }
}
