// Secrets kept in the directory database that Mailroom must be able to read back (a smart host's
// password, DKIM private keys, certificates' private keys) are sealed with AES-256-GCM under a
// key that is not in the database: MAILROOM_SECRETS_KEY when set, else the file secrets.key in
// the data folder (made on first use, mode 0600). A copy of directory.db alone (a backup, a
// PostgreSQL dump, a stolen file) then gives none of them away; the key has to come too.
//
// A sealed value is `mrsec1:<key id>:<base64 of IV ‖ tag ‖ ciphertext>`. The key id (the first
// bytes of the key's SHA-256) lets a server with the wrong key say so instead of failing
// obscurely. Each value is sealed for a purpose (the AAD), so a sealed DKIM key cannot be moved
// into a password field and be read back there.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from './private-files.ts';

const PREFIX = 'mrsec1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SECRETS_KEY_FILE = 'secrets.key';

export class SecretsKeyError extends Error {}

/** Reads a 32-byte key given as 64 hex digits or as base64. */
export function parseSecretsKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  if (!key || key.length !== KEY_BYTES) {
    throw new SecretsKeyError(`${where} must hold a 256-bit key as 64 hex digits or 44 base64 characters (make one with: openssl rand -base64 32).`);
  }
  return key;
}

export class SecretBox {
  private key: Buffer | undefined;

  /** `folder`: the data folder whose secrets.key is used when MAILROOM_SECRETS_KEY is not set. */
  constructor(private readonly folder: string) {}

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  /** Where the key comes from, for messages and the docs. */
  get keySource(): string {
    return process.env.MAILROOM_SECRETS_KEY ? 'MAILROOM_SECRETS_KEY' : join(this.folder, SECRETS_KEY_FILE);
  }

  private loadKey(create: boolean): Buffer {
    if (this.key) return this.key;
    const fromEnv = process.env.MAILROOM_SECRETS_KEY;
    if (fromEnv) return (this.key = parseSecretsKey(fromEnv, 'MAILROOM_SECRETS_KEY'));
    const path = join(this.folder, SECRETS_KEY_FILE);
    if (!existsSync(path)) {
      if (!create) {
        throw new SecretsKeyError(`The directory holds encrypted secrets but there is no key: ${path} is missing and MAILROOM_SECRETS_KEY is not set. Restore secrets.key from the backup of the data folder (or of the server that made it).`);
      }
      try {
        // 'wx': of two processes starting at once, one makes the key and the other reads it.
        const fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
        try {
          writeSync(fd, `${randomBytes(KEY_BYTES).toString('base64')}\n`);
        } finally {
          closeSync(fd);
        }
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    return (this.key = parseSecretsKey(readFileSync(path, 'utf8'), path));
  }

  private keyId(key: Buffer): string {
    return createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  /** Seals `plain` for `purpose` (e.g. 'dkim-private-key'); makes the key file if there is none. */
  seal(plain: string, purpose: string): string {
    const key = this.loadKey(true);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(purpose, 'utf8'));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${PREFIX}${this.keyId(key)}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /** The plain value: sealed values are opened, values stored before sealing existed pass through. */
  open(stored: string, purpose: string): string {
    if (!SecretBox.isSealed(stored)) return stored;
    const [id, data] = stored.slice(PREFIX.length).split(':');
    const key = this.loadKey(false);
    if (id !== this.keyId(key)) {
      throw new SecretsKeyError(`A secret in the directory was encrypted with another key (id ${id}) than ${this.keySource} (id ${this.keyId(key)}). Every server of an organization needs the same key.`);
    }
    const raw = Buffer.from(data ?? '', 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new SecretsKeyError('A secret in the directory is damaged (too short).');
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretsKeyError(`A secret in the directory does not decrypt (${purpose}): it was changed, or sealed for another use.`);
    }
  }
}
