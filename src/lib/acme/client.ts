// An ACME (RFC 8555) client for one certificate order: account, order, HTTP-01 challenges,
// finalization with a CSR, download of the chain. Requests are JWS signed with ES256 (RFC 7518
// §3.4) by the account's P-256 key. The CA's HTTPS certificate is checked against Node.js's
// trusted roots (plus NODE_EXTRA_CA_CERTS, for a private or test CA).
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  AcmeProtocolError, isBadNonce, parseAuthorization, parseDirectory, parseOrder, problemText, retryAfterMs,
  type AcmeAuthorization, type AcmeDirectory, type AcmeOrder,
} from './messages.ts';

/** A response body larger than this is refused (a chain is a few kilobytes). */
const MAX_BODY = 1024 * 1024;
const REQUEST_TIMEOUT_MS = 30_000;

export class AcmeError extends Error {}

interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  body: Buffer;
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function fetchOnce(method: string, target: string, body?: string, accept = 'application/json'): Promise<HttpResponse> {
  const url = new URL(target);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method,
      timeout: REQUEST_TIMEOUT_MS,
      headers: {
        accept,
        'user-agent': 'Mailroom ACME client',
        ...(body !== undefined ? { 'content-type': 'application/jose+json', 'content-length': Buffer.byteLength(body) } : {}),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY) {
          req.destroy(new AcmeError(`the CA's answer from ${target} is larger than ${MAX_BODY} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v[0] : v;
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new AcmeError(`no answer from ${target} within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) => reject(err instanceof AcmeError ? err : new AcmeError(`cannot reach the CA at ${url.origin}: ${err.message}`)));
    req.end(body);
  });
}

