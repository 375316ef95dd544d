// SASL SCRAM-SHA-256, server side: RFC 5802 (SCRAM) with the SHA-256 parameters of RFC 7677.
//
//   C: n,,n=user,r=<client nonce>                          client-first-message
//   S: r=<client nonce><server nonce>,s=<salt>,i=<count>   server-first-message
//   C: c=biws,r=<full nonce>,p=<ClientProof>               client-final-message
//   S: v=<ServerSignature>                                 server-final-message
//
// The password never crosses the wire, which is why the logon policy lets this mechanism run
// before TLS under PlainTextAuthentication. We do not offer SCRAM-SHA-256-PLUS, so a client
// asking for channel binding ("p=") is refused.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SCRAM_MIN_ITERATIONS, type ScramCredentials } from '../passwords.ts';
import {
  BaseExchange,
  decodeUtf8,
  failure,
  REJECTED_REASON,
  type SaslFailureCode,
  type SaslHooks,
  type SaslStep,
  type ScramLookup,
} from './types.ts';

// Far above any real message (a 320-character name fully escaped is under 1 KB), low enough
// that a hostile client cannot make us parse megabytes.
const MAX_MESSAGE_OCTETS = 4096;
const KEY_BYTES = 32;
const FAKE_SALT_BYTES = 16; // the same length passwords.ts gives real users

// RFC 5802 §7: printable = %x21-2B / %x2D-7E (visible ASCII except ",").
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;
// attr-val = ALPHA "=" value, value = 1*value-char (anything but NUL and ",").
const EXTENSION = /^[A-Za-z]=[^,\0]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Secret behind the fake salts of unknown users when the hooks give none. */
const PROCESS_SECRET = randomBytes(32);

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: SaslFailureCode; reason: string };

function bad<T>(reason: string, code: SaslFailureCode = 'malformed'): Parsed<T> {
  return { ok: false, code, reason };
}

function decodeBase64(text: string): Buffer | null {
  if (text.length === 0 || !BASE64.test(text)) return null;
  return Buffer.from(text, 'base64');
}

/**
 * saslname (RFC 5802 §5.1): "," and "=" are sent as "=2C" and "=3D"; any other "=" sequence
 * "MUST" fail the authentication. Returns null for that, and for an empty name.
 */
export function decodeSaslname(text: string): string | null {
  if (text.length === 0 || text.includes(',')) return null;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== '=') {
      out += ch;
      continue;
    }
    const escape = text.slice(i + 1, i + 3);
    if (escape === '2C') out += ',';
    else if (escape === '3D') out += '=';
    else return null;
    i += 2;
  }
  return out;
}

