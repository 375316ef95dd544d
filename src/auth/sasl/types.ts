// The interface every server-side SASL mechanism implements (RFC 4422), plus the small helpers
// they share. The protocol layers (IMAP AUTHENTICATE, POP3 AUTH, SMTP AUTH) do the base64
// framing and the "*" cancellation; a mechanism only ever sees decoded bytes.

import type { ScramCredentials } from '../passwords.ts';

/** Why an exchange failed, so the protocol layer can choose its reply. */
export type SaslFailureCode =
  | 'malformed'    // the client sent something the mechanism's grammar does not allow
  | 'unsupported'  // well-formed but asks for something we do not offer (channel binding, m=)
  | 'rejected'     // wrong password, unknown user or a verifier that said no
  | 'internal'     // a hook threw (directory unavailable); a temporary failure to the client
  | 'state';       // step() called after the end, or while a previous step was still running

export type SaslStep =
  /** Send `data` to the client as a challenge and pass its next response to step(). */
  | { type: 'challenge'; data: Buffer }
  /**
   * Authenticated. `data` is "additional data with success" (RFC 4422 §3.6) and appears only when
   * the hooks asked for it inline; the caller must still authorize `authzid` when present.
   */
  | { type: 'success'; data?: Buffer; authcid: string; authzid?: string }
  /**
   * Failed. `reason` is for logs; for 'rejected' it is deliberately the same text whatever
   * the cause, so it is also safe to show. `authcid` is set once the mechanism had parsed it, so
   * the caller can feed its failed-logon throttle.
   */
  | { type: 'failure'; code: SaslFailureCode; reason: string; authcid?: string; cause?: unknown };

export interface SaslExchange {
  readonly mechanism: string;
  /** True once a success or failure step has been returned. */
  readonly finished: boolean;
  /**
   * Advances the exchange. `null` means the client gave no initial response; a zero-length
   * Buffer is an empty response (SASL-IR "=", or an empty line after a challenge). Never rejects.
   */
  step(clientResponse: Buffer | null): Promise<SaslStep>;
}

/** PLAIN and LOGIN: the caller checks the password (directory, hash, cache, throttle). */
export type PasswordVerifier = (authcid: string, password: string, authzid?: string) => Promise<boolean>;

/** SCRAM: the caller returns the user's stored credentials, or null for an unknown user. */
export type ScramLookup = (authcid: string) => Promise<ScramCredentials | null>;

export interface SaslHooks {
  verifyPassword?: PasswordVerifier;
  lookupScram?: ScramLookup;
  /**
   * How to deliver "additional data with success" (SCRAM's v=ServerSignature). 'challenge'
   * (default) sends it as a last challenge answered by an empty response, which RFC 4422 §4
   * requires of protocols whose success reply cannot carry data; 'inline' puts it on the
   * success step for protocols that can.
   */
  successData?: 'challenge' | 'inline';
  /** SCRAM server nonce suffix; tests inject a fixed one to reproduce RFC 7677 §3. */
  scramServerNonce?: () => string;
  /**
   * Key for the fake salt of unknown SCRAM users. Give every server of a deployment the same
   * secret, or the salt for one unknown name would differ between connections and give it away.
   * Defaults to a random per-process secret.
   */
  scramFakeSecret?: Buffer;
  /** Iteration count reported for unknown SCRAM users; should match what real users have. */
  scramFakeIterations?: number;
}

export function failure(code: SaslFailureCode, reason: string, authcid?: string): SaslStep {
  return authcid === undefined ? { type: 'failure', code, reason } : { type: 'failure', code, reason, authcid };
}

/** The one text used for every credential failure, so replies cannot tell the causes apart. */
export const REJECTED_REASON = 'invalid user name or password';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes UTF-8, or null for invalid sequences (which TextDecoder would otherwise replace). */
export function decodeUtf8(data: Uint8Array): string | null {
  try {
    return strictUtf8.decode(data);
  } catch {
    return null;
  }
}

/**
 * Skeleton shared by all mechanisms: it refuses steps after the end or while one is running,
 * and turns any unexpected exception into a failure step, so step() honours "never rejects".
 */
export abstract class BaseExchange implements SaslExchange {
  abstract readonly mechanism: string;
  private done = false;
  private busy = false;

  get finished(): boolean {
    return this.done;
  }

  async step(clientResponse: Buffer | null): Promise<SaslStep> {
    if (this.done) return failure('state', 'the exchange has already finished');
    if (this.busy) return failure('state', 'a previous step is still in progress');
    if (clientResponse !== null && !Buffer.isBuffer(clientResponse)) {
      return this.finish(failure('malformed', 'client response is not a byte buffer'));
    }
    this.busy = true;
    let result: SaslStep;
    try {
      result = await this.next(clientResponse);
    } catch (err) {
      result = { type: 'failure', code: 'internal', reason: 'internal error during authentication', cause: err };
    } finally {
      this.busy = false;
    }
    return result.type === 'challenge' ? result : this.finish(result);
  }

  private finish(result: SaslStep): SaslStep {
    this.done = true;
    return result;
  }

  protected abstract next(clientResponse: Buffer | null): Promise<SaslStep>;
}

/** Runs a caller-supplied verifier; a throw becomes an 'internal' failure, not a rejection. */
export async function runVerifier(
  verify: PasswordVerifier,
  authcid: string,
  password: string,
  authzid: string | undefined,
): Promise<SaslStep> {
  let ok: boolean;
  try {
    ok = authzid === undefined ? await verify(authcid, password) : await verify(authcid, password, authzid);
  } catch (err) {
    return { type: 'failure', code: 'internal', reason: 'credential check failed', authcid, cause: err };
  }
  if (ok !== true) return failure('rejected', REJECTED_REASON, authcid);
  return authzid === undefined ? { type: 'success', authcid } : { type: 'success', authcid, authzid };
}
