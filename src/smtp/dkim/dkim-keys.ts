// DKIM signing keys per accepted domain (New-DkimSigningKey): an RSA key pair kept in the
// directory database, so every server of the organization signs with the same key, and the TXT
// record to publish at <selector>._domainkey.<domain> (RFC 6376 §3.6.1).
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { Directory } from '../../directory/directory.ts';
import type { SqlDatabase } from '../../lib/sql/types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dkim_keys (
  domain_key TEXT NOT NULL,
  selector TEXT NOT NULL,
  domain TEXT NOT NULL,
  private_key TEXT NOT NULL,
  public_key TEXT NOT NULL,
  key_size INTEGER NOT NULL,
  enabled INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (domain_key, selector)
);
`;

export interface DkimKey {
  domain: string;
  selector: string;
  privateKeyPem: string;
  /** Base64 of the DER SubjectPublicKeyInfo: the p= tag. */
  publicKey: string;
  keySize: number;
  enabled: boolean;
  createdAt: string;
}

/** The AAD of sealed DKIM keys (lib/secrets.ts). */
const PURPOSE = 'dkim-private-key';
const sealedIn = new WeakSet<Directory>();

/**
 * The table, with private keys stored before they were sealed (plain PEM) sealed now: once per
 * directory and process. The update compares with the old value, so two processes doing it at
 * once seal each key once.
 */
async function db(directory: Directory): Promise<SqlDatabase> {
  const database = await directory.tables(SCHEMA);
  if (!sealedIn.has(directory)) {
    const plain = await database.all<{ domain_key: string; selector: string; private_key: string }>(
      `SELECT domain_key, selector, private_key FROM dkim_keys WHERE private_key NOT LIKE 'mrsec1:%'`,
    );
    for (const row of plain) {
      await database.run(`UPDATE dkim_keys SET private_key = ? WHERE domain_key = ? AND selector = ? AND private_key = ?`, [
        directory.secrets.seal(row.private_key, PURPOSE), row.domain_key, row.selector, row.private_key,
      ]);
    }
    sealedIn.add(directory);
  }
  return database;
}

interface Row {
  domain: string;
  selector: string;
  private_key: string;
  public_key: string;
  key_size: number;
  enabled: number;
  created_at: string;
}

const toKey = (directory: Directory, r: Row): DkimKey => ({
  domain: r.domain, selector: r.selector, privateKeyPem: directory.secrets.open(r.private_key, PURPOSE), publicKey: r.public_key,
  keySize: Number(r.key_size), enabled: Number(r.enabled) === 1, createdAt: r.created_at,
});

/** The TXT record value, split into strings of at most 255 octets as DNS requires (RFC 1035 §3.3.14). */
export function dkimTxtRecord(key: DkimKey): { name: string; value: string; strings: string[] } {
  const value = `v=DKIM1; k=rsa; p=${key.publicKey}`;
  const strings: string[] = [];
  for (let i = 0; i < value.length; i += 255) strings.push(value.slice(i, i + 255));
  return { name: `${key.selector}._domainkey.${key.domain}`, value, strings };
}

/** A selector that changes with each rotation and says when the key was made: mr202611. */
export function defaultSelector(now = new Date()): string {
  return `mr${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
}

export async function dkimKeys(directory: Directory, domain?: string): Promise<DkimKey[]> {
  const rows = domain === undefined
    ? await (await db(directory)).all<Row>(`SELECT * FROM dkim_keys ORDER BY domain, created_at`)
    : await (await db(directory)).all<Row>(`SELECT * FROM dkim_keys WHERE domain_key = ? ORDER BY created_at`, [domain.toLowerCase()]);
  return rows.map((r) => toKey(directory, r));
}

export async function newDkimKey(directory: Directory, input: { domain: string; selector?: string; keySize?: number }): Promise<DkimKey> {
  const domain = input.domain.trim().toLowerCase();
  if (!(await directory.isAcceptedDomain(domain))) throw new Error(`-Domain: ${domain} is not an accepted domain (Get-AcceptedDomain lists them).`);
  const selector = (input.selector ?? defaultSelector()).toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(selector)) throw new Error(`-Selector must be a DNS label such as mr202611 (got '${selector}').`);
  const keySize = input.keySize ?? 2048;
  if (![1024, 2048, 3072, 4096].includes(keySize)) throw new Error(`-KeySize must be 1024, 2048, 3072 or 4096 (got ${keySize}).`);
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: keySize });
  const key: DkimKey = {
    domain, selector, keySize, enabled: true, createdAt: new Date().toISOString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
  const database = await db(directory);
  await database.transaction(async (tx) => {
    if (await tx.get(`SELECT selector FROM dkim_keys WHERE domain_key = ? AND selector = ?`, [domain, selector])) {
      throw new Error(`${domain} already has a key with selector ${selector}; give another -Selector.`);
    }
    // One key signs at a time: the new one. Older keys stay (disabled) until removed, so their
    // DNS records can be kept until mail signed with them has been delivered.
    await tx.run(`UPDATE dkim_keys SET enabled = 0 WHERE domain_key = ?`, [domain]);
    await tx.run(
      `INSERT INTO dkim_keys (domain_key, selector, domain, private_key, public_key, key_size, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)`,
      [domain, selector, domain, directory.secrets.seal(key.privateKeyPem, PURPOSE), key.publicKey, keySize, key.createdAt],
    );
  });
  return key;
}

export async function setDkimKeyEnabled(directory: Directory, domain: string, selector: string, enabled: boolean): Promise<void> {
  const database = await db(directory);
  await database.transaction(async (tx) => {
    const found = await tx.get(`SELECT selector FROM dkim_keys WHERE domain_key = ? AND selector = ?`, [domain.toLowerCase(), selector.toLowerCase()]);
    if (!found) throw new Error(`There is no DKIM key ${selector} for ${domain} (Get-DkimSigningKey lists them).`);
    if (enabled) await tx.run(`UPDATE dkim_keys SET enabled = 0 WHERE domain_key = ?`, [domain.toLowerCase()]);
    await tx.run(`UPDATE dkim_keys SET enabled = ? WHERE domain_key = ? AND selector = ?`, [enabled ? 1 : 0, domain.toLowerCase(), selector.toLowerCase()]);
  });
}

export async function removeDkimKey(directory: Directory, domain: string, selector: string): Promise<void> {
  const result = await (await db(directory)).run(`DELETE FROM dkim_keys WHERE domain_key = ? AND selector = ?`, [domain.toLowerCase(), selector.toLowerCase()]);
  if (result.changes === 0) throw new Error(`There is no DKIM key ${selector} for ${domain} (Get-DkimSigningKey lists them).`);
}

/** The key that signs mail from `domain` now, if any. */
export async function signingKey(directory: Directory, domain: string): Promise<DkimKey | undefined> {
  return (await dkimKeys(directory, domain)).find((k) => k.enabled);
}