export function encodeSaslname(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export interface ClientFirstMessage {
  gs2Header: string;       // "n,," or "y,,a=..,", echoed back base64-encoded in c=
  authzid?: string;
  username: string;        // decoded saslname, not yet SASLprep'd
  clientNonce: string;
  bare: string;            // client-first-message-bare, part of AuthMessage
}

/**
 * client-first-message = gs2-header client-first-message-bare          (RFC 5802 §7)
 *   gs2-header = gs2-cbind-flag "," [ authzid ] ","
 *   client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
 */
export function parseClientFirstMessage(text: string): Parsed<ClientFirstMessage> {
  if (text.includes('\0')) return bad('NUL in client-first-message');
  const flagEnd = text.indexOf(',');
  if (flagEnd < 0) return bad('missing GS2 header');
  const flag = text.slice(0, flagEnd);
  // "y" means "I could bind but think you cannot", which is true of us (RFC 5802 §6).
  if (flag.startsWith('p=')) return bad('channel binding is not supported (SCRAM-SHA-256-PLUS is not offered)', 'unsupported');
  if (flag !== 'n' && flag !== 'y') return bad('invalid GS2 channel binding flag');

  const authzEnd = text.indexOf(',', flagEnd + 1);
  if (authzEnd < 0) return bad('missing GS2 header');
  const authzField = text.slice(flagEnd + 1, authzEnd);
  let authzid: string | undefined;
  if (authzField !== '') {
    if (!authzField.startsWith('a=')) return bad('invalid GS2 authorization identity');
    const decoded = decodeSaslname(authzField.slice(2));
    if (decoded === null) return bad('invalid authorization identity encoding');
    authzid = decoded;
  }

  const gs2Header = text.slice(0, authzEnd + 1);
  const bare = text.slice(authzEnd + 1);
  const attrs = bare.split(',');
  // RFC 5802 §5.1: "m" is reserved; its presence MUST cause authentication failure.
  if (attrs[0]?.startsWith('m=')) return bad('mandatory extension not supported', 'unsupported');
  const [userAttr, nonceAttr, ...extensions] = attrs;
  if (!userAttr?.startsWith('n=')) return bad('missing user name (n=)');
  const username = decodeSaslname(userAttr.slice(2));
  if (username === null) return bad('invalid user name encoding');
  if (!nonceAttr?.startsWith('r=')) return bad('missing client nonce (r=)');
  const clientNonce = nonceAttr.slice(2);
  if (!PRINTABLE.test(clientNonce)) return bad('invalid client nonce');
  if (!extensions.every((e) => EXTENSION.test(e))) return bad('invalid attribute in client-first-message');

  const value: ClientFirstMessage = { gs2Header, username, clientNonce, bare };
  if (authzid !== undefined) value.authzid = authzid;
  return { ok: true, value };
}

export interface ClientFinalMessage {
  channelBinding: Buffer;  // decoded c=
  nonce: string;
  proof: Buffer;
  withoutProof: string;    // client-final-message-without-proof, part of AuthMessage
}

/**
 * client-final-message = client-final-message-without-proof "," proof   (RFC 5802 §7)
 *   client-final-message-without-proof = channel-binding "," nonce ["," extensions]
 * Extensions are ignored; the proof must come last.
 */
export function parseClientFinalMessage(text: string): Parsed<ClientFinalMessage> {
  if (text.includes('\0')) return bad('NUL in client-final-message');
  const attrs = text.split(',');
  if (attrs.length < 3) return bad('client-final-message too short');
  const [cbAttr, nonceAttr] = attrs as [string, string];
  const proofAttr = attrs[attrs.length - 1]!;
  const extensions = attrs.slice(2, -1);

  if (!cbAttr.startsWith('c=')) return bad('missing channel binding (c=)');
  const channelBinding = decodeBase64(cbAttr.slice(2));
  if (!channelBinding) return bad('invalid channel binding encoding');
  if (!nonceAttr.startsWith('r=') || !PRINTABLE.test(nonceAttr.slice(2))) return bad('missing or invalid nonce (r=)');
  if (!extensions.every((e) => EXTENSION.test(e))) return bad('invalid attribute in client-final-message');
  if (!proofAttr.startsWith('p=')) return bad('missing client proof (p=)');
  const proof = decodeBase64(proofAttr.slice(2));
  if (!proof || proof.length !== KEY_BYTES) return bad('invalid client proof');

  const withoutProof = attrs.slice(0, -1).join(',');
  return { ok: true, value: { channelBinding, nonce: nonceAttr.slice(2), proof, withoutProof } };
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * Credentials for a user that does not exist, derived from the name with a keyed HMAC so the
 * same name always gets the same salt: a random salt per attempt, or an immediate failure, would
 * tell a prober which names exist. Nobody knows StoredKey, so no proof can match.
 */
export function fakeScramCredentials(secret: Buffer, username: string, iterations: number): ScramCredentials {
  const derive = (label: string) => createHmac('sha256', secret).update(`${label}\0${username}`).digest();
  return {
    iterations,
    salt: derive('salt').subarray(0, FAKE_SALT_BYTES),
    storedKey: derive('stored-key'),
    serverKey: derive('server-key'),
  };
}

function usableCredentials(c: ScramCredentials | null | undefined): c is ScramCredentials {
  return (
    c != null &&
    Number.isInteger(c.iterations) && c.iterations >= 1 &&
    Buffer.isBuffer(c.salt) && c.salt.length > 0 &&
    Buffer.isBuffer(c.storedKey) && c.storedKey.length === KEY_BYTES &&
    Buffer.isBuffer(c.serverKey) && c.serverKey.length === KEY_BYTES
  );
}

function defaultServerNonce(): string {
  return randomBytes(18).toString('base64'); // 24 characters, all of them "printable"
}

/** What the server remembers between its first message and the client's final one. */
interface PendingExchange {
  client: ClientFirstMessage;
  credentials: ScramCredentials;
  known: boolean;
  nonce: string;
  serverFirst: string;
}

export class ScramSha256Exchange extends BaseExchange {
  readonly mechanism = 'SCRAM-SHA-256';
  private state: 'start' | 'first' | 'final' | 'ack' = 'start';
  private pending: PendingExchange | null = null;
  private authenticated: { authcid: string; authzid?: string } | null = null;

  constructor(
    private readonly lookup: ScramLookup,
    private readonly hooks: SaslHooks = {},
  ) {
    super();
  }

  protected async next(response: Buffer | null): Promise<SaslStep> {
    switch (this.state) {
      case 'start':
        if (response === null) {
          // No initial response: empty challenge, the client answers with client-first.
          this.state = 'first';
          return { type: 'challenge', data: Buffer.alloc(0) };
        }
        return this.clientFirst(response);
      case 'first':
        return response === null ? failure('malformed', 'expected client-first-message') : this.clientFirst(response);
      case 'final':
        return response === null ? failure('malformed', 'expected client-final-message', this.pending?.client.username) : this.clientFinal(response);
      case 'ack':
        return this.acknowledge(response);
    }
  }

  private decode(response: Buffer): string | null {
    return response.length > MAX_MESSAGE_OCTETS ? null : decodeUtf8(response);
  }

  private async clientFirst(response: Buffer): Promise<SaslStep> {
    const text = this.decode(response);
    if (text === null) return failure('malformed', 'client-first-message is not valid UTF-8 or too long');
    const parsed = parseClientFirstMessage(text);
    if (!parsed.ok) return failure(parsed.code, parsed.reason);
    const client = parsed.value;

    let stored: ScramCredentials | null;
    try {
      stored = await this.lookup(client.username);
    } catch (err) {
      return { type: 'failure', code: 'internal', reason: 'credential lookup failed', authcid: client.username, cause: err };
    }
    if (stored !== null && !usableCredentials(stored)) {
      return failure('internal', 'stored SCRAM credentials are unusable', client.username);
    }
    const known = stored !== null;
    const credentials = stored ?? fakeScramCredentials(
      this.hooks.scramFakeSecret ?? PROCESS_SECRET,
      client.username,
      this.hooks.scramFakeIterations ?? SCRAM_MIN_ITERATIONS,
    );

    const serverNonce = (this.hooks.scramServerNonce ?? defaultServerNonce)();
    if (!PRINTABLE.test(serverNonce)) return failure('internal', 'server nonce is not printable', client.username);
    const nonce = client.clientNonce + serverNonce;
    const serverFirst = `r=${nonce},s=${credentials.salt.toString('base64')},i=${credentials.iterations}`;

    this.pending = { client, credentials, known, nonce, serverFirst };
    this.state = 'final';
    return { type: 'challenge', data: Buffer.from(serverFirst, 'utf8') };
  }

  private clientFinal(response: Buffer): SaslStep {
    const pending = this.pending!;
    const authcid = pending.client.username;
    const text = this.decode(response);
    if (text === null) return failure('malformed', 'client-final-message is not valid UTF-8 or too long', authcid);
    const parsed = parseClientFinalMessage(text);
    if (!parsed.ok) return failure(parsed.code, parsed.reason, authcid);
    const final = parsed.value;

    // Without channel binding, c= is just the GS2 header again (RFC 5802 §7, cbind-input).
    if (!final.channelBinding.equals(Buffer.from(pending.client.gs2Header, 'utf8'))) {
      return failure('malformed', 'channel binding does not match the GS2 header', authcid);
    }
    if (final.nonce !== pending.nonce) return failure('malformed', 'nonce does not match', authcid);

    // RFC 5802 §3: AuthMessage = client-first-message-bare "," server-first-message ","
    //                            client-final-message-without-proof
    const authMessage = `${pending.client.bare},${pending.serverFirst},${final.withoutProof}`;
    const { storedKey, serverKey } = pending.credentials;
    const clientSignature = hmac(storedKey, authMessage);
    const clientKey = Buffer.alloc(KEY_BYTES);
    for (let i = 0; i < KEY_BYTES; i++) clientKey[i] = final.proof[i]! ^ clientSignature[i]!;
    const proofMatches = timingSafeEqual(createHash('sha256').update(clientKey).digest(), storedKey);
    // An unknown user fails on the same path, after the same work, as a wrong password.
    if (!proofMatches || !pending.known) return failure('rejected', REJECTED_REASON, authcid);

    const serverFinal = Buffer.from(`v=${hmac(serverKey, authMessage).toString('base64')}`, 'utf8');
    const identity = pending.client.authzid === undefined
      ? { authcid }
      : { authcid, authzid: pending.client.authzid };
    this.pending = null;
    if (this.hooks.successData === 'inline') return { type: 'success', data: serverFinal, ...identity };
    this.authenticated = identity;
    this.state = 'ack';
    return { type: 'challenge', data: serverFinal };
  }

  /** RFC 4422 §4: success data sent as a challenge must be answered by an empty response. */
  private acknowledge(response: Buffer | null): SaslStep {
    const identity = this.authenticated!;
    if (response !== null && response.length > 0) {
      return failure('malformed', 'expected an empty response after the server signature', identity.authcid);
    }
    return { type: 'success', ...identity };
  }
}
