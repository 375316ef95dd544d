// The ACME (RFC 8555) documents a certificate authority sends, read into checked shapes. Pure:
// no I/O. Everything comes from the network, so each field is checked for its type and size,
// and anything else is an AcmeProtocolError naming what was wrong.

/** Let's Encrypt's production directory, the CA asked when none is named. */
export const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';

export class AcmeProtocolError extends Error {}

/** RFC 8555 §7.1.1. */
export interface AcmeDirectory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
  termsOfService?: string;
}

export type AcmeStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
const STATUSES: readonly string[] = ['pending', 'ready', 'processing', 'valid', 'invalid', 'deactivated', 'expired', 'revoked'];

/** RFC 8555 §7.1.3. */
export interface AcmeOrder {
  status: AcmeStatus;
  authorizations: string[];
  finalize: string;
  certificate?: string;
  error?: string;
}

export interface AcmeChallenge {
  type: string;
  url: string;
  status: AcmeStatus;
  token?: string;
  error?: string;
}

/** RFC 8555 §7.1.4. */
export interface AcmeAuthorization {
  status: AcmeStatus;
  identifier: { type: string; value: string };
  challenges: AcmeChallenge[];
}

const MAX_URL = 2048;
const MAX_TEXT = 4096;
const MAX_LIST = 100;

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AcmeProtocolError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

function url(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_URL) throw new AcmeProtocolError(`${what} is not a URL`);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new AcmeProtocolError(`${what} is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new AcmeProtocolError(`${what} is not an http(s) URL`);
  return value;
}

function optionalUrl(value: unknown, what: string): string | undefined {
  return value === undefined || value === null ? undefined : url(value, what);
}

function status(value: unknown, what: string): AcmeStatus {
  if (typeof value !== 'string' || !STATUSES.includes(value)) throw new AcmeProtocolError(`${what} has no known status`);
  return value as AcmeStatus;
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length > MAX_TEXT) throw new AcmeProtocolError(`${what} is not a string`);
  return value;
}

function list<T>(value: unknown, what: string, item: (v: unknown, i: number) => T): T[] {
  if (!Array.isArray(value) || value.length > MAX_LIST) throw new AcmeProtocolError(`${what} is not a list`);
  return value.map(item);
}

export function parseDirectory(json: unknown): AcmeDirectory {
  const d = object(json, 'the ACME directory');
  const meta = d.meta === undefined ? {} : object(d.meta, 'the directory meta');
  // Only shown to the admin, so any scheme (test CAs use data: URLs).
  const tos = meta.termsOfService === undefined || meta.termsOfService === null ? undefined : text(meta.termsOfService, 'termsOfService').slice(0, MAX_URL);
  return {
    newNonce: url(d.newNonce, 'newNonce'),
    newAccount: url(d.newAccount, 'newAccount'),
    newOrder: url(d.newOrder, 'newOrder'),
    ...(tos ? { termsOfService: tos } : {}),
  };
}

export function parseOrder(json: unknown): AcmeOrder {
  const o = object(json, 'the order');
  const certificate = optionalUrl(o.certificate, 'the order certificate');
  return {
    status: status(o.status, 'the order'),
    authorizations: list(o.authorizations, 'the order authorizations', (v, i) => url(v, `authorization ${i + 1}`)),
    finalize: url(o.finalize, 'the order finalize'),
    ...(certificate ? { certificate } : {}),
    ...(o.error !== undefined ? { error: problemText(o.error) } : {}),
  };
}

export function parseAuthorization(json: unknown): AcmeAuthorization {
  const a = object(json, 'the authorization');
  const id = object(a.identifier, 'the authorization identifier');
  return {
    status: status(a.status, 'the authorization'),
    identifier: { type: text(id.type, 'the identifier type'), value: text(id.value, 'the identifier value') },
    challenges: list(a.challenges, 'the challenges', (v, i) => {
      const c = object(v, `challenge ${i + 1}`);
      const token = c.token === undefined ? undefined : text(c.token, 'the challenge token');
      // RFC 8555 §8.1: a token is base64url, at least 128 bits of entropy.
      if (token !== undefined && !isBase64Url(token)) throw new AcmeProtocolError('the challenge token is not base64url');
      return {
        type: text(c.type, 'the challenge type'),
        url: url(c.url, 'the challenge url'),
        status: status(c.status, `challenge ${i + 1}`),
        ...(token !== undefined ? { token } : {}),
        ...(c.error !== undefined ? { error: problemText(c.error) } : {}),
      };
    }),
  };
}

/** Whether `s` is non-empty base64url without padding (checked by character, no pattern). */
export function isBase64Url(s: string): boolean {
  if (s.length === 0 || s.length > 256) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95;
    if (!ok) return false;
  }
  return true;
}

/** An RFC 7807 problem document (RFC 8555 §6.7) as one line: "detail (type)", with subproblems. */
export function problemText(json: unknown): string {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'the CA gave no problem document';
  const p = json as Record<string, unknown>;
  const clip = (v: unknown) => (typeof v === 'string' ? v.slice(0, 500).split('\n').join(' ') : '');
  const type = clip(p.type).replace('urn:ietf:params:acme:error:', '');
  let line = clip(p.detail) || 'no detail';
  if (type) line += ` (${type})`;
  if (Array.isArray(p.subproblems)) {
    for (const sub of p.subproblems.slice(0, 10)) {
      if (typeof sub !== 'object' || sub === null) continue;
      const s = sub as Record<string, unknown>;
      const id = typeof s.identifier === 'object' && s.identifier !== null ? clip((s.identifier as Record<string, unknown>).value) : '';
      line += `; ${id ? `${id}: ` : ''}${clip(s.detail)}`;
    }
  }
  return line;
}

/** Whether a problem document says the nonce was refused (RFC 8555 §6.5: retry with a new one). */
export function isBadNonce(json: unknown): boolean {
  return typeof json === 'object' && json !== null && (json as Record<string, unknown>).type === 'urn:ietf:params:acme:error:badNonce';
}

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP date, as milliseconds from `now`,
 * kept between 1 s and `max`; `fallback` when absent or unreadable.
 */
export function retryAfterMs(header: string | undefined, now: number, fallback: number, max = 60_000): number {
  if (!header) return fallback;
  const trimmed = header.trim();
  let ms: number;
  if (trimmed.length > 0 && trimmed.length <= 10 && [...trimmed].every((c) => c >= '0' && c <= '9')) ms = Number(trimmed) * 1000;
  else {
    // An IMF-fixdate always ends in GMT; anything else is not a date here.
    if (!trimmed.endsWith(' GMT')) return fallback;
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return fallback;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 1000), max);
}
