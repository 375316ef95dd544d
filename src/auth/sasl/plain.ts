// SASL PLAIN, RFC 4616. One message from the client: [authzid] NUL authcid NUL passwd.

import {
  BaseExchange,
  decodeUtf8,
  failure,
  runVerifier,
  type PasswordVerifier,
  type SaslStep,
} from './types.ts';

/** RFC 4616 §2: authzid, authcid and passwd are each at most 255 octets. */
export const PLAIN_MAX_FIELD_OCTETS = 255;

export type PlainMessage =
  | { ok: true; authzid?: string; authcid: string; password: string }
  | { ok: false; reason: string };

/**
 * Parses a PLAIN message (RFC 4616 §2):
 *   message = [authzid] UTF8NUL authcid UTF8NUL passwd
 * authcid and passwd are 1*SAFE (any UTF-8 but NUL); an empty authzid means "none".
 */
export function parsePlainMessage(data: Uint8Array): PlainMessage {
  const first = data.indexOf(0);
  const second = first < 0 ? -1 : data.indexOf(0, first + 1);
  if (first < 0 || second < 0) return { ok: false, reason: 'PLAIN message needs two NUL separators' };
  if (data.indexOf(0, second + 1) >= 0) return { ok: false, reason: 'PLAIN message has more than two NUL separators' };

  const fields = [data.subarray(0, first), data.subarray(first + 1, second), data.subarray(second + 1)] as const;
  const names = ['authorization identity', 'user name', 'password'] as const;
  const text: string[] = [];
  for (let i = 0; i < 3; i++) {
    const field = fields[i]!;
    if (field.length > PLAIN_MAX_FIELD_OCTETS) return { ok: false, reason: `${names[i]} longer than ${PLAIN_MAX_FIELD_OCTETS} octets` };
    const decoded = decodeUtf8(field);
    if (decoded === null) return { ok: false, reason: `${names[i]} is not valid UTF-8` };
    text.push(decoded);
  }
  const [authzid, authcid, password] = text as [string, string, string];
  if (authcid.length === 0) return { ok: false, reason: 'user name is empty' };
  if (password.length === 0) return { ok: false, reason: 'password is empty' };
  return authzid.length === 0 ? { ok: true, authcid, password } : { ok: true, authzid, authcid, password };
}

export class PlainExchange extends BaseExchange {
  readonly mechanism = 'PLAIN';
  private challenged = false;

  constructor(private readonly verify: PasswordVerifier) {
    super();
  }

  protected async next(response: Buffer | null): Promise<SaslStep> {
    // RFC 4422: a client-first mechanism started without an initial response gets an empty challenge.
    if (response === null) {
      if (this.challenged) return failure('malformed', 'expected the PLAIN message');
      this.challenged = true;
      return { type: 'challenge', data: Buffer.alloc(0) };
    }
    const message = parsePlainMessage(response);
    if (!message.ok) return failure('malformed', message.reason);
    return runVerifier(this.verify, message.authcid, message.password, message.authzid);
  }
}
