// Self-signed certificates for a fresh organization and reading of imported PEM pairs.
// Thumbprints are SHA-1 fingerprints in upper-case hex, the form Exchange admins copy around.
import { createPrivateKey, webcrypto, X509Certificate, randomBytes } from 'node:crypto';

type X509Library = typeof import('@peculiar/x509');
let x509Library: Promise<X509Library> | undefined;

/**
 * @peculiar/x509 (with the Reflect metadata polyfill its ASN.1 schemas need) is loaded on the
 * first certificate made, not with this module: it takes about a third of a second to load, and
 * every admin command and every server start reads certificates without making one.
 */
function loadX509(): Promise<X509Library> {
  x509Library ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return x509Library;
}

export interface CertificateMaterial {
  thumbprint: string;
  subject: string;
  issuer: string;
  names: string[];
  notBefore: string;
  notAfter: string;
  selfSigned: boolean;
  certPem: string;
  keyPem: string;
}

/**
 * The PEM blocks of `text` that open with one of `begins` and close with the first of `ends`
 * after it, with the line break that follows, in order. Found by index: a lazy pattern over the
 * file searched to its end again for every unclosed BEGIN line (quadratic).
 */
export function pemBlocks(text: string, begins: readonly string[], ends: readonly string[]): string[] {
  // The next position of each marker, searched again only once the scan has passed it.
  const next = new Map<string, number>();
  const find = (marker: string, from: number) => {
    let at = next.get(marker);
    if (at === undefined || (at >= 0 && at < from)) next.set(marker, (at = text.indexOf(marker, from)));
    return at;
  };
  const earliest = (markers: readonly string[], from: number): [number, string] | null => {
    let best: [number, string] | null = null;
    for (const m of markers) {
      const at = find(m, from);
      if (at >= 0 && (best === null || at < best[0])) best = [at, m];
    }
    return best;
  };
  const blocks: string[] = [];
  let from = 0;
  for (;;) {
    const begin = earliest(begins, from);
    if (!begin) return blocks;
    // At least one character between the markers, as a PEM body has.
    const end = earliest(ends, begin[0] + begin[1].length + 1);
    if (!end) return blocks;
    let stop = end[0] + end[1].length;
    if (text[stop] === '\n') stop++;
    blocks.push(text.slice(begin[0], stop));
    from = stop;
  }
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

/** An ECDSA P-256 certificate for `names` (the first is the subject), valid for `days`. */
/** Key sizes New-ExchangeCertificate -KeySize may ask for (RSA); 1024 is too weak to offer. */
export const RSA_KEY_SIZES = [2048, 3072, 4096] as const;

/** ECDSA P-256 unless `rsaBits` asks for an RSA key (Exchange's -KeySize, for old clients). */
export async function createSelfSignedCertificate(names: string[], days = 1825, rsaBits?: number): Promise<CertificateMaterial> {
  const x509 = await loadX509();
  if (names.length === 0) throw new Error('A certificate needs at least one name');
  const alg = rsaBits
    ? { name: 'RSASSA-PKCS1-v1_5', modulusLength: rsaBits, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }
    : { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + days * 86400_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${names[0]}`,
    notBefore,
    notAfter,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((n) => (/^[\d.]+$|:/.test(n) ? { type: 'ip', value: n } : { type: 'dns', value: n }))),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return describeCertificate(cert.toString('pem') + '\n', toPem(pkcs8, 'PRIVATE KEY'));
}

/** An encrypted PEM key (PKCS#8 or OpenSSL's legacy form) opened with its password, as unencrypted PKCS#8. */
export function decryptPrivateKey(keyPem: string, password: string): string {
  try {
    return createPrivateKey({ key: keyPem, format: 'pem', passphrase: password }).export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    throw new Error('The private key cannot be opened with this -Password (wrong password, or not an encrypted PEM key).');
  }
}

/** Reads a PEM certificate (first of a chain) and its key; throws a clear error when they do not match. */
export function describeCertificate(certPem: string, keyPem: string): CertificateMaterial {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new Error('The certificate is not a PEM X.509 certificate (-----BEGIN CERTIFICATE-----).');
  }
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new Error('The private key is not a PEM private key (-----BEGIN PRIVATE KEY----- or RSA/EC PRIVATE KEY).');
  }
  if (!cert.checkPrivateKey(key)) throw new Error('The private key does not belong to the certificate.');
  const sans = (cert.subjectAltName ?? '')
    .split(', ')
    .map((s) => s.replace(/^(DNS|IP Address):/, ''))
    .filter((s) => s.length > 0);
  const cn = /CN=([^\n,]+)/.exec(cert.subject)?.[1];
  const names = [...new Set([...(cn ? [cn] : []), ...sans])];
  return {
    thumbprint: cert.fingerprint.replace(/:/g, '').toUpperCase(),
    subject: cert.subject.split('\n').join(', '),
    issuer: cert.issuer.split('\n').join(', '),
    names,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    selfSigned: cert.subject === cert.issuer,
    certPem,
    keyPem,
  };
}

/** Whether a certificate name covers `host` (exact or one-label wildcard). */
export function certificateCovers(names: string[], host: string): boolean {
  const h = host.toLowerCase();
  return names.some((n) => {
    const name = n.toLowerCase();
    if (name === h) return true;
    return name.startsWith('*.') && h.endsWith(name.slice(1)) && !h.slice(0, h.length - name.length + 1).includes('.');
  });
}

/**
 * Why a served certificate would be a certificate error for clients reaching the server as
 * `host` (EnforceCertificateErrors): expired, not yet valid, or not naming the host. A
 * self-signed certificate is not an error here, as Exchange's own self-signed one is Valid;
 * clients decide whether to trust it.
 */
export function certificateProblem(cert: { names: string[]; notBefore: string; notAfter: string }, host: string, now = Date.now()): string | undefined {
  if (Date.parse(cert.notAfter) <= now) return `the certificate expired on ${cert.notAfter}`;
  if (Date.parse(cert.notBefore) > now) return `the certificate is not valid before ${cert.notBefore}`;
  if (host && !certificateCovers(cert.names, host)) return `the certificate does not cover ${host} (it names ${cert.names.join(', ')})`;
  return undefined;
}

/** TLS refused because the certificate has an error and EnforceCertificateErrors is $true. */
export class CertificateRefused extends Error {
  constructor(reason: string) {
    super(`TLS is refused because ${reason} (EnforceCertificateErrors is $true).`);
    this.name = 'CertificateRefused';
  }
}

/** A connector's -TlsCertificateName (`<I>issuer<S>CN=host`, or a host name) as a host name. */
export function tlsCertificateHost(tlsCertificateName: string | null | undefined): string | null {
  if (!tlsCertificateName) return null;
  const subject = /<S>(.*)$/i.exec(tlsCertificateName)?.[1] ?? tlsCertificateName;
  return /CN=([^,]+)/i.exec(subject)?.[1]?.trim() ?? subject.trim();
}

/** A new ECDSA P-256 key and a PKCS#10 request for `names` (the first is the subject), for an ACME order. */
export async function createCertificateRequest(names: string[]): Promise<{ csrDer: Buffer; keyPem: string }> {
  const x509 = await loadX509();
  if (names.length === 0) throw new Error('A certificate request needs at least one name');
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${names[0]}`,
    keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
    signingAlgorithm: alg,
    extensions: [new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: 'dns', value: n })))],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { csrDer: Buffer.from(csr.rawData), keyPem: toPem(pkcs8, 'PRIVATE KEY') };
}

/**
 * The certificate that answers a TLS-ALPN-01 challenge (RFC 8737 §3): self-signed for `domain`,
 * with the critical acmeIdentifier extension (1.3.6.1.5.5.7.1.31) holding the SHA-256 of the key
 * authorization as a DER OCTET STRING.
 */
export async function createAlpnChallengeCertificate(domain: string, keyAuthorization: string): Promise<{ certPem: string; keyPem: string }> {
  const x509 = await loadX509();
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const digest = Buffer.from(await webcrypto.subtle.digest('SHA-256', Buffer.from(keyAuthorization, 'utf8')));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${domain}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 7 * 86400_000),
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: domain }]),
      new x509.Extension('1.3.6.1.5.5.7.1.31', true, Buffer.concat([Buffer.from([0x04, 0x20]), digest])),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem') + '\n', keyPem: toPem(pkcs8, 'PRIVATE KEY') };
}
