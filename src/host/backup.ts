// `mailroom backup DIR` and `mailroom restore DIR`: a consistent copy of a data folder taken
// while the server runs, and putting it back.
//
// What a data folder holds (docs/storage.md) and how each part is copied:
//   directory.db, databases/*/mailbox.db and index.db, queue/queue.db — every SQLite file —
//     with SQLite's online backup, all pages in one step: one read transaction, so the copy is
//     the database as of one commit, while the server goes on writing (WAL lets it);
//   databases/*/blobs/ — message bodies over 128 KB, immutable once written — copied before the
//     mailbox database, then any body its copy refers to that appeared meanwhile, then the
//     bodies the copy does not refer to are left out (not yet committed at the copy's moment);
//   secrets.key (the key that opens certificates' and DKIM private keys in directory.db),
//     the protocol logs and anything else: copied as files;
//   not copied: -wal/-shm (the online backup already has their pages), run/ (which servers are
//     running), spool/ (APPEND literals still arriving: not acknowledged to anyone yet).
// manifest.json lists every file with its size and SHA-256, and the versions that wrote it.
// A PostgreSQL directory is not in the folder: the manifest says so, and pg_dump backs it up.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, openSync, readSync, closeSync, fsyncSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import { directoryUrl } from '../lib/env.ts';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../lib/private-files.ts';
import { runningServerReason } from '../lib/running-servers.ts';
import { SECRETS_KEY_FILE } from '../lib/secrets.ts';

export const MANIFEST_FILE = 'manifest.json';
const MANIFEST_FORMAT = 'mailroom-backup';
const MANIFEST_VERSION = 1;

export type BackupFileKind = 'sqlite' | 'blob' | 'key' | 'file';

export interface BackupFile {
  /** Relative to the data folder, with / between names. */
  path: string;
  kind: BackupFileKind;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  formatVersion: number;
  createdAt: string;
  mailroomVersion: string;
  nodeVersion: string;
  sqliteVersion: string;
  /** The data folder the copy was taken from. */
  source: string;
  /** Where the directory (configuration, mailboxes, certificates) lives: in the copy or not. */
  directory: 'sqlite' | 'postgres';
  files: BackupFile[];
  /** What the copy leaves out that the admin must back up another way. */
  notes: string[];
}

export class BackupError extends Error {}

const VERSION: string = (() => {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return '0';
  }
})();

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

function isSqliteFile(path: string): boolean {
  const head = Buffer.alloc(SQLITE_MAGIC.length);
  const fd = openSync(path, 'r');
  try {
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(SQLITE_MAGIC);
  } finally {
    closeSync(fd);
  }
}

/** Names left out of a backup: SQLite's side files, running-server marks, spooled literals, temporary blob files. */
function skipped(rel: string): boolean {
  const name = basename(rel);
  const top = rel.split('/')[0];
  return top === 'run' || top === 'spool' || name.endsWith('-wal') || name.endsWith('-shm') || name.endsWith('-journal') || name.endsWith('.tmp');
}

function isBlobPath(rel: string): boolean {
  const parts = rel.split('/');
  return parts.length === 6 && parts[0] === 'databases' && parts[2] === 'blobs';
}

function walk(root: string, rel = ''): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (skipped(child)) continue;
    if (entry.isDirectory()) out.push(...walk(root, child));
    else if (entry.isFile()) out.push(child);
  }
  return out;
}

/** Copies a file as a stream, returning its size and SHA-256; the copy is fsynced. */
async function copyFile(from: string, to: string): Promise<{ size: number; sha256: string }> {
  mkdirSync(dirname(to), { recursive: true, mode: PRIVATE_DIR_MODE });
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(createReadStream(from), tap, createWriteStream(to, { mode: PRIVATE_FILE_MODE }));
  syncFile(to);
  return { size, sha256: hash.digest('hex') };
}

async function hashFile(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The online backup of one SQLite file as of one moment. All pages go in one step (a page count
 * larger than any database): copied in small steps, SQLite starts over whenever another process
 * writes, which under a busy server could be for ever.
 */
async function backupSqlite(from: string, to: string): Promise<void> {
  mkdirSync(dirname(to), { recursive: true, mode: PRIVATE_DIR_MODE });
  const source = new Database(from, { fileMustExist: true });
  try {
    source.pragma('busy_timeout = 10000');
    await source.backup(to, { progress: () => 0x7fffffff });
  } finally {
    source.close();
  }
  // The copy is a plain file: one database, no side files, whatever journal mode the source had.
  const copy = new Database(to);
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`The copy of ${from} fails SQLite's quick_check: ${String(check)}`);
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  chmodSync(to, PRIVATE_FILE_MODE);
  syncFile(to);
}

