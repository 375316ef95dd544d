// The data folder holds what must stay with the mail service's own user: directory.db (password
// hashes, SCRAM keys, certificates' private keys, DKIM keys, send-connector passwords), the
// mailbox databases and blobs, the queue and the logs. Folders are made 0700 and files 0600.
// Two layers do it: every `mailroom` command sets the process umask to 077 at start (so files
// made by libraries, SQLite's -wal/-shm and the log writers, cannot be wider), and the places
// that make files give the mode explicitly (so code run under another umask, such as a test
// process or an embedding program, still makes private files).
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Makes every file and folder this process creates private to its user. */
export function restrictProcessUmask(): void {
  process.umask(0o077);
}

/** mkdir -p with mode 0700 for the folders it creates. */
export function makePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/**
 * Creates `path` empty with mode 0600 if it does not exist. Called before SQLite opens a database:
 * SQLite gives the -wal and -shm files the mode of the database file.
 */
export function ensurePrivateFile(path: string): void {
  if (existsSync(path)) return;
  closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
}

/**
 * What in `folder` (the folder itself and its direct entries) other local users can read or
 * enter: group or other permission bits set. Empty when all is private or the folder is absent.
 */
export function widelyReadable(folder: string): string[] {
  const found: string[] = [];
  let entries: string[];
  try {
    if ((statSync(folder).mode & 0o077) !== 0) found.push(folder);
    entries = readdirSync(folder);
  } catch {
    return found;
  }
  for (const name of entries) {
    const path = join(folder, name);
    try {
      if ((statSync(path).mode & 0o077) !== 0) found.push(path);
    } catch {
      // removed meanwhile
    }
  }
  return found;
}

/** The start-up warning for widelyReadable's findings, with the command that fixes them; null when none. */
export function dataFolderWarning(folder: string): string | null {
  const found = widelyReadable(folder);
  if (found.length === 0) return null;
  const shown = found.slice(0, 3).join(', ') + (found.length > 3 ? ` and ${found.length - 3} more` : '');
  return `The data folder can be read by other local users (${shown}): it holds password hashes, private keys and mail. Fix with: chmod -R go= '${folder.replace(/'/g, `'\\''`)}'`;
}
