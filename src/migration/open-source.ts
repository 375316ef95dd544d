// The source a file path names: a maildir (cur/ or new/ inside, or Maildir++ folders), an mbox
// file, or a folder of mbox files.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isMaildir, MaildirSource } from './maildir-source.ts';
import { MboxSource } from './mbox-source.ts';
import type { MigrationSource } from './source.ts';
import { IMAP_PASSWORD_PURPOSE, type RequestOptions, type SourceKind } from './import-requests.ts';
import { ImapSource } from './imap-source.ts';
import type { SecretBox } from '../lib/secrets.ts';

/** What kind of source `path` is, or an error message saying why it is none. */
export async function detectSourceKind(path: string): Promise<SourceKind | { problem: string }> {
  const info = await stat(path).catch(() => null);
  if (!info) return { problem: `There is no file or folder '${path}' (the path is read by the server that has the mailbox's database).` };
  if (info.isFile()) return 'Mbox';
  if (!info.isDirectory()) return { problem: `'${path}' is neither a file nor a folder.` };
  if (await isMaildir(path)) return 'Maildir';
  const names = await readdir(path);
  // A Maildir++ root whose Inbox is empty may lack cur/ but has its `.Folder` maildirs.
  for (const name of names) if (name.startsWith('.') && (await isMaildir(join(path, name)))) return 'Maildir';
  return 'Mbox';
}

export function openSource(kind: SourceKind, path: string, options: Pick<RequestOptions, 'mboxVariant' | 'pop3UidlFormat' | 'imap'>, secrets?: SecretBox): MigrationSource {
  if (kind === 'Imap') {
    const imap = options.imap;
    if (!imap || !secrets) throw new Error('An IMAP import request needs its connection settings and the directory\'s secrets.');
    return new ImapSource({
      host: imap.host, security: imap.security, userName: imap.userName, password: secrets.open(imap.passwordSealed, IMAP_PASSWORD_PURPOSE),
      ...(imap.port !== undefined ? { port: imap.port } : {}),
      ...(imap.masterUserName ? { masterUserName: imap.masterUserName, masterLogon: imap.masterSeparator ? { separator: imap.masterSeparator } : 'authzid' as const } : {}),
      ...(imap.acceptUntrustedCertificates ? { acceptUntrustedCertificates: true } : {}),
      ...(imap.certificateFingerprint ? { certificateFingerprint: imap.certificateFingerprint } : {}),
      ...(imap.caFile ? { caFile: imap.caFile } : {}),
    });
  }
  if (kind === 'Maildir') return new MaildirSource(path, options.pop3UidlFormat === undefined ? {} : { pop3UidlFormat: options.pop3UidlFormat });
  return new MboxSource(path, options.mboxVariant ? { variant: options.mboxVariant } : {});
}
