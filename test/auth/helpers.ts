// Test-side helpers for the auth tests: a seeded PRNG and a minimal SCRAM-SHA-256 client written
// straight from RFC 5802 §3, independent of the server code it checks.

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
export { pick, prng, randomInt } from '../support/random.ts';

export class ScramTestClient {
  readonly clientNonce: string;
  private readonly gs2Header: string;
  private bare = '';
  private authMessage = '';
  private saltedPassword = Buffer.alloc(0);

  constructor(
    private readonly username: string,
    private readonly password: string,
    options: { authzid?: string; nonce?: string; gs2Flag?: string } = {},
  ) {
    this.clientNonce = options.nonce ?? randomBytes(18).toString('base64');
    const authz = options.authzid === undefined ? '' : `a=${escape(options.authzid)}`;
    this.gs2Header = `${options.gs2Flag ?? 'n'},${authz},`;
  }

  first(): Buffer {
    this.bare = `n=${escape(this.username)},r=${this.clientNonce}`;
    return Buffer.from(this.gs2Header + this.bare);
  }

  /** Builds the client-final-message for a server-first-message. */
  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString();
    const attrs = new Map(text.split(',').map((a) => [a.slice(0, 1), a.slice(2)] as const));
    const nonce = attrs.get('r')!;
    if (!nonce.startsWith(this.clientNonce)) throw new Error('server nonce does not extend ours');
    const salt = Buffer.from(attrs.get('s')!, 'base64');
    const iterations = Number(attrs.get('i'));
    this.saltedPassword = pbkdf2Sync(this.password, salt, iterations, 32, 'sha256');
    const withoutProof = `c=${Buffer.from(this.gs2Header).toString('base64')},r=${nonce}`;
    this.authMessage = `${this.bare},${text},${withoutProof}`;
    const clientKey = hmac(this.saltedPassword, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const signature = hmac(storedKey, this.authMessage);
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Checks v=ServerSignature: a real client must do this to know it reached the right server. */
  verifyServerFinal(serverFinal: Buffer): boolean {
    const expected = hmac(hmac(this.saltedPassword, 'Server Key'), this.authMessage);
    const text = serverFinal.toString();
    if (!text.startsWith('v=')) return false;
    const got = Buffer.from(text.slice(2), 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  }
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function escape(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}