function json(res: HttpResponse): unknown {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function newAccountKey(): KeyObject {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

export type ChallengeType = 'http-01' | 'tls-alpn-01';

/**
 * How a challenge answer is published where the CA will look: over HTTP on port 80 (HTTP-01,
 * RFC 8555 §8.3) or as a certificate on port 443 (TLS-ALPN-01, RFC 8737).
 */
export interface ChallengeAnswerer {
  publish(token: string, keyAuthorization: string, domain: string, type: ChallengeType): Promise<void>;
  unpublish(token: string, domain: string, type: ChallengeType): Promise<void>;
}

export interface OrderRequest {
  domains: string[];
  /** The DER certificate request for the domains, made by the caller with the new key. */
  csr: Buffer;
  answerer: ChallengeAnswerer;
  challengeType?: ChallengeType;
  /** How long to wait for the CA to validate and issue. */
  timeoutMs?: number;
}

export class AcmeClient {
  private directory: AcmeDirectory | undefined;
  private nonce: string | undefined;
  private readonly jwk: { crv: string; kty: string; x: string; y: string };
  /** The account URL (the "kid" of RFC 8555 §6.2), once the account exists. */
  accountUrl: string | undefined;

  constructor(readonly directoryUrl: string, private readonly accountKey: KeyObject, accountUrl?: string) {
    const jwk = accountKey.export({ format: 'jwk' });
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new AcmeError('the ACME account key must be an ECDSA P-256 key');
    this.jwk = { crv: jwk.crv, kty: jwk.kty, x: jwk.x!, y: jwk.y! };
    this.accountUrl = accountUrl;
  }

  static fromPem(directoryUrl: string, keyPem: string, accountUrl?: string): AcmeClient {
    return new AcmeClient(directoryUrl, createPrivateKey(keyPem), accountUrl);
  }

  /** RFC 7638 thumbprint of the account key, the second half of every key authorization. */
  thumbprint(): string {
    const { crv, kty, x, y } = this.jwk;
    return b64url(createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest());
  }

  keyAuthorization(token: string): string {
    return `${token}.${this.thumbprint()}`;
  }

  async getDirectory(): Promise<AcmeDirectory> {
    if (!this.directory) {
      const res = await fetchOnce('GET', this.directoryUrl);
      if (res.status !== 200) throw new AcmeError(`the ACME directory ${this.directoryUrl} answered HTTP ${res.status}`);
      this.directory = parseDirectory(json(res));
    }
    return this.directory;
  }

  private async freshNonce(): Promise<string> {
    const res = await fetchOnce('HEAD', (await this.getDirectory()).newNonce);
    const nonce = res.headers['replay-nonce'];
    if (!nonce) throw new AcmeError('the CA gave no Replay-Nonce');
    return nonce;
  }

  /** A signed POST (payload `undefined` is POST-as-GET, RFC 8555 §6.3); one retry on badNonce. */
  private async post(url: string, payload: unknown, accept?: string, withJwk = false): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const nonce = this.nonce ?? (await this.freshNonce());
      this.nonce = undefined;
      const header = { alg: 'ES256', nonce, url, ...(withJwk || !this.accountUrl ? { jwk: this.jwk } : { kid: this.accountUrl }) };
      const protectedB64 = b64url(JSON.stringify(header));
      const payloadB64 = payload === undefined ? '' : b64url(JSON.stringify(payload));
      const signature = sign('sha256', Buffer.from(`${protectedB64}.${payloadB64}`), { key: this.accountKey, dsaEncoding: 'ieee-p1363' });
      const res = await fetchOnce('POST', url, JSON.stringify({ protected: protectedB64, payload: payloadB64, signature: b64url(signature) }), accept);
      this.nonce = res.headers['replay-nonce'];
      if (res.status === 400 && isBadNonce(json(res)) && attempt < 3) continue;
      if (res.status >= 400) throw new AcmeError(`the CA refused ${new URL(url).pathname}: ${problemText(json(res))}`);
      return res;
    }
  }

  /** Creates the account, or finds the one of this key (RFC 8555 §7.3). */
  async account(options: { contact?: string[]; termsOfServiceAgreed?: boolean }): Promise<string> {
    const dir = await this.getDirectory();
    const res = await this.post(dir.newAccount, {
      ...(options.contact?.length ? { contact: options.contact } : {}),
      ...(options.termsOfServiceAgreed ? { termsOfServiceAgreed: true } : {}),
    }, undefined, true);
    const location = res.headers.location;
    if (!location) throw new AcmeProtocolError('the CA gave no account URL');
    this.accountUrl = location;
    return location;
  }

  private async poll<T extends { status: string }>(url: string, parse: (j: unknown) => T, done: (t: T) => boolean, deadline: number, what: string): Promise<T> {
    for (;;) {
      const res = await this.post(url, undefined);
      const doc = parse(json(res));
      if (done(doc) || doc.status === 'invalid') return doc;
      if (Date.now() > deadline) throw new AcmeError(`${what} is still ${doc.status}; the CA did not finish in time`);
      await new Promise((r) => setTimeout(r, retryAfterMs(res.headers['retry-after'], Date.now(), 1000, 10_000)));
    }
  }

  /** Orders a certificate for `domains`, answers HTTP-01 for each, and returns the PEM chain. */
  async order(req: OrderRequest): Promise<string> {
    if (!this.accountUrl) throw new AcmeError('no ACME account: call account() first');
    const deadline = Date.now() + (req.timeoutMs ?? 180_000);
    const dir = await this.getDirectory();
    const created = await this.post(dir.newOrder, { identifiers: req.domains.map((value) => ({ type: 'dns', value })) });
    const orderUrl = created.headers.location;
    if (!orderUrl) throw new AcmeProtocolError('the CA gave no order URL');
    let order: AcmeOrder = parseOrder(json(created));
    const type = req.challengeType ?? 'http-01';
    const published: [string, string][] = [];
    try {
      for (const authzUrl of order.authorizations) {
        const authz = parseAuthorization(json(await this.post(authzUrl, undefined)));
        if (authz.status === 'valid') continue;
        const challenge = authz.challenges.find((c) => c.type === type);
        if (!challenge?.token) throw new AcmeError(`the CA offers no ${type} challenge for ${authz.identifier.value}`);
        await req.answerer.publish(challenge.token, this.keyAuthorization(challenge.token), authz.identifier.value, type);
        published.push([challenge.token, authz.identifier.value]);
        await this.post(challenge.url, {});
      }
      for (const authzUrl of order.authorizations) {
        const authz: AcmeAuthorization = await this.poll(authzUrl, parseAuthorization, (a) => a.status === 'valid', deadline, 'an authorization');
        if (authz.status !== 'valid') {
          const why = authz.challenges.find((c) => c.error)?.error ?? authz.status;
          throw new AcmeError(`the CA could not validate ${authz.identifier.value}: ${why}`);
        }
      }
    } finally {
      for (const [token, domain] of published) await req.answerer.unpublish(token, domain, type).catch(() => undefined);
    }
    order = await this.poll(orderUrl, parseOrder, (o) => o.status === 'ready' || o.status === 'valid', deadline, 'the order');
    if (order.status === 'ready') {
      await this.post(order.finalize, { csr: b64url(req.csr) });
      order = await this.poll(orderUrl, parseOrder, (o) => o.status === 'valid', deadline, 'the order');
    }
    if (order.status !== 'valid' || !order.certificate) throw new AcmeError(`the order ended ${order.status}${order.error ? `: ${order.error}` : ''}`);
    const chain = await this.post(order.certificate, undefined, 'application/pem-certificate-chain');
    return chain.body.toString('utf8');
  }
}