/** Body files a mailbox database copy refers to (the rest of its bodies are inside it). */
function externalBlobs(databaseCopy: string): string[] {
  const db = new Database(databaseCopy, { readonly: true, fileMustExist: true });
  try {
    const hasTable = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'blobs'`).get();
    return hasTable ? (db.prepare(`SELECT id FROM blobs WHERE data IS NULL`).pluck().all() as string[]) : [];
  } finally {
    db.close();
  }
}

function blobRel(databaseRel: string, id: string): string {
  return `${databaseRel}/blobs/${id.slice(0, 2)}/${id.slice(2, 4)}/${id}`;
}

export interface BackupReport {
  manifest: BackupManifest;
  /** Bodies the database copy refers to that were gone from the source (doctor reports these too). */
  missingBlobs: string[];
}

/** Takes a consistent copy of `dataFolder` into `target` (which must not exist or be empty). */
export async function backupDataFolder(dataFolder: string, target: string): Promise<BackupReport> {
  const source = resolve(dataFolder);
  const dest = resolve(target);
  if (!existsSync(source)) throw new BackupError(`There is no data folder at ${source}.`);
  if (dest === source || dest.startsWith(source + sep)) throw new BackupError(`The backup folder must be outside the data folder (${source}).`);
  if (existsSync(dest) && readdirSync(dest).length > 0) throw new BackupError(`${dest} is not empty: give a new or empty folder for the backup.`);
  // Written under a temporary name and renamed at the end: a folder named DIR is a complete backup.
  const work = `${dest}.partial-${randomBytes(4).toString('hex')}`;
  mkdirSync(work, { recursive: true, mode: PRIVATE_DIR_MODE });
  try {
    const files: BackupFile[] = [];
    const missingBlobs: string[] = [];
    const all = walk(source);
    // Bodies first: whatever the database copies below refer to was written before them, except
    // bodies that arrive during the backup, which are fetched after each copy.
    const blobsCopied = new Set<string>();
    for (const rel of all.filter(isBlobPath)) {
      try {
        await copyFile(join(source, rel), join(work, rel));
        blobsCopied.add(rel);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // purged meanwhile
      }
    }
    // The directory first, then the mailbox databases and the queue: a mailbox that exists in a
    // mailbox database copy exists in the directory copy.
    const databases = all.filter((rel) => !isBlobPath(rel) && isSqliteFile(join(source, rel)));
    databases.sort((a, b) => (a === 'directory.db' ? -1 : b === 'directory.db' ? 1 : a.localeCompare(b)));
    const wantedBlobs = new Set<string>();
    for (const rel of databases) {
      await backupSqlite(join(source, rel), join(work, rel));
      if (basename(rel) !== 'mailbox.db') continue;
      const databaseRel = dirname(rel);
      for (const id of externalBlobs(join(work, rel))) {
        const blob = blobRel(databaseRel, id);
        wantedBlobs.add(blob);
        if (blobsCopied.has(blob)) continue;
        try {
          await copyFile(join(source, blob), join(work, blob));
          blobsCopied.add(blob);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          missingBlobs.push(blob);
        }
      }
    }
    // Bodies no database copy refers to were not committed when the copy was taken.
    for (const blob of blobsCopied) {
      if (!wantedBlobs.has(blob)) {
        rmSync(join(work, blob), { force: true });
        blobsCopied.delete(blob);
      }
    }
    for (const rel of databases) files.push({ path: rel, kind: 'sqlite', ...(await hashFile(join(work, rel))) });
    for (const rel of [...blobsCopied].sort()) files.push({ path: rel, kind: 'blob', ...(await hashFile(join(work, rel))) });
    for (const rel of all.filter((r) => !isBlobPath(r) && !databases.includes(r))) {
      try {
        const copied = await copyFile(join(source, rel), join(work, rel));
        files.push({ path: rel, kind: rel === SECRETS_KEY_FILE ? 'key' : 'file', ...copied });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // a log rotated away meanwhile
      }
    }
    const notes: string[] = [];
    const postgres = directoryUrl() !== undefined;
    if (postgres) {
      notes.push('The directory (organization, mailboxes, settings, certificates, DKIM keys) is in PostgreSQL (MAILROOM_DIRECTORY) and is not in this backup: back it up with pg_dump, at about the same time.');
    }
    if (process.env.MAILROOM_SECRETS_KEY) {
      notes.push('MAILROOM_SECRETS_KEY is set: the key that opens the private keys in the directory is not in this backup. Keep it with the backup, separately.');
    } else if (!files.some((f) => f.kind === 'key')) {
      notes.push(`There is no ${SECRETS_KEY_FILE} in the data folder: the directory holds no sealed secret yet, or its key is kept elsewhere.`);
    }
    if (missingBlobs.length) notes.push(`${missingBlobs.length} message bodies the databases refer to were missing from the data folder (run mailroom doctor).`);
    const versionDb = new Database(':memory:');
    const sqliteVersion = String(versionDb.prepare('SELECT sqlite_version()').pluck().get());
    versionDb.close();
    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT, formatVersion: MANIFEST_VERSION, createdAt: new Date().toISOString(), mailroomVersion: VERSION,
      nodeVersion: process.version, sqliteVersion, source, directory: postgres ? 'postgres' : 'sqlite',
      files: files.sort((a, b) => a.path.localeCompare(b.path)), notes,
    };
    writeFileSync(join(work, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
    syncFile(join(work, MANIFEST_FILE));
    if (existsSync(dest)) rmSync(dest, { recursive: true });
    renameSync(work, dest);
    return { manifest, missingBlobs };
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

/** Reads and checks a backup's manifest (shape only; see verifyBackup for the files). */
export function readManifest(backup: string): BackupManifest {
  const path = join(resolve(backup), MANIFEST_FILE);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(path, 'utf8')) as BackupManifest;
  } catch (err) {
    throw new BackupError(`${path} cannot be read as a Mailroom backup manifest: ${(err as Error).message}`);
  }
  if (manifest?.format !== MANIFEST_FORMAT || !Array.isArray(manifest.files)) throw new BackupError(`${path} is not a Mailroom backup manifest.`);
  if (manifest.formatVersion > MANIFEST_VERSION) {
    throw new BackupError(`This backup was written by a newer Mailroom (manifest format ${manifest.formatVersion}, version ${manifest.mailroomVersion}); this one reads format ${MANIFEST_VERSION}.`);
  }
  for (const file of manifest.files) {
    // The manifest names where files go: nothing may point outside the data folder.
    const parts = typeof file.path === 'string' ? file.path.split('/') : [];
    if (parts.length === 0 || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\') || p.includes('\0'))) {
      throw new BackupError(`The manifest names a file outside the backup: ${JSON.stringify(file.path)}.`);
    }
    if (typeof file.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(file.sha256) || !Number.isSafeInteger(file.size)) {
      throw new BackupError(`The manifest entry of ${file.path} has no valid size and SHA-256.`);
    }
  }
  return manifest;
}

/** Every file of the backup is there with the size and SHA-256 the manifest gives; returns the problems. */
export async function verifyBackup(backup: string, manifest: BackupManifest): Promise<string[]> {
  const problems: string[] = [];
  for (const file of manifest.files) {
    const path = join(resolve(backup), ...file.path.split('/'));
    try {
      const actual = await hashFile(path);
      if (actual.size !== file.size || actual.sha256 !== file.sha256) problems.push(`${file.path}: checksum differs from the manifest (damaged or changed since the backup)`);
    } catch (err) {
      problems.push(`${file.path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (err as Error).message}`);
    }
  }
  return problems;
}

export interface RestoreReport {
  manifest: BackupManifest;
  restoredFiles: number;
  /** Where the data folder that was there before now is, when there was one. */
  previousFolder?: string;
}

/**
 * Puts a backup in place as `dataFolder`. Refuses while a server runs on that folder and when
 * any file differs from the manifest. A data folder already there is kept beside it, renamed,
 * when `replace` is set; otherwise a non-empty folder is refused.
 */
export async function restoreDataFolder(backup: string, dataFolder: string, options: { replace?: boolean } = {}): Promise<RestoreReport> {
  const from = resolve(backup);
  const dest = resolve(dataFolder);
  const manifest = readManifest(from);
  const running = runningServerReason(dest);
  if (running) throw new BackupError(`${running}: stop it first (systemctl stop mailroom, or Ctrl-C).`);
  const problems = await verifyBackup(from, manifest);
  if (problems.length) throw new BackupError(`The backup in ${from} does not match its manifest; nothing was restored:\n  ${problems.join('\n  ')}`);
  const occupied = existsSync(dest) && readdirSync(dest).length > 0;
  if (occupied && !options.replace) {
    throw new BackupError(`${dest} is not empty. Restore into a new folder, or add --force to keep the current one beside it (renamed) and put the backup in its place.`);
  }
  const work = `${dest}.restoring-${randomBytes(4).toString('hex')}`;
  mkdirSync(work, { recursive: true, mode: PRIVATE_DIR_MODE });
  try {
    for (const file of manifest.files) {
      const copied = await copyFile(join(from, ...file.path.split('/')), join(work, ...file.path.split('/')));
      // Checked again as it is copied: the backup could change between the check and the copy.
      if (copied.sha256 !== file.sha256) throw new BackupError(`${file.path} changed while it was being restored; nothing was restored.`);
    }
    let previousFolder: string | undefined;
    if (occupied) {
      previousFolder = `${dest}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(dest, previousFolder);
    } else if (existsSync(dest)) {
      rmSync(dest, { recursive: true });
    }
    renameSync(work, dest);
    chmodSync(dest, PRIVATE_DIR_MODE);
    return { manifest, restoredFiles: manifest.files.length, ...(previousFolder ? { previousFolder } : {}) };
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}
